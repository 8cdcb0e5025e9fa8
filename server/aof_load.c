/* aof_load: replaying the AOF at start-up.
 *
 * The files the manifest lists are read in order: the base (an RDB, loaded
 * by rdb_load_from_file, or commands), then every incr file.  Each command
 * runs through command_call with a client that has no connection, exactly
 * as a client's command would: there is no second way to apply a change.
 * Nothing is fed back to the AOF (aof.loading) and nothing expires while
 * loading (s->loading): a key whose TTL passed while the server was down
 * must still exist for the commands that follow it in the file, and
 * expires once loading is over.  persist.h's loading calls log progress
 * and keep serving clients (-LOADING) about every 2 MB or 100 ms.
 *
 * The reader is strict and knows where it is: a line that should start a
 * command or an argument and does not, or an argument not followed by
 * CRLF, is corruption and stops start-up with the file and byte offset.
 * A file that ends in the middle of a command was cut by a crash: with
 * aof-load-truncated yes (and only for the last file) it is truncated back
 * to the last whole command, with a warning, and loading goes on; with no,
 * start-up stops with the file and offset.  A MULTI without its EXEC at the
 * end counts as cut too, as Redis: the transaction is dropped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aof_int.h"
#include "config.h"
#include "persist.h"
#include "rdb.h"

#define AOF_LOAD_CHUNK (256 * 1024)
#define AOF_LINE_MAX 1024 /* annotations and count lines; Redis's limit */

/* A growing window over the file.  Bytes before `keep` (the start of the
 * command being read) may be dropped when the window moves; arguments are
 * remembered as offsets until the whole command is in, because reading
 * more may move the bytes. */
typedef struct aof_reader {
    FILE *fp;
    char *data;
    size_t len, pos, cap;
    size_t keep;        /* data[keep..] must stay */
    long long data_off; /* file offset of data[0] */
    int eof, error;
} aof_reader;

enum { AOF_R_OK = 0, AOF_R_EOF = 1, AOF_R_FORMAT = 2, AOF_R_IOERR = 3 };

static long long aof_reader_offset(const aof_reader *r)
{
    return r->data_off + (long long)r->pos;
}

/* Make at least `need` bytes available from pos.  0, or -1 when the file
 * ends (or fails) first. */
static int aof_reader_want(aof_reader *r, size_t need)
{
    while (r->len - r->pos < need) {
        if (r->eof || r->error)
            return -1;
        if (r->keep > 0) {
            memmove(r->data, r->data + r->keep, r->len - r->keep);
            r->len -= r->keep;
            r->pos -= r->keep;
            r->data_off += (long long)r->keep;
            r->keep = 0;
        }
        size_t want = need - (r->len - r->pos);
        if (want < AOF_LOAD_CHUNK)
            want = AOF_LOAD_CHUNK;
        if (r->cap - r->len < want) {
            size_t ncap = r->len + want;
            char *nd = realloc(r->data, ncap);
            if (!nd)
                abort();
            r->data = nd;
            r->cap = ncap;
        }
        size_t n = fread(r->data + r->len, 1, r->cap - r->len, r->fp);
        r->len += n;
        if (n == 0) {
            if (ferror(r->fp))
                r->error = errno ? errno : EIO;
            else
                r->eof = 1;
        }
    }
    return 0;
}

/* One line ending in "\n" (the "\r" before it is dropped): *line points
 * into the window.  AOF_R_EOF at a clean end or in a partial line (the
 * caller tells them apart by whether anything was read). */
static int aof_reader_line(aof_reader *r, const char **line, size_t *len)
{
    size_t scanned = 0;
    for (;;) {
        size_t avail = r->len - r->pos;
        char *nl =
            avail > scanned ? memchr(r->data + r->pos + scanned, '\n', avail - scanned) : NULL;
        if (nl) {
            size_t l = (size_t)(nl - (r->data + r->pos));
            *line = r->data + r->pos;
            *len = l && (*line)[l - 1] == '\r' ? l - 1 : l;
            r->pos += l + 1;
            return AOF_R_OK;
        }
        scanned = r->len - r->pos;
        if (scanned > AOF_LINE_MAX)
            return AOF_R_FORMAT;
        if (aof_reader_want(r, scanned + 1) != 0)
            return r->error ? AOF_R_IOERR : AOF_R_EOF;
    }
}

/* ------------------------------------------------------------ one file */

