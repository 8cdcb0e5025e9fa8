/* config.c: owns the redis.conf syntax: splitting lines into arguments,
 * walking files and strings directive by directive (with `include`),
 * locating errors by file and line, turning command-line arguments into
 * directive lines, and the shared value syntaxes (yes/no, memory sizes).
 * What the directives mean is the caller's business. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ splitting */

static int config_is_hex(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int config_hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

void config_free_args(buf *argv, int argc)
{
    if (!argv)
        return;
    for (int i = 0; i < argc; i++)
        buf_free(argv[i]);
    free(argv);
}

/* Read one argument starting at p (not a space) into *out.  Returns where
 * the next argument may start, or NULL on unbalanced quotes.  The rules are
 * sdssplitargs's, so a line means the same to Keel as to Redis: a quote may
 * open in the middle of an argument (foo"bar" is foobar), but a closing
 * quote must end the argument, so "foo"bar is an error rather than a guess. */
static const char *config_split_one(const char *p, buf *out)
{
    buf cur = buf_empty();
    int inq = 0, insq = 0;

    for (;; p++) {
        if (inq) {
            if (p[0] == '\\' && p[1] == 'x' && config_is_hex((unsigned char)p[2]) &&
                config_is_hex((unsigned char)p[3])) {
                char byte = (char)(config_hex_val((unsigned char)p[2]) * 16 +
                                   config_hex_val((unsigned char)p[3]));
                cur = buf_cat(cur, &byte, 1);
                p += 3;
            } else if (p[0] == '\\' && p[1]) {
                char c;
                p++;
                switch (*p) {
                case 'n': c = '\n'; break;
                case 'r': c = '\r'; break;
                case 't': c = '\t'; break;
                case 'b': c = '\b'; break;
                case 'a': c = '\a'; break;
                default: c = *p; break;
                }
                cur = buf_cat(cur, &c, 1);
            } else if (*p == '"') {
                if (p[1] && !isspace((unsigned char)p[1]))
                    break;
                *out = cur;
                return p + 1;
            } else if (!*p) {
                break;
            } else {
                cur = buf_cat(cur, p, 1);
            }
        } else if (insq) {
            if (p[0] == '\\' && p[1] == '\'') {
                p++;
                cur = buf_cat(cur, "'", 1);
            } else if (*p == '\'') {
                if (p[1] && !isspace((unsigned char)p[1]))
                    break;
                *out = cur;
                return p + 1;
            } else if (!*p) {
                break;
            } else {
                cur = buf_cat(cur, p, 1);
            }
        } else {
            switch (*p) {
            case ' ':
            case '\n':
            case '\r':
            case '\t':
            case '\0': *out = cur; return p;
            case '"': inq = 1; break;
            case '\'': insq = 1; break;
            default: cur = buf_cat(cur, p, 1); break;
            }
        }
    }
    buf_free(cur);
    return NULL;
}

buf *config_split_args(const char *line, int *argc)
{
    const char *p = line;
    buf *vec = NULL;
    int n = 0, cap = 0;

    *argc = 0;
    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        buf cur;
        p = config_split_one(p, &cur);
        if (!p) {
            config_free_args(vec, n);
            return NULL;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 4;
            buf *nv = realloc(vec, sizeof(buf) * (size_t)cap);
            if (!nv)
                abort();
            vec = nv;
        }
        vec[n++] = cur;
    }
    if (!vec) {
        vec = malloc(sizeof(buf));
        if (!vec)
            abort();
    }
    *argc = n;
    return vec;
}

/* -------------------------------------------------------------- errors */

static void config_copy(char *dst, size_t dstlen, const char *src)
{
    snprintf(dst, dstlen, "%s", src ? src : "");
}

