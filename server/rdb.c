/* rdb: the snapshot file, in Redis 7.0's RDB format (version 10).  Owns
 * the file's frame (the "REDIS0010" header, AUX fields, SELECTDB and
 * RESIZEDB per database, expiry opcodes, EOF and the CRC64 trailer), the
 * buffered writer and reader with RDB's length and string encodings
 * (int8/16/32 strings, LZF), saving atomically (temp file, fsync, rename)
 * and loading.  Values are rdb_types.c's.
 *
 * The reader never trusts the file: every length is checked against what
 * is left of it, every failure records the byte offset where it happened,
 * and a load that fails leaves the caller to stop rather than to serve what
 * was read so far. */
#include "rdb.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lzf.h"
#include "persist.h"
#include "rdb_internal.h"

#define RDB_IO_BUF (64 * 1024)
/* Integers of up to 11 characters may be stored as int8/16/32. */
#define RDB_INT_TRY_MAX 11
/* Strings longer than this are LZF-compressed when that saves space. */
#define RDB_LZF_MIN 20

static void *rdb_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

/* =============================================================== writing */

static int rdbw_flush(rdb_writer *w)
{
    if (w->err || w->len == 0)
        return w->err ? -1 : 0;
    if (w->checksum)
        w->crc = util_crc64(w->crc, w->buf, w->len);
    if (fwrite(w->buf, 1, w->len, w->fp) != w->len) {
        w->err = errno ? errno : EIO;
        return -1;
    }
    w->len = 0;
    return 0;
}

int rdbw_write(rdb_writer *w, const void *p, size_t n)
{
    if (w->err)
        return -1;
    w->written += n;
    if (w->len + n <= RDB_IO_BUF) {
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        return 0;
    }
    if (rdbw_flush(w) != 0)
        return -1;
    if (n <= RDB_IO_BUF) {
        memcpy(w->buf, p, n);
        w->len = n;
        return 0;
    }
    /* A big blob goes straight out, after the bytes before it. */
    if (w->checksum)
        w->crc = util_crc64(w->crc, p, n);
    if (fwrite(p, 1, n, w->fp) != n) {
        w->err = errno ? errno : EIO;
        return -1;
    }
    return 0;
}

int rdbw_byte(rdb_writer *w, int b)
{
    unsigned char c = (unsigned char)b;
    return rdbw_write(w, &c, 1);
}

int rdbw_len(rdb_writer *w, uint64_t len)
{
    unsigned char b[9];
    if (len < (1 << 6)) {
        b[0] = (unsigned char)len;
        return rdbw_write(w, b, 1);
    }
    if (len < (1 << 14)) {
        b[0] = (unsigned char)(0x40 | (len >> 8));
        b[1] = (unsigned char)(len & 0xff);
        return rdbw_write(w, b, 2);
    }
    if (len <= UINT32_MAX) {
        b[0] = 0x80;
        for (int i = 0; i < 4; i++)
            b[1 + i] = (unsigned char)(len >> (24 - 8 * i));
        return rdbw_write(w, b, 5);
    }
    b[0] = 0x81;
    for (int i = 0; i < 8; i++)
        b[1 + i] = (unsigned char)(len >> (56 - 8 * i));
    return rdbw_write(w, b, 9);
}

/* int8/16/32 encoding of v into b: its size, or 0 if v does not fit. */
static int rdb_encode_int(long long v, unsigned char *b)
{
    uint64_t u = (uint64_t)v; /* two's complement bytes, little-endian */
    if (v >= INT8_MIN && v <= INT8_MAX) {
        b[0] = 0xC0;
        b[1] = (unsigned char)(u & 0xff);
        return 2;
    }
    if (v >= INT16_MIN && v <= INT16_MAX) {
        b[0] = 0xC1;
        b[1] = (unsigned char)(u & 0xff);
        b[2] = (unsigned char)((u >> 8) & 0xff);
        return 3;
    }
    if (v >= INT32_MIN && v <= INT32_MAX) {
        b[0] = 0xC2;
        for (int i = 0; i < 4; i++)
            b[1 + i] = (unsigned char)((u >> (8 * i)) & 0xff);
        return 5;
    }
    return 0;
}

int rdbw_ll(rdb_writer *w, long long v)
{
    unsigned char b[5];
    int n = rdb_encode_int(v, b);
    if (n)
        return rdbw_write(w, b, (size_t)n);
    char tmp[LL_STR_SIZE];
    int len = util_ll2str(tmp, sizeof(tmp), v);
    if (rdbw_len(w, (uint64_t)len) != 0)
        return -1;
    return rdbw_write(w, tmp, (size_t)len);
}

