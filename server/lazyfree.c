/* lazyfree: freeing big values off the event loop.  Freeing a set of a
 * million members takes long enough to stall every client, so values with
 * more than LAZYFREE_THRESHOLD elements (UNLINK, FLUSHALL ASYNC, lazy
 * expiry and eviction when configured) are handed to one background thread
 * that does nothing else.  Nothing else references such a value once it is
 * out of the keyspace, so the thread needs no other synchronisation. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "server.h"

#define LAZYFREE_THRESHOLD 64

typedef struct lazyfree_job {
    kobj *obj;            /* either one value ... */
    dict *keys, *expires; /* ... or a whole database's dicts */
    long long weight;     /* objects it counts for in INFO: 1, or the keys */
    struct lazyfree_job *next;
} lazyfree_job;

static pthread_mutex_t lazyfree_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lazyfree_cond = PTHREAD_COND_INITIALIZER;
static lazyfree_job *lazyfree_head, *lazyfree_tail;
static pthread_t lazyfree_thread;
static int lazyfree_started;
static atomic_llong lazyfree_pending_count;
static atomic_llong lazyfree_freed_count;

static void *lazyfree_main(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lazyfree_lock);
        while (!lazyfree_head)
            pthread_cond_wait(&lazyfree_cond, &lazyfree_lock);
        lazyfree_job *job = lazyfree_head;
        lazyfree_head = job->next;
        if (!lazyfree_head)
            lazyfree_tail = NULL;
        pthread_mutex_unlock(&lazyfree_lock);

        if (job->obj) {
            obj_decr_ref(job->obj);
        } else {
            dict_release(job->expires);
            dict_release(job->keys);
        }
        long long weight = job->weight;
        free(job);
        atomic_fetch_add(&lazyfree_freed_count, weight);
        atomic_fetch_sub(&lazyfree_pending_count, weight);
    }
    return NULL;
}

static void lazyfree_enqueue(lazyfree_job *job)
{
    atomic_fetch_add(&lazyfree_pending_count, job->weight);
    pthread_mutex_lock(&lazyfree_lock);
    if (!lazyfree_started) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&lazyfree_thread, &attr, lazyfree_main, NULL) != 0) {
            pthread_attr_destroy(&attr);
            pthread_mutex_unlock(&lazyfree_lock);
            /* No thread: free here, slowly but correctly. */
            if (job->obj)
                obj_decr_ref(job->obj);
            else {
                dict_release(job->expires);
                dict_release(job->keys);
            }
            atomic_fetch_sub(&lazyfree_pending_count, job->weight);
            free(job);
            return;
        }
        pthread_attr_destroy(&attr);
        lazyfree_started = 1;
    }
    job->next = NULL;
    if (lazyfree_tail)
        lazyfree_tail->next = job;
    else
        lazyfree_head = job;
    lazyfree_tail = job;
    pthread_cond_signal(&lazyfree_cond);
    pthread_mutex_unlock(&lazyfree_lock);
}

void lazyfree_free_object(kobj *o)
{
    if (o->refcount > 1 || o->type == OBJ_STRING || obj_length(o) <= LAZYFREE_THRESHOLD) {
        obj_decr_ref(o);
        return;
    }
    lazyfree_job *job = calloc(1, sizeof(*job));
    if (!job)
        abort();
    job->obj = o;
    job->weight = 1;
    lazyfree_enqueue(job);
}

void lazyfree_free_dicts(dict *keys, dict *expires)
{
    lazyfree_job *job = calloc(1, sizeof(*job));
    if (!job)
        abort();
    job->keys = keys;
    job->expires = expires;
    job->weight = (long long)dict_size(keys);
    lazyfree_enqueue(job);
}

long long lazyfree_pending(void)
{
    return atomic_load(&lazyfree_pending_count);
}
long long lazyfree_freed(void)
{
    return atomic_load(&lazyfree_freed_count);
}

/* Wait (bounded by the caller's patience) until the thread has caught up:
 * used at shutdown so memory checkers see everything freed. */
void lazyfree_drain(void)
{
    for (int i = 0; i < 5000 && atomic_load(&lazyfree_pending_count) > 0; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}
