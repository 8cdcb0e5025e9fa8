/* aof_manifest: the multi-part AOF's directory and manifest (Redis 7.0's
 * layout).  The manifest is the only record of which files make up the
 * dataset, so it is always replaced atomically: written to a temporary
 * file, fsynced, renamed over the old one, and the directory fsynced.  A
 * crash at any point leaves either the old manifest or the new one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aof_int.h"
#include "config.h"

#define AOF_MANIFEST_SUFFIX ".manifest"
#define AOF_MANIFEST_MAX_LINE 1024

static char *aof_strdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static char *aof_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *aof_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0)
        abort();
    va_end(ap);
    return out;
}

/* ------------------------------------------------------------ the struct */

aof_manifest *aof_manifest_new(void)
{
    aof_manifest *am = calloc(1, sizeof(*am));
    if (!am)
        abort();
    return am;
}

static void aof_file_free_fields(aof_file *f)
{
    free(f->name);
    f->name = NULL;
}

void aof_manifest_free(aof_manifest *am)
{
    if (!am)
        return;
    if (am->base) {
        aof_file_free_fields(am->base);
        free(am->base);
    }
    for (int i = 0; i < am->nincr; i++)
        aof_file_free_fields(&am->incr[i]);
    for (int i = 0; i < am->nhist; i++)
        aof_file_free_fields(&am->hist[i]);
    free(am->incr);
    free(am->hist);
    free(am);
}

static void aof_list_push(aof_file **list, int *n, const char *name, long long seq, char type)
{
    aof_file *nl = realloc(*list, sizeof(aof_file) * (size_t)(*n + 1));
    if (!nl)
        abort();
    nl[*n] = (aof_file){aof_strdup(name), seq, type};
    *list = nl;
    (*n)++;
}

aof_manifest *aof_manifest_dup(const aof_manifest *am)
{
    aof_manifest *d = aof_manifest_new();
    if (am->base) {
        d->base = malloc(sizeof(aof_file));
        if (!d->base)
            abort();
        *d->base = (aof_file){aof_strdup(am->base->name), am->base->seq, am->base->type};
    }
    for (int i = 0; i < am->nincr; i++)
        aof_list_push(&d->incr, &d->nincr, am->incr[i].name, am->incr[i].seq, am->incr[i].type);
    for (int i = 0; i < am->nhist; i++)
        aof_list_push(&d->hist, &d->nhist, am->hist[i].name, am->hist[i].seq, am->hist[i].type);
    d->base_seq = am->base_seq;
    d->incr_seq = am->incr_seq;
    return d;
}

const char *aof_manifest_new_base(server *s, aof_manifest *am, int rdb_format)
{
    if (am->base) {
        /* The old base is history now: listed first among them, as Redis. */
        aof_file *nl = realloc(am->hist, sizeof(aof_file) * (size_t)(am->nhist + 1));
        if (!nl)
            abort();
        memmove(nl + 1, nl, sizeof(aof_file) * (size_t)am->nhist);
        nl[0] = *am->base;
        nl[0].type = AOF_TYPE_HIST;
        am->hist = nl;
        am->nhist++;
        free(am->base);
    }
    am->base = malloc(sizeof(aof_file));
    if (!am->base)
        abort();
    am->base_seq++;
    am->base->name = aof_printf("%s.%lld.base.%s", s->cfg.appendfilename, am->base_seq,
                                rdb_format ? "rdb" : "aof");
    am->base->seq = am->base_seq;
    am->base->type = AOF_TYPE_BASE;
    return am->base->name;
}

const char *aof_manifest_new_incr(server *s, aof_manifest *am)
{
    am->incr_seq++;
    char *name = aof_printf("%s.%lld.incr.aof", s->cfg.appendfilename, am->incr_seq);
    aof_list_push(&am->incr, &am->nincr, name, am->incr_seq, AOF_TYPE_INCR);
    free(name);
    return am->incr[am->nincr - 1].name;
}

void aof_manifest_retire_incrs(aof_manifest *am, int keep)
{
    int retire = am->nincr - keep;
    if (retire <= 0)
        return;
    for (int i = 0; i < retire; i++) {
        aof_list_push(&am->hist, &am->nhist, am->incr[i].name, am->incr[i].seq, AOF_TYPE_HIST);
        aof_file_free_fields(&am->incr[i]);
    }
    memmove(am->incr, am->incr + retire, sizeof(aof_file) * (size_t)keep);
    am->nincr = keep;
}

/* ---------------------------------------------------------------- paths */

char *aof_path(server *s, const char *name)
{
    return aof_printf("%s/%s", s->cfg.appenddirname, name);
}