void config_error_set(config_error *err, const char *fmt, ...)
{
    va_list ap;
    err->file[0] = '\0';
    err->line = 0;
    err->text[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

int config_error_format(const config_error *err, char *dst, size_t dstlen)
{
    if (err->line > 0)
        return snprintf(dst, dstlen,
                        "*** FATAL CONFIG FILE ERROR ***\n"
                        "Reading the configuration file, at line %d (%s:%d)\n"
                        ">>> '%s'\n"
                        "%s\n",
                        err->line, err->file, err->line, err->text, err->msg);
    return snprintf(dst, dstlen, "*** FATAL CONFIG FILE ERROR ***\n%s\n", err->msg);
}

/* ------------------------------------------------------------- walking */

typedef struct config_walk {
    config_directive_fn *fn;
    void *ctx;
    config_error *err;
    int depth; /* include nesting: a file including itself must not recurse forever */
} config_walk;

static int config_walk_file(config_walk *w, const char *path);

static void config_walk_fail(config_walk *w, const config_origin *where, const char *msg)
{
    config_copy(w->err->file, sizeof(w->err->file), where->file);
    w->err->line = where->line;
    config_copy(w->err->text, sizeof(w->err->text), where->text);
    config_copy(w->err->msg, sizeof(w->err->msg), msg);
}

/* Read a whole stream into a buf.  0 on success, -1 with errno set. */
static int config_read_stream(FILE *fp, buf *out)
{
    char chunk[4096];
    size_t n;
    buf b = buf_empty();
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        b = buf_cat(b, chunk, n);
    if (ferror(fp)) {
        int saved = errno ? errno : EIO;
        buf_free(b);
        errno = saved;
        return -1;
    }
    *out = b;
    return 0;
}

/* `include <path>`: a failure to open names the included file, but is
 * reported at the include line, which is what the operator must fix. */
static int config_walk_include(config_walk *w, const char *path, const config_origin *where)
{
    char msg[CONFIG_ERR_MSG_MAX];

    if (w->depth >= CONFIG_INCLUDE_DEPTH_MAX) {
        snprintf(msg, sizeof(msg), "Too many nested includes (more than %d)",
                 CONFIG_INCLUDE_DEPTH_MAX);
        config_walk_fail(w, where, msg);
        return -1;
    }

    if (!strpbrk(path, "*?[")) {
        FILE *fp = fopen(path, "r");
        if (!fp) {
            snprintf(msg, sizeof(msg), "Fatal error, can't open config file '%s': %s", path,
                     strerror(errno));
            config_walk_fail(w, where, msg);
            return -1;
        }
        fclose(fp);
        w->depth++;
        int rc = config_walk_file(w, path);
        w->depth--;
        return rc;
    }

    /* Wildcards: an empty conf.d directory is fine, as in Redis. */
    glob_t g;
    int grc = glob(path, 0, NULL, &g);
    if (grc == GLOB_NOMATCH)
        return 0;
    if (grc != 0) {
        snprintf(msg, sizeof(msg), "Fatal error, can't expand config file pattern '%s'", path);
        config_walk_fail(w, where, msg);
        return -1;
    }
    int rc = 0;
    w->depth++;
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
        FILE *fp = fopen(g.gl_pathv[i], "r");
        if (!fp) {
            snprintf(msg, sizeof(msg), "Fatal error, can't open config file '%s': %s",
                     g.gl_pathv[i], strerror(errno));
            config_walk_fail(w, where, msg);
            rc = -1;
            break;
        }
        fclose(fp);
        rc = config_walk_file(w, g.gl_pathv[i]);
    }
    w->depth--;
    globfree(&g);
    return rc;
}

static int config_is_trim(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Walk text line by line.  Lines are trimmed of spaces, tabs and CR/LF
 * first, so "  # note" is a comment and CRLF files work. */
static int config_walk_text(config_walk *w, const char *text, size_t len, const char *origin)
{
    size_t pos = 0;
    int linenum = 0;
    buf line = buf_empty();

    while (pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - start) : len - pos;
        pos += llen + (nl ? 1 : 0);
        linenum++;

        while (llen && config_is_trim(start[0])) {
            start++;
            llen--;
        }
        while (llen && config_is_trim(start[llen - 1]))
            llen--;
        line = buf_cpy(line, start, llen);
        if (line[0] == '#' || line[0] == '\0')
            continue;

        config_origin where = {origin, linenum, line};
        int argc;
        buf *argv = config_split_args(line, &argc);
        if (!argv) {
            config_walk_fail(w, &where, "Unbalanced quotes in configuration line");
            buf_free(line);
            return -1;
        }
        if (argc == 0) {
            config_free_args(argv, argc);
            continue;
        }
        buf_tolower(argv[0]);

        int rc;
        if (!strcmp(argv[0], "include") && argc == 2) {
            rc = config_walk_include(w, argv[1], &where);
        } else {
            char msg[CONFIG_ERR_MSG_MAX];
            msg[0] = '\0';
            rc = w->fn(w->ctx, argc, argv, &where, msg, sizeof(msg));
            if (rc != 0)
                config_walk_fail(w, &where, msg[0] ? msg : "Invalid directive");
        }
        config_free_args(argv, argc);
        if (rc != 0) {
            buf_free(line);
            return -1;
        }
    }
    buf_free(line);
    return 0;
}

static int config_walk_file(config_walk *w, const char *path)
{
    FILE *fp;
    int is_stdin = !strcmp(path, "-");
    buf text;

    fp = is_stdin ? stdin : fopen(path, "r");
    if (!fp) {
        config_error_set(w->err, "Fatal error, can't open config file '%s': %s", path,
                         strerror(errno));
        config_copy(w->err->file, sizeof(w->err->file), path);
        return -1;
    }
    int rrc = config_read_stream(fp, &text);
    int saved = errno;
    if (!is_stdin)
        fclose(fp);
    if (rrc != 0) {
        config_error_set(w->err, "Fatal error, can't read config file '%s': %s", path,
                         strerror(saved));
        config_copy(w->err->file, sizeof(w->err->file), path);
        return -1;
    }
    int rc = config_walk_text(w, text, buf_len(text), is_stdin ? "stdin" : path);
    buf_free(text);
    return rc;
}

int config_parse_file(const char *path, config_directive_fn *fn, void *ctx, config_error *err)
{
    config_walk w = {fn, ctx, err, 0};
    return config_walk_file(&w, path);
}

int config_parse_string(const char *text, const char *origin, config_directive_fn *fn, void *ctx,
                        config_error *err)
{
    config_walk w = {fn, ctx, err, 0};
    return config_walk_text(&w, text, strlen(text), origin ? origin : "string");
}

/* -------------------------------------------------------- command line */

static int config_is_option_name(const char *a)
{
    return a[0] == '-' && a[1] == '-';
}

buf config_args_to_string(int argc, char **argv)
{
    buf out = buf_empty();
    /* Whether the previous "--name" already has a value: until it does, the
     * next argument is its value whatever it looks like. */
    int has_value = 1;

    for (int j = 0; j < argc; j++) {
        const char *a = argv[j];
        if (has_value && config_is_option_name(a)) {
            if (buf_len(out))
                out = buf_cat(out, "\n", 1);
            out = buf_cat_cstr(out, a + 2);
            out = buf_cat(out, " ", 1);
            int n = 0;
            buf *parts = config_split_args(a, &n);
            if (parts && n == 1) {
                has_value = 0;
                /* `--save` alone (last, or followed by another option) is
                 * how scripts spell "no snapshots"; keep its meaning. */
                if (!strcasecmp(a, "--save") &&
                    (j == argc - 1 || config_is_option_name(argv[j + 1]))) {
                    out = buf_cat_cstr(out, "\"\"");
                    has_value = 1;
                }
            } else {
                has_value = 1; /* "--port 6380" as one argument */
            }
            config_free_args(parts, n);
        } else {
            out = buf_cat_repr(out, a, strlen(a));
            out = buf_cat(out, " ", 1);
            has_value = 1;
        }
    }
    if (buf_len(out))
        out = buf_cat(out, "\n", 1);
    return out;
}

/* -------------------------------------------------------- value syntax */

int config_parse_yesno(const char *s)
{
    if (!strcasecmp(s, "yes"))
        return 1;
    if (!strcasecmp(s, "no"))
        return 0;
    return -1;
}

int config_parse_memory(const char *s, unsigned long long *out)
{
    static const struct {
        const char *unit;
        unsigned long long mul;
    } units[] = {
        {"", 1ULL},
        {"b", 1ULL},
        {"k", 1000ULL},
        {"kb", 1024ULL},
        {"m", 1000ULL * 1000},
        {"mb", 1024ULL * 1024},
        {"g", 1000ULL * 1000 * 1000},
        {"gb", 1024ULL * 1024 * 1024},
    };
    const char *u = s;
    unsigned long long v = 0, mul = 0;
    int saturated = 0;

    while (*u >= '0' && *u <= '9') {
        unsigned d = (unsigned)(*u - '0');
        if (v > (ULLONG_MAX - d) / 10)
            saturated = 1;
        else
            v = v * 10 + d;
        u++;
    }
    if (u == s)
        return 0; /* no digits: "", "kb", "-1", "+5", " 1" */
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (!strcasecmp(u, units[i].unit)) {
            mul = units[i].mul;
            break;
        }
    }
    if (mul == 0)
        return 0;
    if (saturated || (v && mul > ULLONG_MAX / v))
        *out = ULLONG_MAX;
    else
        *out = v * mul;
    return 1;
}

int config_format_memory(char *dst, size_t dstlen, unsigned long long bytes)
{
    const unsigned long long gb = 1024ULL * 1024 * 1024, mb = 1024ULL * 1024, kb = 1024ULL;
    if (bytes && bytes % gb == 0)
        return snprintf(dst, dstlen, "%llugb", bytes / gb);
    if (bytes && bytes % mb == 0)
        return snprintf(dst, dstlen, "%llumb", bytes / mb);
    if (bytes && bytes % kb == 0)
        return snprintf(dst, dstlen, "%llukb", bytes / kb);
    return snprintf(dst, dstlen, "%llu", bytes);
}