typedef struct aof_load_ctx {
    server *s;
    client *c;
    long long commands;   /* run so far, all files */
    long long bytes_done; /* of earlier files */
    long long total_bytes;
    int64_t start_ms;
} aof_load_ctx;

/* Where loading is (bytes over all files, keys so far): persist.h logs it
 * about once a second and lets the loop answer clients meanwhile. */
static void aof_load_progress(aof_load_ctx *x, long long off)
{
    long long keys = 0;
    for (int i = 0; i < x->s->cfg.databases; i++)
        keys += (long long)dict_size(x->s->db[i].keys);
    persist_loading_progress(x->s, x->bytes_done + off, keys);
}

/* Run the command the client holds; 0, or -1 for an unknown command. */
static int aof_load_run(aof_load_ctx *x, const char *name, char *err, size_t errlen)
{
    client *c = x->c;
    if (!commands_lookup(x->s, c->argv[0].ptr, c->argv[0].len)) {
        snprintf(err, errlen, "Unknown command '%.*s' reading the append only file %s",
                 (int)(c->argv[0].len > 64 ? 64 : c->argv[0].len), c->argv[0].ptr, name);
        return -1;
    }
    client *prev = x->s->current_client;
    x->s->current_client = c;
    command_call(c);
    x->s->current_client = prev;
    client_reset_command(c);
    x->commands++;
    if (x->s->cfg.key_load_delay) /* a test aid, as Redis's: slow loading down */
        persist_debug_delay(x->s->cfg.key_load_delay);
    return 0;
}

enum { AOF_LOAD_OK, AOF_LOAD_TRUNCATED, AOF_LOAD_FAILED };