static int rdbw_lzf(rdb_writer *w, const void *p, size_t len)
{
    /* Worth it only if at least 4 bytes are saved (Redis's rule). */
    size_t outcap = len - 4;
    if (w->scratch_cap < outcap) {
        free(w->scratch);
        w->scratch_cap = outcap;
        w->scratch = rdb_xmalloc(outcap);
    }
    size_t clen = lzf_compress(p, len, w->scratch, outcap);
    if (clen == 0)
        return 0;
    if (rdbw_byte(w, 0xC3) != 0 || rdbw_len(w, clen) != 0 || rdbw_len(w, len) != 0 ||
        rdbw_write(w, w->scratch, clen) != 0)
        return -1;
    return 1;
}

int rdbw_string(rdb_writer *w, const void *p, size_t len)
{
    if (len > 0 && len <= RDB_INT_TRY_MAX) {
        long long v;
        unsigned char b[5];
        int n;
        if (util_str2ll(p, len, &v) && (n = rdb_encode_int(v, b)) > 0)
            return rdbw_write(w, b, (size_t)n);
    }
    if (w->compress && len > RDB_LZF_MIN) {
        int rc = rdbw_lzf(w, p, len);
        if (rc != 0)
            return rc < 0 ? -1 : 0;
    }
    if (rdbw_len(w, len) != 0)
        return -1;
    return rdbw_write(w, p, len);
}

int rdbw_binary_double(rdb_writer *w, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, 8);
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(bits >> (8 * i));
    return rdbw_write(w, b, 8);
}

int rdbw_ms(rdb_writer *w, int64_t ms)
{
    unsigned char b[8];
    uint64_t u = (uint64_t)ms;
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(u >> (8 * i));
    return rdbw_write(w, b, 8);
}

static int rdbw_aux(rdb_writer *w, const char *key, const char *val)
{
    if (rdbw_byte(w, RDB_OPCODE_AUX) != 0 || rdbw_string(w, key, strlen(key)) != 0)
        return -1;
    return rdbw_string(w, val, strlen(val));
}

static int rdbw_aux_ll(rdb_writer *w, const char *key, long long v)
{
    char tmp[LL_STR_SIZE];
    util_ll2str(tmp, sizeof(tmp), v);
    return rdbw_aux(w, key, tmp);
}

