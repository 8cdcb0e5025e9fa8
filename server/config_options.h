/* config_options.h: what the option table (config_options.c) and the
 * CONFIG machinery (config.c) share: the option types and flags, the
 * table itself, and the runtime effects config.c implements. */
#ifndef KEEL_CONFIG_OPTIONS_H
#define KEEL_CONFIG_OPTIONS_H

#include "config.h"

enum {
    OPT_BOOL,    /* int: yes/no */
    OPT_INT,     /* int, bounds in [min,max]; values above INT_MAX are stored as INT_MAX */
    OPT_MEM_LL,  /* long long with memory units, bounds in [min,max] */
    OPT_MEM_ULL, /* unsigned long long with memory units */
    OPT_STRING,  /* char *, malloc'ed */
    OPT_ENUM,    /* int, one of `enums` */
    OPT_BIND,    /* char *bind[], int bind_count: several addresses */
    OPT_DIR,     /* char *dir: chdir() as it is set */
    OPT_CUSTOM,  /* parsed and shown by the option's own parse/format */
};

#define OPT_IMMUTABLE (1u << 0)  /* start-up only: CONFIG SET refuses */
#define OPT_PROTECTED (1u << 1)  /* CONFIG SET only if enable-protected-configs allows */
#define OPT_SENSITIVE (1u << 2)  /* a secret: never written to the log */
#define OPT_EMPTY_NULL (1u << 3) /* OPT_STRING: "" is stored as NULL */
/* several arguments in the file; one space-separated value in SET */
#define OPT_MULTI_ARG (1u << 4)
/* the value names a file whose contents may change: SET applies it even
 * when the value is the same (reloading a renewed certificate) */
#define OPT_VOLATILE (1u << 5)

typedef struct config_enum_item {
    const char *name;
    int value;
} config_enum_item;

/* A runtime effect of a changed value, run after every value of one CONFIG
 * SET is stored.  Returns 1, or 0 with *err set; SET then restores the old
 * values and runs the effects again. */
typedef int config_apply_fn(server *s, const char **err);

/* OPT_CUSTOM: store argv into cfg (1), or leave cfg untouched and set *err
 * (0); and append the value as CONFIG GET shows it. */
typedef int config_parse_fn(server_config *cfg, int argc, char **argv, const char **err);
typedef buf config_format_fn(buf out, const server_config *cfg);

typedef struct config_option {
    const char *name;
    const char *alias;
    int type;
    unsigned flags;
    size_t offset; /* of the value in server_config, unless `global` is set */
    void *global;  /* a value kept in this file rather than in server_config */
    long long min, max;
    long long def;       /* default of numeric, bool and enum options */
    const char *def_str; /* default of string options (NULL: unset) */
    const config_enum_item *enums;
    config_apply_fn *apply;
    config_parse_fn *parse;   /* OPT_CUSTOM */
    config_format_fn *format; /* OPT_CUSTOM; the default is def_str, parsed */
} config_option;

enum { PROTECTED_NO = 0, PROTECTED_YES = 1, PROTECTED_LOCAL = 2 };

extern const config_option config_options[];
extern const int config_option_count;
/* enable-protected-configs: only CONFIG SET reads it, so it is no field of
 * server_config. */
extern int config_enable_protected;

/* Implemented in config.c. */
int config_parse_notify(server_config *cfg, int argc, char **argv, const char **err);
buf config_format_notify(buf out, const server_config *cfg);
int config_parse_obuf(server_config *cfg, int argc, char **argv, const char **err);
buf config_format_obuf(buf out, const server_config *cfg);
int config_apply_port(server *s, const char **err);
int config_apply_bind(server *s, const char **err);
int config_apply_loglevel(server *s, const char **err);
int config_apply_hz(server *s, const char **err);

#endif