int aof_name_is_basename(const char *name)
{
    return name && name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

int aof_dir_ensure(server *s)
{
    if (mkdir(s->cfg.appenddirname, 0755) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(s->cfg.appenddirname, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        errno = ENOTDIR;
    }
    return -1;
}

char *aof_temp_incr_name(server *s)
{
    return aof_printf(AOF_TEMP_INCR_PREFIX "%s" AOF_TEMP_INCR_SUFFIX, s->cfg.appendfilename);
}

long long aof_file_size(server *s, const char *name)
{
    char *path = aof_path(s, name);
    struct stat st;
    int rc = stat(path, &st);
    free(path);
    return rc == 0 ? (long long)st.st_size : -1;
}

static int aof_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int aof_dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* fsync the directory holding `path`, so a rename or a new file in it
 * survives a power loss. */
static int aof_fsync_dir_of(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    int fd = open(dir, O_RDONLY);
    if (fd == -1)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* ------------------------------------------------------- read and write */

static void aof_line_error(char *err, size_t errlen, int linenum, const char *line, const char *why)
{
    if (line)
        snprintf(err, errlen,
                 "*** FATAL AOF MANIFEST FILE ERROR *** %s (reading the manifest file, at line %d: "
                 "'%.200s')",
                 why, linenum, line);
    else
        snprintf(err, errlen, "*** FATAL AOF MANIFEST FILE ERROR *** %s", why);
}

/* Parse one manifest line into f; NULL on success, else why not. */
static const char *aof_manifest_parse_line(char *line, aof_file *f)
{
    int argc;
    buf *argv = config_split_args(line, &argc);
    /* argc >= 6 and even: Redis leaves room for more key/value pairs. */
    if (!argv || argc < 6 || argc % 2) {
        if (argv)
            config_free_args(argv, argc);
        return "Invalid AOF manifest file format";
    }
    const char *why = NULL;
    for (int i = 0; i < argc && !why; i += 2) {
        if (!strcasecmp(argv[i], "file")) {
            if (!aof_name_is_basename(argv[i + 1]))
                why = "File can't be a path, just a filename";
            else {
                free(f->name);
                f->name = aof_strdup(argv[i + 1]);
            }
        } else if (!strcasecmp(argv[i], "seq")) {
            f->seq = atoll(argv[i + 1]);
        } else if (!strcasecmp(argv[i], "type")) {
            f->type = argv[i + 1][0];
        }
    }
    config_free_args(argv, argc);
    if (!why && (!f->name || f->seq <= 0 || !f->type))
        why = "Invalid AOF manifest file format";
    return why;
}

int aof_manifest_load(server *s, aof_manifest **out, char *err, size_t errlen)
{
    *out = aof_manifest_new();
    if (!aof_dir_exists(s->cfg.appenddirname))
        return 0;
    char *name = aof_printf("%s%s", s->cfg.appendfilename, AOF_MANIFEST_SUFFIX);
    char *path = aof_path(s, name);
    free(name);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        int missing = errno == ENOENT;
        if (!missing)
            snprintf(err, errlen,
                     "Fatal error: can't open the AOF manifest file %s for reading: %s", path,
                     strerror(errno));
        free(path);
        return missing ? 0 : -1;
    }
    free(path);

    aof_manifest *am = *out;
    char line[AOF_MANIFEST_MAX_LINE + 2];
    int linenum = 0;
    long long maxseq = 0;
    const char *why = NULL;
    while (!why) {
        if (!fgets(line, sizeof(line), fp)) {
            if (ferror(fp))
                why = "Read AOF manifest failed";
            else if (linenum == 0)
                why = "Found an empty AOF manifest";
            break;
        }
        linenum++;
        if (line[0] == '#')
            continue;
        if (!strchr(line, '\n') && !feof(fp)) {
            why = "The AOF manifest file contains too long line";
            break;
        }
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
            line[--n] = '\0';
        aof_file f = {0};
        why = aof_manifest_parse_line(line, &f);
        if (why) {
            free(f.name);
            break;
        }
        if (f.type == AOF_TYPE_BASE) {
            if (am->base) {
                why = "Found duplicate base file information";
                free(f.name);
                break;
            }
            am->base = malloc(sizeof(aof_file));
            if (!am->base)
                abort();
            *am->base = f;
            am->base_seq = f.seq;
        } else if (f.type == AOF_TYPE_HIST) {
            aof_list_push(&am->hist, &am->nhist, f.name, f.seq, f.type);
            free(f.name);
        } else if (f.type == AOF_TYPE_INCR) {
            if (f.seq <= maxseq) {
                why = "Found a non-monotonic sequence number";
                free(f.name);
                break;
            }
            aof_list_push(&am->incr, &am->nincr, f.name, f.seq, f.type);
            free(f.name);
            am->incr_seq = maxseq = f.seq;
        } else {
            why = "Unknown AOF file type";
            free(f.name);
        }
    }
    fclose(fp);
    if (why) {
        aof_line_error(err, errlen, linenum, linenum ? line : NULL, why);
        return -1;
    }
    return 1;
}

static buf aof_manifest_format_one(buf out, const aof_file *f)
{
    /* Names with spaces or odd bytes are quoted, as Redis's sdscatrepr. */
    int plain = 1;
    for (const char *p = f->name; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '\'' || *p == '\\' || (unsigned char)*p >= 127)
            plain = 0;
    out = buf_cat_cstr(out, "file ");
    out = plain ? buf_cat_cstr(out, f->name) : buf_cat_repr(out, f->name, strlen(f->name));
    return buf_cat_printf(out, " seq %lld type %c\n", f->seq, f->type);
}

buf aof_manifest_format(const aof_manifest *am)
{
    buf out = buf_empty();
    if (am->base)
        out = aof_manifest_format_one(out, am->base);
    for (int i = 0; i < am->nhist; i++)
        out = aof_manifest_format_one(out, &am->hist[i]);
    for (int i = 0; i < am->nincr; i++)
        out = aof_manifest_format_one(out, &am->incr[i]);
    return out;
}

int aof_manifest_persist(server *s, const aof_manifest *am)
{
    char *name = aof_printf("%s%s", s->cfg.appendfilename, AOF_MANIFEST_SUFFIX);
    char *tmpname = aof_printf("temp-%s%s", s->cfg.appendfilename, AOF_MANIFEST_SUFFIX);
    char *path = aof_path(s, name), *tmppath = aof_path(s, tmpname);
    buf text = aof_manifest_format(am);
    int rc = -1;
    int fd = open(tmppath, O_WRONLY | O_TRUNC | O_CREAT, 0644);
    if (fd == -1) {
        log_warning("Can't open the AOF manifest file %s: %s", tmpname, strerror(errno));
        goto done;
    }
    size_t off = 0, len = buf_len(text);
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_warning("Error trying to write the temporary AOF manifest file %s: %s", tmpname,
                        strerror(errno));
            goto done;
        }
        off += (size_t)n;
    }
    if (fsync(fd) == -1) {
        log_warning("Fail to fsync the temp AOF file %s: %s.", tmpname, strerror(errno));
        goto done;
    }
    if (rename(tmppath, path) != 0) {
        log_warning("Error trying to rename the temporary AOF manifest file %s into %s: %s",
                    tmpname, name, strerror(errno));
        goto done;
    }
    if (aof_fsync_dir_of(path) == -1) {
        log_warning("Fail to fsync AOF directory %s: %s.", path, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    if (fd != -1)
        close(fd);
    if (rc != 0)
        unlink(tmppath);
    buf_free(text);
    free(name);
    free(tmpname);
    free(path);
    free(tmppath);
    return rc;
}

/* -------------------------------------------------------------- upgrade */

/* Redis 7.0's three cases for a plain `appendfilename` in dir: no
 * directory; a directory without a manifest (or an empty one); or a
 * manifest naming that very file as its only base, which was not moved yet
 * (a crash between writing the manifest and the rename). */
int aof_upgrade_if_needed(server *s, aof_manifest *am)
{
    const char *old = s->cfg.appendfilename;
    if (!aof_file_exists(old))
        return 0;
    char *inside = aof_path(s, old);
    int inside_exists = aof_file_exists(inside);
    int upgrade = !aof_dir_exists(s->cfg.appenddirname) || (!am->base && am->nincr == 0) ||
                  (am->base && am->nincr == 0 && !strcmp(am->base->name, old) && !inside_exists);
    if (!upgrade) {
        free(inside);
        return 0;
    }
    if (aof_dir_ensure(s) == -1) {
        log_warning("Can't open or create append-only dir %s: %s", s->cfg.appenddirname,
                    strerror(errno));
        free(inside);
        return -1;
    }
    if (am->base) {
        free(am->base->name);
        free(am->base);
    }
    am->base = malloc(sizeof(aof_file));
    if (!am->base)
        abort();
    *am->base = (aof_file){aof_strdup(old), 1, AOF_TYPE_BASE};
    am->base_seq = 1;
    /* Manifest first, then the move: a crash in between is the third case
     * above, and the next start finishes the job. */
    if (aof_manifest_persist(s, am) != 0) {
        free(inside);
        return -1;
    }
    if (rename(old, inside) == -1) {
        log_warning("Error trying to move the old AOF file %s into dir %s: %s", old,
                    s->cfg.appenddirname, strerror(errno));
        free(inside);
        return -1;
    }
    aof_fsync_dir_of(inside);
    free(inside);
    log_notice("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).", old,
               s->cfg.appenddirname);
    return 0;
}

/* -------------------------------------------------------------- history */

void aof_delete_history(server *s)
{
    aof_manifest *am = aof.am;
    if (!am || am->nhist == 0)
        return;
    for (int i = 0; i < am->nhist; i++) {
        /* Unlinking a big file can take a while: the fsync thread does it. */
        log_notice("Removing the history file %s in the background", am->hist[i].name);
        aof_background_unlink(aof_path(s, am->hist[i].name));
        aof_file_free_fields(&am->hist[i]);
    }
    free(am->hist);
    am->hist = NULL;
    am->nhist = 0;
    aof_manifest_persist(s, am);
}