/* Read commands from the reader's position to the end of the file. */
static int aof_load_commands(aof_load_ctx *x, aof_reader *r, const char *name, const char *path,
                             int last_file, char *err, size_t errlen)
{
    client *c = x->c;
    long long valid_up_to = aof_reader_offset(r), valid_before_multi = valid_up_to;
    long long bad_at = 0; /* where a format error was found */
    resp_arg *argv = NULL;
    size_t *offs = NULL; /* argument starts, relative to the command's start */
    int argv_cap = 0, st = AOF_R_OK;
    const char *what = NULL;

    for (;;) {
        aof_load_progress(x, aof_reader_offset(r));
        r->keep = r->pos;
        long long cmd_off = aof_reader_offset(r);
        const char *line;
        size_t llen;
        st = aof_reader_line(r, &line, &llen);
        if (st == AOF_R_EOF) {
            if (r->len == r->pos) { /* a clean end */
                st = AOF_R_OK;
                break;
            }
            goto truncated;
        }
        if (st != AOF_R_OK) {
            bad_at = cmd_off;
            what = "a line too long to be a command header";
            break;
        }
        if (llen > 0 && line[0] == '#')
            continue; /* an annotation (#TS:...) */
        long long argc;
        if (llen < 2 || line[0] != '*' || !util_str2ll(line + 1, llen - 1, &argc) || argc < 1 ||
            argc > RESP_MULTIBULK_MAX) {
            st = AOF_R_FORMAT;
            bad_at = cmd_off;
            what = "expected '*<count>' at the start of a command";
            break;
        }
        int got = 0;
        for (long long j = 0; j < argc; j++) {
            long long arg_off = aof_reader_offset(r);
            st = aof_reader_line(r, &line, &llen);
            if (st == AOF_R_EOF)
                goto truncated;
            long long blen;
            if (st != AOF_R_OK || llen < 2 || line[0] != '$' ||
                !util_str2ll(line + 1, llen - 1, &blen) || blen < 0 ||
                blen > x->s->cfg.proto_max_bulk_len) {
                st = AOF_R_FORMAT;
                bad_at = arg_off;
                what = "expected '$<length>' before an argument";
                break;
            }
            if (aof_reader_want(r, (size_t)blen + 2) != 0) {
                st = r->error ? AOF_R_IOERR : AOF_R_EOF;
                if (st == AOF_R_EOF)
                    goto truncated;
                break;
            }
            if (r->data[r->pos + (size_t)blen] != '\r' ||
                r->data[r->pos + (size_t)blen + 1] != '\n') {
                st = AOF_R_FORMAT;
                bad_at = aof_reader_offset(r) + blen;
                what = "an argument is not followed by CRLF";
                break;
            }
            if (got == argv_cap) {
                argv_cap = argv_cap ? argv_cap * 2 : 16;
                resp_arg *nargv = realloc(argv, sizeof(*argv) * (size_t)argv_cap);
                size_t *noffs = nargv ? realloc(offs, sizeof(*offs) * (size_t)argv_cap) : NULL;
                if (!nargv || !noffs)
                    abort(); /* out of memory: as everywhere in Keel */
                argv = nargv;
                offs = noffs;
            }
            /* The window may move while later arguments are read: keep
             * offsets from the command's start (r->keep moves with it). */
            offs[got] = r->pos - r->keep;
            argv[got].len = (size_t)blen;
            got++;
            r->pos += (size_t)blen + 2;
        }
        if (st != AOF_R_OK)
            break;
        for (int j = 0; j < got; j++)
            argv[j].ptr = r->data + r->keep + offs[j];
        c->argc = got;
        c->argv = argv;
        int is_multi = arg_is(&argv[0], "multi");
        if (is_multi)
            valid_before_multi = valid_up_to;
        if (aof_load_run(x, name, err, errlen) != 0) {
            free(argv);
            free(offs);
            return AOF_LOAD_FAILED;
        }
        valid_up_to = aof_reader_offset(r);
    }
    free(argv);
    free(offs);
    if (st == AOF_R_FORMAT) {
        snprintf(err, errlen,
                 "Bad file format reading the append only file %s at offset %lld "
                 "(%s): make a "
                 "backup of your AOF file, then use ./redis-check-aof --fix "
                 "<filename.manifest>",
                 name, bad_at, what);
        return AOF_LOAD_FAILED;
    }
    if (st == AOF_R_IOERR) {
        snprintf(err, errlen, "Unrecoverable error reading the append only file %s: %s", name,
                 strerror(r->error));
        return AOF_LOAD_FAILED;
    }
    if (c->flags & CLIENT_MULTI) {
        log_warning("Revert incomplete MULTI/EXEC transaction in AOF file %s", name);
        valid_up_to = valid_before_multi;
        goto truncated_at;
    }
    return AOF_LOAD_OK;

truncated:
    free(argv);
    free(offs);
    /* Cut inside a transaction: its MULTI goes too, or commands appended
     * after the truncation would be queued into it at the next load. */
    if (c->flags & CLIENT_MULTI)
        valid_up_to = valid_before_multi;
truncated_at:
    if (x->s->cfg.aof_load_truncated && last_file) {
        log_warning("!!! Warning: short read while loading the AOF file %s!!!", name);
        log_warning("!!! Truncating the AOF %s at offset %lld !!!", name, valid_up_to);
        if (truncate(path, (off_t)valid_up_to) == -1) {
            snprintf(err, errlen, "Error truncating the AOF file %s: %s", name, strerror(errno));
            return AOF_LOAD_FAILED;
        }
        log_warning("AOF %s loaded anyway because aof-load-truncated is enabled", name);
        return AOF_LOAD_TRUNCATED;
    }
    if (!last_file)
        snprintf(err, errlen,
                 "Unexpected end of file reading the append only file %s at offset "
                 "%lld, which "
                 "is not the last file of the AOF: a truncated file in the middle "
                 "cannot be "
                 "repaired automatically (use ./redis-check-aof on the manifest)",
                 name, valid_up_to);
    else
        snprintf(err, errlen,
                 "Unexpected end of file reading the append only file %s: the last "
                 "complete "
                 "command ends at offset %lld. You can: 1) Make a backup of your "
                 "AOF file, then "
                 "use ./redis-check-aof --fix <filename.manifest>. 2) "
                 "Alternatively you can set "
                 "the 'aof-load-truncated' configuration option to yes and restart "
                 "the server.",
                 name, valid_up_to);
    return AOF_LOAD_FAILED;
}

