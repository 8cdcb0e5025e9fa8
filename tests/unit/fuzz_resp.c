/* fuzz_resp: libFuzzer target for the RESP request parser (common/resp.c).
 *
 * Build and run (from the repository root):
 *   clang -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Icommon \
 *     tests/unit/fuzz_resp.c common/resp.c common/util.c common/buf.c -o /tmp/fuzz_resp
 *   mkdir -p /tmp/resp_corpus && /tmp/fuzz_resp -max_total_time=300 /tmp/resp_corpus
 * Replay inputs without libFuzzer (any compiler): add -DFUZZ_RESP_MAIN, drop
 * "fuzzer," from -fsanitize, and pass the input files as arguments.
 *
 * The input is fed to the parser in chunks whose sizes come from the input
 * itself, each call with the unconsumed bytes in a freshly allocated buffer
 * (so a pointer kept across calls is a use-after-free ASan catches).  The
 * target checks the parser never crashes and that chunking never changes
 * the result: the commands parsed chunk by chunk must be the ones parsed
 * from the whole input at once.  Not named test_*.c: ctest must not run it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "resp.h"

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_resp: check failed: %s (line %d)\n", #cond, __LINE__);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* What a run produced: every command re-encoded, then how it ended. */
typedef struct fuzz_result {
    buf cmds;
    resp_status last;
    const char *error;
} fuzz_result;

static void fuzz_record(fuzz_result *r, const resp_parser *p, const char *data, size_t len,
                        size_t used)
{
    FUZZ_CHECK(used > 0 && used <= len);
    FUZZ_CHECK(p->argc >= 0);
    for (int i = 0; i < p->argc; i++)
        FUZZ_CHECK(p->argv[i].ptr != NULL || p->argv[i].len == 0);
    /* Reading every argument lets ASan check that it points at live memory. */
    r->cmds = resp_add_command(r->cmds, p->argc, p->argv);
    r->cmds = buf_cat(r->cmds, p->inline_cmd ? "I" : "M", 1);
    (void)data;
}

/* Cheap deterministic chunk sizes drawn from a seed taken from the input. */
static uint32_t fuzz_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void fuzz_setup(resp_parser *p, uint8_t flags)
{
    resp_parser_init(p);
    /* Small limits sometimes, so the limit paths are reached quickly. */
    if (flags & 1)
        p->max_bulk_len = 64;
    if (flags & 2)
        p->max_multibulk_len = 8;
    if (flags & 4)
        p->auth_required = 1;
}

static void fuzz_run_whole(const uint8_t *data, size_t size, uint8_t flags, fuzz_result *r)
{
    resp_parser p;
    fuzz_setup(&p, flags);
    char *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    size_t off = 0;
    r->cmds = buf_empty();
    for (;;) {
        size_t used = 0;
        resp_status st = resp_parse(&p, copy + off, size - off, &used);
        r->last = st;
        if (st == RESP_OK) {
            fuzz_record(r, &p, copy + off, size - off, used);
            off += used;
            continue;
        }
        FUZZ_CHECK(used == 0);
        if (st == RESP_ERROR) {
            FUZZ_CHECK(p.error && strncmp(p.error, "Protocol error: ", 16) == 0);
            r->error = strdup(p.error); /* errbuf lives in the parser */
        }
        break;
    }
    free(copy);
    resp_parser_free(&p);
}

static void fuzz_run_chunked(const uint8_t *data, size_t size, uint8_t flags, uint32_t seed,
                             fuzz_result *r)
{
    resp_parser p;
    fuzz_setup(&p, flags);
    r->cmds = buf_empty();
    size_t start = 0, have = 0; /* the buffer holds data[start..have) */
    uint32_t s = seed | 1;
    for (;;) {
        if (have < size) {
            size_t step = 1 + fuzz_next(&s) % 64;
            have = have + step > size ? size : have + step;
        }
        char *cur = malloc(have > start ? have - start : 1);
        memcpy(cur, data + start, have - start);
        size_t off = 0;
        resp_status st;
        for (;;) {
            size_t used = 0;
            st = resp_parse(&p, cur + off, have - start - off, &used);
            if (st != RESP_OK) {
                FUZZ_CHECK(used == 0);
                break;
            }
            fuzz_record(r, &p, cur + off, have - start - off, used);
            off += used;
        }
        free(cur);
        start += off;
        r->last = st;
        if (st == RESP_ERROR) {
            r->error = strdup(p.error);
            break;
        }
        if (have == size)
            break; /* incomplete with everything given */
    }
    resp_parser_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    /* Byte 0: limits; bytes 1-4: the chunking seed; the rest: the stream. */
    uint8_t flags = data[0];
    uint32_t seed = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                    (uint32_t)data[4] << 24;
    data += 5;
    size -= 5;

    fuzz_result whole = {0}, chunked = {0};
    fuzz_run_whole(data, size, flags, &whole);
    fuzz_run_chunked(data, size, flags, seed, &chunked);

    /* The only legitimate difference: a line longer than the 64 KB limit
     * is refused when it arrives in pieces but accepted when its newline
     * comes in the same read, as in Redis.  Inputs that small cannot. */
    if (size <= RESP_INLINE_MAX) {
        FUZZ_CHECK(whole.last == chunked.last);
        FUZZ_CHECK(buf_len(whole.cmds) == buf_len(chunked.cmds));
        FUZZ_CHECK(memcmp(whole.cmds, chunked.cmds, buf_len(whole.cmds)) == 0);
        FUZZ_CHECK((whole.error == NULL) == (chunked.error == NULL));
        if (whole.error)
            FUZZ_CHECK(strcmp(whole.error, chunked.error) == 0);
    }
    buf_free(whole.cmds);
    buf_free(chunked.cmds);
    free((void *)whole.error);
    free((void *)chunked.error);
    return 0;
}

#ifdef FUZZ_RESP_MAIN
/* Replays the given input files once each (regression runs, no libFuzzer). */
int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        buf in = buf_empty();
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
            in = buf_cat(in, chunk, n);
        fclose(f);
        LLVMFuzzerTestOneInput((const uint8_t *)in, buf_len(in));
        buf_free(in);
    }
    return 0;
}
#endif
