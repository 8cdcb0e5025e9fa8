/* cli_output: keel-cli's output buffer and reply formatting.
 *
 * Formats replies exactly as redis-cli 7.0 prints them: the human form (on
 * a tty, or with --no-raw) with quoted strings, "(integer)", "(nil)",
 * "(error)" and numbered, indented arrays; and the raw form (pipes, --raw)
 * with the bytes as they are, one array element per line. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_die_oom(void)
{
    fputs("keel-cli: out of memory\n", stderr);
    exit(1);
}

void *cli_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        cli_die_oom();
    return q;
}

char *cli_xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        cli_die_oom();
    return d;
}

void cli_out_cat(struct cli_out *o, const void *p, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < o->len + n + 1)
            cap *= 2;
        o->p = cli_xrealloc(o->p, cap);
        o->cap = cap;
    }
    if (n > 0) /* p may be NULL when there is nothing to copy */
        memcpy(o->p + o->len, p, n);
    o->len += n;
    o->p[o->len] = '\0';
}

void cli_out_cats(struct cli_out *o, const char *s)
{
    cli_out_cat(o, s, strlen(s));
}

void cli_out_catc(struct cli_out *o, char c)
{
    cli_out_cat(o, &c, 1);
}

static void cli_out_catspaces(struct cli_out *o, size_t n)
{
    while (n--)
        cli_out_catc(o, ' ');
}

void cli_out_printf(struct cli_out *o, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        cli_out_cat(o, small, (size_t)n);
        return;
    }
    char *big = cli_xrealloc(NULL, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    cli_out_cat(o, big, (size_t)n);
    free(big);
}

/* Writes and flushes: replies must appear as they arrive (MONITOR, pipes).
 * SIGPIPE is ignored for the socket's sake, so a reader that went away on
 * stdout shows up here as a write error, and there is nobody left to talk to. */
void cli_out_flush_to(struct cli_out *o, FILE *f)
{
    if (o->len && fwrite(o->p, 1, o->len, f) != o->len)
        exit(1);
    if (fflush(f) != 0)
        exit(1);
    o->len = 0;
}

void cli_out_free(struct cli_out *o)
{
    free(o->p);
    o->p = NULL;
    o->len = o->cap = 0;
}

/* ---------------------------------------------------------------------------
 * Reply formatting. */

/* A string in double quotes, escaped so any bytes read back unambiguously:
 * printable ASCII as is (\ and " escaped), the common control characters by
 * name, everything else as \xHH.  isprint() is not used on purpose: it
 * depends on the locale, and the output must not. */
void cli_repr(struct cli_out *o, const char *p, size_t len)
{
    cli_out_catc(o, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        switch (c) {
        case '\\': cli_out_cats(o, "\\\\"); break;
        case '"': cli_out_cats(o, "\\\""); break;
        case '\n': cli_out_cats(o, "\\n"); break;
        case '\r': cli_out_cats(o, "\\r"); break;
        case '\t': cli_out_cats(o, "\\t"); break;
        case '\a': cli_out_cats(o, "\\a"); break;
        case '\b': cli_out_cats(o, "\\b"); break;
        default:
            if (c >= 0x20 && c <= 0x7e)
                cli_out_catc(o, (char)c);
            else
                cli_out_printf(o, "\\x%02x", c);
        }
    }
    cli_out_catc(o, '"');
}

/* Human form, one line per leaf.  Array elements are numbered "1) " with
 * the numbers right-aligned to the widest index; a nested array starts on
 * its parent's line, and its later lines are indented by the width of every
 * label to their left, so columns line up at any depth. */
void cli_format_human(struct cli_out *o, const redisReply *r, size_t indent)
{
    switch (r->type) {
    case REDIS_REPLY_STRING:
        cli_repr(o, r->str, r->len);
        cli_out_catc(o, '\n');
        break;
    case REDIS_REPLY_STATUS:
        cli_out_cat(o, r->str, r->len);
        cli_out_catc(o, '\n');
        break;
    case REDIS_REPLY_ERROR:
        cli_out_cats(o, "(error) ");
        cli_out_cat(o, r->str, r->len);
        cli_out_catc(o, '\n');
        break;
    case REDIS_REPLY_INTEGER: cli_out_printf(o, "(integer) %lld\n", r->integer); break;
    case REDIS_REPLY_NIL: cli_out_cats(o, "(nil)\n"); break;
    case REDIS_REPLY_ARRAY: {
        if (r->elements == 0) {
            cli_out_cats(o, "(empty array)\n");
            break;
        }
        char label[32];
        int width = snprintf(label, sizeof(label), "%zu", r->elements);
        for (size_t i = 0; i < r->elements; i++) {
            if (i > 0)
                cli_out_catspaces(o, indent);
            int n = snprintf(label, sizeof(label), "%*zu) ", width, i + 1);
            cli_out_cat(o, label, (size_t)n);
            cli_format_human(o, r->element[i], indent + (size_t)n);
        }
        break;
    }
    default: cli_out_printf(o, "(unknown reply type %d)\n", r->type);
    }
}

/* Raw form: the bytes themselves, array elements separated by newlines.
 * An error keeps a newline of its own, so in raw output it is followed by
 * an empty line, as redis-cli prints it. */
void cli_format_raw(struct cli_out *o, const redisReply *r)
{
    switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS: cli_out_cat(o, r->str, r->len); break;
    case REDIS_REPLY_ERROR:
        cli_out_cat(o, r->str, r->len);
        cli_out_catc(o, '\n');
        break;
    case REDIS_REPLY_INTEGER: cli_out_printf(o, "%lld", r->integer); break;
    case REDIS_REPLY_NIL: break;
    case REDIS_REPLY_ARRAY:
        for (size_t i = 0; i < r->elements; i++) {
            if (i > 0)
                cli_out_catc(o, '\n');
            cli_format_raw(o, r->element[i]);
        }
        break;
    default: cli_out_printf(o, "(unknown reply type %d)", r->type);
    }
}

void cli_format_reply(struct cli_out *o, const redisReply *r, enum cli_style style)
{
    if (style == CLI_STYLE_HUMAN) {
        cli_format_human(o, r, 0);
    } else {
        cli_format_raw(o, r);
        if (style == CLI_STYLE_RAW)
            cli_out_catc(o, '\n');
    }
}