static int aof_load_file(aof_load_ctx *x, const char *name, int last_file, char *err, size_t errlen)
{
    server *s = x->s;
    char *path = aof_path(s, name);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "Fatal error: can't open the append log file %s for reading: %s",
                 name, strerror(errno));
        free(path);
        return AOF_LOAD_FAILED;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && st.st_size == 0) {
        fclose(fp);
        free(path);
        return AOF_LOAD_OK;
    }
    int rc = AOF_LOAD_OK;
    long long start_off = 0;
    char sig[5];
    if (fread(sig, 1, 5, fp) == 5 && memcmp(sig, "REDIS", 5) == 0) {
        /* An RDB: the base file, or an old-style AOF with an RDB preamble
         * followed by commands. */
        int old_style = strcmp(name, s->cfg.appendfilename) == 0;
        log_notice(old_style ? "Reading RDB preamble from AOF file..."
                             : "Reading RDB base file on AOF loading...");
        char rerr[512] = "";
        if (fseek(fp, 0, SEEK_SET) == -1 ||
            rdb_load_from_file(s, fp, name, rerr, sizeof(rerr)) != 0) {
            snprintf(err, errlen, "Error reading the RDB %s %s, AOF loading aborted: %s",
                     old_style ? "preamble of the AOF file" : "base file", name, rerr);
            fclose(fp);
            free(path);
            return AOF_LOAD_FAILED;
        }
        start_off = (long long)ftello(fp);
        if (old_style)
            log_notice("Reading the remaining AOF tail...");
    } else if (fseek(fp, 0, SEEK_SET) == -1) {
        snprintf(err, errlen, "Unrecoverable error reading the append only file %s: %s", name,
                 strerror(errno));
        fclose(fp);
        free(path);
        return AOF_LOAD_FAILED;
    }
    /* Each file starts in database 0 and outside any transaction, as with
     * Redis's fresh client per file. */
    x->c->db = &s->db[0];
    aof_reader r = {.fp = fp, .data_off = start_off};
    rc = aof_load_commands(x, &r, name, path, last_file, err, errlen);
    free(r.data);
    fclose(fp);
    free(path);
    x->bytes_done += (long long)st.st_size;
    return rc;
}

/* ------------------------------------------------------------ all files */

int aof_load_all(server *s, aof_manifest *am, char *err, size_t errlen)
{
    long long total = 0, base_size = 0;
    int nfiles = (am->base ? 1 : 0) + am->nincr;
    for (int i = -1; i < am->nincr; i++) {
        const aof_file *f = i < 0 ? am->base : &am->incr[i];
        if (!f)
            continue;
        long long size = aof_file_size(s, f->name);
        if (size < 0) {
            snprintf(err, errlen, "Unable to obtain the AOF file %s length. stat: %s", f->name,
                     strerror(errno));
            return -1;
        }
        if (f == am->base)
            base_size = size;
        total += size;
    }
    if (total == 0)
        return 0;

    aof_load_ctx x = {.s = s, .total_bytes = total};
    x.start_ms = util_mstime();
    x.c = client_create(s, NULL);
    x.c->flags |= CLIENT_AUTHENTICATED;
    persist_loading_start(s, total);
    aof.loading = 1;
    int rc = 0, done = 0;
    for (int i = -1; i < am->nincr && rc == 0; i++) {
        const aof_file *f = i < 0 ? am->base : &am->incr[i];
        if (!f)
            continue;
        int last = ++done == nfiles;
        int64_t t0 = util_ustime();
        long long fsize = aof_file_size(s, f->name);
        log_notice("Loading the AOF %s file %s (%.1f MB)", f == am->base ? "base" : "incr", f->name,
                   (double)(fsize > 0 ? fsize : 0) / (1024 * 1024));
        int r = aof_load_file(&x, f->name, last, err, errlen);
        if (r == AOF_LOAD_FAILED) {
            rc = -1;
            break;
        }
        log_notice("DB loaded from %s file %s: %.3f seconds", f == am->base ? "base" : "incr",
                   f->name, (double)(util_ustime() - t0) / 1e6);
    }
    client_free(x.c);
    persist_loading_end(s, rc == 0);
    aof.loading = 0;
    if (rc != 0)
        return -1;
    /* The replay is not traffic: INFO starts from zero, and what was just
     * read is on disk already. */
    config_reset_stats(s);
    s->stats.dirty = 0;
    long long actual = 0;
    for (int i = -1; i < am->nincr; i++) {
        const aof_file *f = i < 0 ? am->base : &am->incr[i];
        long long size = f ? aof_file_size(s, f->name) : 0;
        actual += size > 0 ? size : 0;
    }
    aof.current_size = actual; /* smaller than `total` if a file was truncated */
    aof.base_size = base_size;
    aof.fsync_offset = actual;
    double secs = (double)(util_mstime() - x.start_ms) / 1000.0;
    log_notice("DB loaded from append only file: %.3f seconds (%lld commands, "
               "%.1f MB, %.1f MB/s)",
               secs, x.commands, (double)actual / (1024 * 1024),
               secs > 0 ? (double)actual / (1024 * 1024) / secs : 0.0);
    return 0;
}