/* Resident memory, for the used-mem AUX field (informational only). */
static long long rdb_used_memory(void)
{
    long long pages = 0, resident = 0;
    FILE *fp = fopen("/proc/self/statm", "r");
    if (fp) {
        if (fscanf(fp, "%lld %lld", &pages, &resident) != 2)
            resident = 0;
        fclose(fp);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

/* Called for every key written: rdb-key-save-delay, and the progress a
 * fork()ed child reports to its parent. */
static rdb_save_progress_fn *rdb_progress_hook;

void rdb_set_save_progress_hook(rdb_save_progress_fn *fn)
{
    rdb_progress_hook = fn;
}

/* Keys are written in batches: walking the table fetches each entry, key
 * and value from a different place in memory, and touching them a batch
 * ahead (prefetch) lets those cache misses overlap instead of queueing. */
#define RDB_SAVE_BATCH 32

static int rdb_save_key(server *s, rdb_writer *w, keel_db *db, int has_expires, buf key,
                        const kobj *o)
{
    (void)s;
    size_t klen = buf_len(key);
    if (has_expires) {
        int64_t when = db_get_expire(db, key, klen);
        if (when != -1 && (rdbw_byte(w, RDB_OPCODE_EXPIRETIME_MS) != 0 || rdbw_ms(w, when) != 0))
            return -1;
    }
    if (rdb_save_object_type(w, o) != 0 || rdbw_string(w, key, klen) != 0 ||
        rdb_save_object(w, o) != 0)
        return -1;
    return 0;
}

static int rdb_save_db(server *s, rdb_writer *w, keel_db *db, unsigned long long *keys)
{
    unsigned long size = dict_size(db->keys);
    if (size == 0)
        return 0;
    if (rdbw_byte(w, RDB_OPCODE_SELECTDB) != 0 || rdbw_len(w, (uint64_t)db->id) != 0 ||
        rdbw_byte(w, RDB_OPCODE_RESIZEDB) != 0 || rdbw_len(w, size) != 0 ||
        rdbw_len(w, dict_size(db->expires)) != 0)
        return -1;
    long long delay = s->cfg.rdb_key_save_delay;
    int has_expires = dict_size(db->expires) > 0;
    dict_iter it;
    dict_iter_init(&it, db->keys, 0);
    int rc = 0, done = 0;
    buf bkeys[RDB_SAVE_BATCH];
    const kobj *bvals[RDB_SAVE_BATCH];
    while (rc == 0 && !done) {
        int n = 0;
        dict_entry *e;
        while (n < RDB_SAVE_BATCH && (e = dict_iter_next(&it)) != NULL) {
            bkeys[n] = e->key;
            bvals[n] = e->v.val;
            __builtin_prefetch(bkeys[n] - 1);
            __builtin_prefetch(bvals[n]);
            n++;
        }
        done = n < RDB_SAVE_BATCH;
        /* The values' own bytes, now that the objects are on their way. */
        for (int i = 0; i < n; i++)
            if (bvals[i]->type == OBJ_STRING && bvals[i]->encoding != ENC_INT)
                __builtin_prefetch((const char *)bvals[i]->ptr - 1);
        for (int i = 0; i < n && rc == 0; i++) {
            rc = rdb_save_key(s, w, db, has_expires, bkeys[i], bvals[i]);
            if (rc != 0)
                break;
            ++*keys;
            if (delay)
                persist_debug_delay(delay);
            /* From the first key on, every 1024 keys (every key when slowed
             * down on purpose): the hook decides whether to report. */
            if (rdb_progress_hook && ((*keys & 1023) == 1 || delay))
                rdb_progress_hook(*keys);
        }
    }
    dict_iter_release(&it);
    return rc;
}

int rdb_save_to_file_ex(server *s, FILE *fp, int flags, char *err, size_t errlen)
{
    rdb_writer w = {0};
    w.fp = fp;
    w.checksum = s->cfg.rdbchecksum;
    w.compress = s->cfg.rdbcompression;
    w.buf = rdb_xmalloc(RDB_IO_BUF);
    char magic[16];
    snprintf(magic, sizeof(magic), "REDIS%04d", RDB_VERSION);
    int rc = rdbw_write(&w, magic, 9);
    rc |= rdbw_aux(&w, "redis-ver", KEEL_VERSION);
    rc |= rdbw_aux_ll(&w, "redis-bits", sizeof(void *) == 8 ? 64 : 32);
    rc |= rdbw_aux_ll(&w, "ctime", (long long)time(NULL));
    rc |= rdbw_aux_ll(&w, "used-mem", rdb_used_memory());
    rc |= rdbw_aux_ll(&w, "aof-base", (flags & RDB_SAVE_AOF_BASE) ? 1 : 0);
    unsigned long long keys = 0;
    for (int i = 0; rc == 0 && i < s->cfg.databases; i++)
        rc = rdb_save_db(s, &w, &s->db[i], &keys);
    if (rc == 0)
        rc = rdbw_byte(&w, RDB_OPCODE_EOF);
    if (rc == 0)
        rc = rdbw_flush(&w);
    if (rc == 0) {
        /* The trailer is the CRC of every byte before it; 0 when
         * rdbchecksum is off (loaders then skip the check). */
        unsigned char b[8];
        for (int i = 0; i < 8; i++)
            b[i] = (unsigned char)(w.checksum ? w.crc >> (8 * i) : 0);
        w.checksum = 0;
        rc = rdbw_write(&w, b, 8);
        if (rc == 0)
            rc = rdbw_flush(&w);
    }
    if (rc == 0 && fflush(fp) != 0) {
        w.err = errno;
        rc = -1;
    }
    if (rc != 0)
        snprintf(err, errlen, "%s", strerror(w.err ? w.err : EIO));
    free(w.buf);
    free(w.scratch);
    return rc != 0 ? -1 : 0;
}

int rdb_save_to_file(server *s, FILE *fp, char *err, size_t errlen)
{
    return rdb_save_to_file_ex(s, fp, 0, err, errlen);
}

/* fsync the directory holding path, so that the rename itself is durable. */
static int rdb_fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY);
    if (fd == -1)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

void rdb_temp_path(const char *path, int pid, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(out, outlen, "%.*s/temp-%d.rdb", (int)(slash - path), path, pid);
    else
        snprintf(out, outlen, "temp-%d.rdb", pid);
}

int rdb_save(server *s, const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX];
    rdb_temp_path(path, (int)getpid(), tmp, sizeof(tmp));
    FILE *fp = fopen(tmp, "w");
    if (!fp) {
        char cwd[PATH_MAX];
        snprintf(err, errlen,
                 "Failed opening the temp RDB file %s (in server root dir %s) for saving: %s", tmp,
                 getcwd(cwd, sizeof(cwd)) ? cwd : "unknown", strerror(errno));
        return -1;
    }
    char why[256];
    const char *op = NULL;
    if (rdb_save_to_file(s, fp, why, sizeof(why)) != 0)
        op = "rdbSaveRio";
    else if (fsync(fileno(fp)) != 0)
        op = "fsync";
    if (op) {
        int saved = errno;
        fclose(fp);
        unlink(tmp);
        snprintf(err, errlen, "Write error saving DB on disk(%s): %s", op,
                 !strcmp(op, "fsync") ? strerror(saved) : why);
        return -1;
    }
    if (fclose(fp) != 0) {
        snprintf(err, errlen, "Write error saving DB on disk(fclose): %s", strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) == -1) {
        char cwd[PATH_MAX];
        snprintf(err, errlen,
                 "Error moving temp DB file %s on the final destination %s (in server root dir "
                 "%s): %s",
                 tmp, path, getcwd(cwd, sizeof(cwd)) ? cwd : "unknown", strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (rdb_fsync_dir_of(path) != 0) {
        snprintf(err, errlen, "Write error saving DB on disk(fsyncFileDir): %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* =============================================================== reading */

enum { RDB_FAIL_CORRUPT = 1, RDB_FAIL_SHORT = 2 };

unsigned long long rdbr_offset(const rdb_reader *r)
{
    return r->base + r->pos;
}

int rdbr_fail(rdb_reader *r, const char *fmt, ...)
{
    if (r->failed)
        return -1;
    r->failed = RDB_FAIL_CORRUPT;
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen,
             "Corrupt RDB file %s at offset %llu: %s. Unrecoverable error, aborting now.", r->name,
             rdbr_offset(r), reason);
    return -1;
}

/* A read past the end of the file (or an allocation that failed): the
 * file is truncated, or a length in it is wrong.  detail may be NULL. */
static int rdbr_short_because(rdb_reader *r, const char *detail)
{
    if (r->failed)
        return -1;
    r->failed = RDB_FAIL_SHORT;
    char size[64] = "";
    if (r->size >= 0)
        snprintf(size, sizeof(size), " of %lld bytes", r->size);
    snprintf(r->err, r->errlen,
             "Short read or OOM loading DB from %s at offset %llu%s: %s. Unrecoverable error, "
             "aborting now.",
             r->name, rdbr_offset(r), size, detail ? detail : "the file is truncated or corrupt");
    return -1;
}

static int rdbr_short(rdb_reader *r)
{
    return rdbr_short_because(r, NULL);
}

/* Bytes of the stream not read yet, or LLONG_MAX when the size is unknown. */
static long long rdbr_left(const rdb_reader *r)
{
    if (r->size < 0)
        return LLONG_MAX;
    long long used = (long long)rdbr_offset(r);
    return r->size > used ? r->size - used : 0;
}

/* Fold the consumed bytes of the read-ahead into the checksum. */
static void rdbr_crc_sync(rdb_reader *r)
{
    if (r->checksum && r->pos > r->crc_pos)
        r->crc = util_crc64(r->crc, r->buf + r->crc_pos, r->pos - r->crc_pos);
    r->crc_pos = r->pos;
}

/* Make at least `need` (<= RDB_IO_BUF) unread bytes available. */
static int rdbr_fill(rdb_reader *r, size_t need)
{
    rdbr_crc_sync(r);
    size_t keep = r->len - r->pos;
    if (r->pos) {
        memmove(r->buf, r->buf + r->pos, keep);
        r->base += r->pos;
        r->pos = 0;
        r->len = keep;
        r->crc_pos = 0;
    }
    while (r->len < need) {
        size_t n = fread(r->buf + r->len, 1, RDB_IO_BUF - r->len, r->fp);
        if (n == 0)
            return rdbr_short(r);
        r->len += n;
    }
    return 0;
}

int rdbr_read(rdb_reader *r, void *dst, size_t n)
{
    if (r->failed)
        return -1;
    size_t avail = r->len - r->pos;
    if (n <= avail) {
        memcpy(dst, r->buf + r->pos, n);
        r->pos += n;
        return 0;
    }
    if (n <= RDB_IO_BUF / 2) {
        if (rdbr_fill(r, n) != 0)
            return -1;
        memcpy(dst, r->buf, n);
        r->pos = n;
        return 0;
    }
    /* Large: what is buffered, then straight from the file. */
    memcpy(dst, r->buf + r->pos, avail);
    r->pos = r->len;
    rdbr_crc_sync(r);
    r->base += r->len;
    r->pos = r->len = r->crc_pos = 0;
    unsigned char *d = (unsigned char *)dst + avail;
    size_t want = n - avail, got = 0;
    while (got < want) {
        size_t k = fread(d + got, 1, want - got, r->fp);
        if (k == 0)
            break;
        got += k;
    }
    if (r->checksum)
        r->crc = util_crc64(r->crc, d, got);
    r->base += got;
    if (got < want)
        return rdbr_short(r);
    return 0;
}

int rdbr_byte(rdb_reader *r, int *b)
{
    if (r->pos < r->len) {
        *b = r->buf[r->pos++];
        return 0;
    }
    unsigned char c;
    if (rdbr_read(r, &c, 1) != 0)
        return -1;
    *b = c;
    return 0;
}

int rdbr_len(rdb_reader *r, uint64_t *len, int *encoded)
{
    int b;
    *encoded = 0;
    if (rdbr_byte(r, &b) != 0)
        return -1;
    int kind = (b & 0xC0) >> 6;
    if (kind == 0) {
        *len = (uint64_t)(b & 0x3F);
        return 0;
    }
    if (kind == 1) {
        int b2;
        if (rdbr_byte(r, &b2) != 0)
            return -1;
        *len = ((uint64_t)(b & 0x3F) << 8) | (uint64_t)b2;
        return 0;
    }
    if (kind == 3) {
        *encoded = 1;
        *len = (uint64_t)(b & 0x3F);
        return 0;
    }
    unsigned char d[8];
    int n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
    if (n == 0)
        return rdbr_fail(r, "unknown length encoding %d", b);
    if (rdbr_read(r, d, (size_t)n) != 0)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | d[i];
    *len = v;
    return 0;
}

int rdbr_plain_len(rdb_reader *r, uint64_t *len)
{
    int enc;
    if (rdbr_len(r, len, &enc) != 0)
        return -1;
    if (enc)
        return rdbr_fail(r, "a length was expected, found string encoding %d", (int)*len);
    return 0;
}

int rdbr_check_count(rdb_reader *r, uint64_t count, const char *what)
{
    if ((long long)count < 0 || (long long)count > rdbr_left(r)) {
        char detail[160];
        snprintf(detail, sizeof(detail),
                 "a %s of %llu elements runs past the end of the file (truncated or corrupt)", what,
                 (unsigned long long)count);
        return rdbr_short_because(r, detail);
    }
    return 0;
}

/* Room for n bytes (+1 for a NUL) where the string is to go. */
static unsigned char *rdbr_dest(rdb_reader *r, int mode, size_t n)
{
    if (mode == RDB_STR_MALLOC)
        return malloc(n + 1);
    if (r->scratch_cap < n + 1) {
        size_t cap = r->scratch_cap ? r->scratch_cap : 256;
        while (cap < n + 1)
            cap *= 2;
        free(r->scratch);
        r->scratch = malloc(cap);
        r->scratch_cap = r->scratch ? cap : 0;
    }
    return r->scratch;
}

static int rdbr_int_string(rdb_reader *r, int enc, int mode, rdb_str *out)
{
    static const int sizes[] = {1, 2, 4};
    unsigned char d[4];
    if (rdbr_read(r, d, (size_t)sizes[enc]) != 0)
        return -1;
    long long v;
    if (enc == 0)
        v = (int8_t)d[0];
    else if (enc == 1)
        v = (int16_t)(uint16_t)(d[0] | (d[1] << 8));
    else
        v = (int32_t)((uint32_t)d[0] | ((uint32_t)d[1] << 8) | ((uint32_t)d[2] << 16) |
                      ((uint32_t)d[3] << 24));
    out->p = rdbr_dest(r, mode, LL_STR_SIZE);
    if (!out->p)
        return rdbr_short(r);
    out->len = (size_t)util_ll2str((char *)out->p, LL_STR_SIZE, v);
    return 0;
}

static int rdbr_lzf_string(rdb_reader *r, int mode, rdb_str *out)
{
    uint64_t clen, olen;
    if (rdbr_plain_len(r, &clen) != 0 || rdbr_plain_len(r, &olen) != 0)
        return -1;
    if (clen == 0)
        return rdbr_fail(r, "empty LZF string");
    if ((long long)clen > rdbr_left(r))
        return rdbr_short_because(r, "an LZF string runs past the end of the file");
    /* LZF expands at most ~88x (a 3-byte reference makes 264 bytes). */
    if (olen == 0 || olen / clen > 100)
        return rdbr_fail(r, "LZF string claims %llu bytes from %llu", (unsigned long long)olen,
                         (unsigned long long)clen);
    if (r->lzf_in_cap < clen) {
        free(r->lzf_in);
        r->lzf_in = malloc(clen);
        r->lzf_in_cap = r->lzf_in ? clen : 0;
        if (!r->lzf_in)
            return rdbr_short(r);
    }
    if (rdbr_read(r, r->lzf_in, clen) != 0)
        return -1;
    unsigned char *d = rdbr_dest(r, mode, olen);
    if (!d)
        return rdbr_short(r);
    if (lzf_decompress(r->lzf_in, clen, d, olen) != olen) {
        if (mode == RDB_STR_MALLOC)
            free(d);
        return rdbr_fail(r, "invalid LZF compressed string");
    }
    d[olen] = '\0';
    out->p = d;
    out->len = olen;
    return 0;
}

int rdbr_string(rdb_reader *r, int mode, rdb_str *out)
{
    uint64_t len;
    int enc;
    out->p = NULL;
    out->len = 0;
    if (rdbr_len(r, &len, &enc) != 0)
        return -1;
    if (enc) {
        if (len <= 2)
            return rdbr_int_string(r, (int)len, mode, out);
        if (len == 3)
            return rdbr_lzf_string(r, mode, out);
        return rdbr_fail(r, "unknown string encoding %d", (int)len);
    }
    if ((long long)len > rdbr_left(r) || len > SIZE_MAX / 2) {
        char detail[160];
        snprintf(detail, sizeof(detail),
                 "a string of %llu bytes runs past the end of the file (truncated or corrupt)",
                 (unsigned long long)len);
        return rdbr_short_because(r, detail);
    }
    unsigned char *d = rdbr_dest(r, mode, len);
    if (!d)
        return rdbr_short(r);
    if (rdbr_read(r, d, len) != 0) {
        if (mode == RDB_STR_MALLOC)
            free(d);
        return -1;
    }
    d[len] = '\0';
    out->p = d;
    out->len = len;
    return 0;
}

int rdbr_binary_double(rdb_reader *r, double *d)
{
    unsigned char b[8];
    if (rdbr_read(r, b, 8) != 0)
        return -1;
    uint64_t bits = 0;
    for (int i = 7; i >= 0; i--)
        bits = (bits << 8) | b[i];
    memcpy(d, &bits, 8);
    return 0;
}

int rdbr_text_double(rdb_reader *r, double *d)
{
    int len;
    if (rdbr_byte(r, &len) != 0)
        return -1;
    if (len == 255) {
        *d = -1.0 / 0.0;
        return 0;
    }
    if (len == 254) {
        *d = 1.0 / 0.0;
        return 0;
    }
    if (len == 253) {
        *d = 0.0 / 0.0;
        return 0;
    }
    char tmp[256];
    if (rdbr_read(r, tmp, (size_t)len) != 0)
        return -1;
    tmp[len] = '\0';
    char *end;
    errno = 0;
    *d = strtod(tmp, &end);
    if (len == 0 || end == tmp)
        return rdbr_fail(r, "invalid score '%s'", tmp);
    return 0;
}

int rdbr_ms(rdb_reader *r, int64_t *ms)
{
    unsigned char b[8];
    if (rdbr_read(r, b, 8) != 0)
        return -1;
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = (u << 8) | b[i];
    *ms = (int64_t)u;
    return 0;
}

/* ---------------------------------------------------------------- loading */

static int rdb_load_aux(rdb_reader *r)
{
    rdb_str k, v;
    if (rdbr_string(r, RDB_STR_MALLOC, &k) != 0)
        return -1;
    if (rdbr_string(r, RDB_STR_SCRATCH, &v) != 0) {
        free(k.p);
        return -1;
    }
    const char *key = (const char *)k.p, *val = (const char *)v.p;
    if (!strcmp(key, "redis-ver")) {
        log_notice("Loading RDB produced by version %.*s", (int)v.len, val);
    } else if (!strcmp(key, "ctime")) {
        long long when = strtoll(val, NULL, 10);
        long long age = (long long)time(NULL) - when;
        log_notice("RDB age %lld seconds", age < 0 ? 0 : age);
    } else if (!strcmp(key, "used-mem")) {
        log_notice("RDB memory usage when created %.2f Mb",
                   (double)strtoll(val, NULL, 10) / 1048576);
    } else if (!strcmp(key, "aof-base")) {
        if (strtoll(val, NULL, 10) != 0)
            log_notice("RDB is base AOF");
    } else {
        /* repl-id, repl-offset, repl-stream-db, aof-preamble, lua scripts
         * of old versions...: nothing Keel uses. */
        log_debug("Unrecognized RDB AUX field: '%s'", key);
    }
    free(k.p);
    return 0;
}

typedef struct rdb_load_stats {
    long long loaded, expired, empty;
} rdb_load_stats;

/* Keys read but not inserted yet: inserting a batch at once lets the
 * cache misses of its hash-table lookups overlap (dict_prefetch). */
#define RDB_LOAD_BATCH 64
typedef struct rdb_pending {
    int n;
    keel_db *db;
    buf keys[RDB_LOAD_BATCH];
    kobj *vals[RDB_LOAD_BATCH];
    int64_t expires[RDB_LOAD_BATCH];
    uint64_t hashes[RDB_LOAD_BATCH];
} rdb_pending;

static void rdb_pending_drop(rdb_pending *p)
{
    for (int i = 0; i < p->n; i++) {
        buf_free(p->keys[i]);
        obj_decr_ref(p->vals[i]);
    }
    p->n = 0;
}

/* Insert the batch: one hash lookup per key (the expires table takes the
 * keyspace's own key buf, server.h).  -1 on a duplicate key. */
static int rdb_pending_flush(rdb_reader *r, rdb_pending *p, long long *loaded)
{
    keel_db *db = p->db;
    dict *d = db->keys;
    for (int i = 0; i < p->n; i++) {
        p->hashes[i] = dict_hash_key(d, p->keys[i]);
        dict_prefetch(d, p->hashes[i], 0);
    }
    for (int stage = 1; stage <= 2; stage++)
        for (int i = 0; i < p->n; i++)
            dict_prefetch(d, p->hashes[i], stage);
    for (int i = 0; i < p->n; i++) {
        dict_entry *existing = NULL, *e = dict_add_raw(d, p->keys[i], &existing);
        if (!e) {
            size_t klen = buf_len(p->keys[i]);
            rdbr_fail(r, "duplicate key '%.*s' in DB %d", (int)(klen > 64 ? 64 : klen), p->keys[i],
                      db->id);
            /* what was inserted stays: the whole load is abandoned anyway */
            for (int j = 0; j < i; j++)
                p->keys[j] = NULL, p->vals[j] = NULL;
            for (int j = i; j < p->n; j++) {
                buf_free(p->keys[j]);
                obj_decr_ref(p->vals[j]);
            }
            p->n = 0;
            return -1;
        }
        e->v.val = p->vals[i];
        if (p->expires[i] != -1)
            dict_add_raw(db->expires, p->keys[i], NULL)->v.s64 = p->expires[i];
        ++*loaded;
    }
    p->n = 0;
    return 0;
}

static rdb_load_stats rdb_last_load; /* INFO's rdb_last_load_keys_* */

void rdb_last_load_counts(long long *loaded, long long *expired)
{
    *loaded = rdb_last_load.loaded;
    *expired = rdb_last_load.expired;
}

/* The body of the file after the 9-byte header, up to and including the
 * checksum. */
static int rdb_load_body(rdb_reader *r, int aof_preamble, rdb_load_stats *st)
{
    server *s = r->s;
    keel_db *db = &s->db[0];
    int64_t expire = -1;
    int64_t now = util_mstime();
    unsigned char *key = NULL;
    size_t keycap = 0;
    long long delay = s->cfg.key_load_delay;
    rdb_pending pend;
    pend.n = 0;
    pend.db = db;
    for (;;) {
        int type;
        if (rdbr_byte(r, &type) != 0)
            goto fail;
        switch (type) {
        case RDB_OPCODE_EXPIRETIME: {
            unsigned char b[4];
            if (rdbr_read(r, b, 4) != 0)
                goto fail;
            uint32_t secs = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
                            ((uint32_t)b[3] << 24);
            expire = (int64_t)secs * 1000;
            continue;
        }
        case RDB_OPCODE_EXPIRETIME_MS:
            if (rdbr_ms(r, &expire) != 0)
                goto fail;
            continue;
        case RDB_OPCODE_FREQ: {
            int freq;
            if (rdbr_byte(r, &freq) != 0)
                goto fail;
            continue; /* LFU counters: Keel evicts without them */
        }
        case RDB_OPCODE_IDLE: {
            uint64_t idle;
            if (rdbr_plain_len(r, &idle) != 0)
                goto fail;
            continue;
        }
        case RDB_OPCODE_EOF:
            if (rdb_pending_flush(r, &pend, &st->loaded) != 0)
                goto fail;
            goto done;
        case RDB_OPCODE_SELECTDB: {
            uint64_t id;
            if (rdbr_plain_len(r, &id) != 0)
                goto fail;
            if (id >= (uint64_t)s->cfg.databases) {
                rdbr_fail(r,
                          "the data file was created with a server configured for more than %d "
                          "databases (SELECTDB %llu)",
                          s->cfg.databases, (unsigned long long)id);
                goto fail;
            }
            db = &s->db[id];
            continue;
        }
        case RDB_OPCODE_RESIZEDB: {
            uint64_t size, esize;
            if (rdbr_plain_len(r, &size) != 0 || rdbr_plain_len(r, &esize) != 0)
                goto fail;
            /* A hint: believed only as far as the file could hold that
             * many keys. */
            long long left = rdbr_left(r) / 4;
            if ((long long)size > left)
                size = (uint64_t)left;
            if ((long long)esize > left)
                esize = (uint64_t)left;
            if (size)
                dict_expand(db->keys, (unsigned long)size);
            if (esize)
                dict_expand(db->expires, (unsigned long)esize);
            continue;
        }
        case RDB_OPCODE_AUX:
            if (rdb_load_aux(r) != 0)
                goto fail;
            continue;
        case RDB_OPCODE_MODULE_AUX:
            rdbr_fail(r, "module data (MODULE_AUX) is not supported");
            goto fail;
        case RDB_OPCODE_FUNCTION2:
        case RDB_OPCODE_FUNCTION_PRE_GA:
            rdbr_fail(r, "functions (FUNCTION LOAD libraries) are not supported");
            goto fail;
        default: break;
        }
        if (!rdb_type_is_object(type)) {
            rdbr_fail(r, "unknown RDB type %d", type);
            goto fail;
        }
        rdb_str k;
        if (rdbr_string(r, RDB_STR_SCRATCH, &k) != 0)
            goto fail;
        if (keycap < k.len + 1) {
            free(key);
            keycap = k.len + 64;
            key = rdb_xmalloc(keycap);
        }
        memcpy(key, k.p, k.len);
        size_t klen = k.len;
        kobj *o = NULL;
        if (rdb_load_object(r, type, &o) != 0)
            goto fail;
        if (!o) {
            st->empty++; /* an empty collection: Redis 7.0 skips it too */
        } else if (expire != -1 && expire < now && !aof_preamble) {
            obj_decr_ref(o);
            st->expired++;
        } else {
            if (pend.n && pend.db != db && rdb_pending_flush(r, &pend, &st->loaded) != 0)
                goto fail;
            pend.db = db;
            pend.keys[pend.n] = buf_new(key, klen);
            pend.vals[pend.n] = o;
            pend.expires[pend.n] = expire;
            if (++pend.n == RDB_LOAD_BATCH && rdb_pending_flush(r, &pend, &st->loaded) != 0)
                goto fail;
        }
        expire = -1;
        if (delay)
            persist_debug_delay(delay);
        persist_loading_progress(s, (long long)rdbr_offset(r), st->loaded);
    }
done:
    free(key);
    key = NULL;
    if (r->version >= 5) {
        rdbr_crc_sync(r);
        uint64_t expected = r->crc;
        int checking = r->checksum;
        r->checksum = 0;
        unsigned char b[8];
        if (rdbr_read(r, b, 8) != 0)
            goto fail;
        uint64_t got = 0;
        for (int i = 7; i >= 0; i--)
            got = (got << 8) | b[i];
        if (checking) {
            if (got == 0) {
                log_notice("RDB file was saved with checksum disabled: no check performed.");
            } else if (got != expected) {
                r->pos -= 8; /* point at the trailer (read through the buffer) */
                rdbr_fail(r, "wrong RDB checksum expected: (%016" PRIx64 ") got (%016" PRIx64 ")",
                          got, expected);
                goto fail;
            }
        }
    }
    return 0;
fail:
    rdb_pending_drop(&pend);
    free(key);
    return -1;
}

static int rdb_load_stream(server *s, FILE *fp, const char *name, int aof_preamble, char *err,
                           size_t errlen)
{
    rdb_reader r = {0};
    r.s = s;
    r.fp = fp;
    r.name = name;
    r.err = err;
    r.errlen = errlen;
    r.checksum = s->cfg.rdbchecksum;
    r.buf = rdb_xmalloc(RDB_IO_BUF);
    r.size = -1;
    off_t start = ftello(fp);
    struct stat st;
    if (start >= 0 && fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode))
        r.size = (long long)(st.st_size - start);

    rdb_load_stats stats = {0};
    int64_t t0 = (int64_t)util_monotonic_us();
    persist_loading_start(s, r.size > 0 ? r.size : 0);
    int rc = -1;
    char magic[10];
    if (rdbr_read(&r, magic, 9) == 0) {
        magic[9] = '\0';
        if (memcmp(magic, "REDIS", 5) != 0) {
            r.pos = r.base = 0;
            rdbr_fail(&r, "wrong signature: not an RDB file");
        } else {
            r.version = atoi(magic + 5);
            if (r.version < 1 || r.version > RDB_VERSION)
                rdbr_fail(&r, "can't handle RDB format version %d", r.version);
            else
                rc = rdb_load_body(&r, aof_preamble, &stats);
        }
    }
    persist_loading_end(s, rc == 0);
    if (rc == 0) {
        /* Leave the stream just past the RDB (an AOF's commands follow). */
        if (start >= 0)
            fseeko(fp, start + (off_t)rdbr_offset(&r), SEEK_SET);
        double secs = (double)((int64_t)util_monotonic_us() - t0) / 1e6;
        if (stats.empty)
            log_notice("Done loading RDB, keys loaded: %lld, keys expired: %lld, empty keys "
                       "skipped: %lld.",
                       stats.loaded, stats.expired, stats.empty);
        else
            log_notice("Done loading RDB, keys loaded: %lld, keys expired: %lld.", stats.loaded,
                       stats.expired);
        log_notice("DB loaded from disk: %.3f seconds", secs);
        rdb_last_load = stats;
    }
    free(r.buf);
    free(r.scratch);
    free(r.lzf_in);
    return rc;
}

int rdb_load_from_file(server *s, FILE *fp, const char *name, char *err, size_t errlen)
{
    return rdb_load_stream(s, fp, name, 1, err, errlen);
}

int rdb_load(server *s, const char *path, int *missing, char *err, size_t errlen)
{
    *missing = 0;
    FILE *fp = fopen(path, "r");
    if (!fp) {
        if (errno == ENOENT) {
            *missing = 1;
            return 0;
        }
        snprintf(err, errlen, "Fatal error loading the DB from %s: %s. Exiting.", path,
                 strerror(errno));
        return -1;
    }
    int rc = rdb_load_stream(s, fp, path, 0, err, errlen);
    fclose(fp);
    return rc;
}
