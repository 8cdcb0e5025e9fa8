/* test_acl: ACL users against a real keel-server: a user limited to
 * `~cache:* +get +set` can do exactly that and every denial is in ACL LOG;
 * disabled and deleted users lose their connections; AUTH and HELLO AUTH
 * with users; requirepass as the default user's password; ACL SAVE/LOAD
 * with an aclfile; `user` lines in a config file.  Selectors: a user whose
 * root rules and `(...)` selectors each allow part of what it may do, the
 * denials (the most specific one wins), GETUSER's `selectors`, ACL LIST,
 * DRYRUN, clearselectors, and selectors kept through ACL SAVE/LOAD and
 * CONFIG REWRITE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void expect_status(redisContext *c, const char *cmd, const char *status)
{
    redisReply *r = harness_cmd(c, cmd);
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("%s: unexpected error %s", cmd, r->str);
    assert_string_equal(r->str, status);
    freeReplyObject(r);
}

static void expect_error(redisContext *c, const char *cmd, const char *err)
{
    redisReply *r = harness_cmd(c, cmd);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, err);
    freeReplyObject(r);
}

/* The `field` value of ACL LOG entry i, or NULL. */
static char *log_field(redisReply *log, size_t i, const char *field)
{
    if (i >= log->elements)
        return NULL;
    redisReply *e = log->element[i];
    for (size_t j = 0; j + 1 < e->elements; j += 2)
        if (strcmp(e->element[j]->str, field) == 0)
            return e->element[j + 1]->type == REDIS_REPLY_INTEGER ? "int" : e->element[j + 1]->str;
    return NULL;
}

static const char *const key_err =
    "NOPERM this user has no permissions to access one of the keys used as arguments";

static void test_limited_user(void **state)
{
    (void)state;
    harness_server s;
    assert_int_equal(harness_start_server(&s, ""), 0);
    redisContext *admin = harness_connect(&s);
    expect_status(admin, "ACL SETUSER cache on >secret ~cache:* +get +set", "OK");
    redisContext *c = harness_connect(&s);
    expect_status(c, "AUTH cache secret", "OK");
    redisReply *r = harness_cmd(c, "ACL WHOAMI");
    assert_non_null(r);
    freeReplyObject(r); /* ACL itself is not allowed: an error */
    expect_status(c, "SET cache:1 v", "OK");
    r = harness_cmd(c, "GET cache:1");
    assert_string_equal(r->str, "v");
    freeReplyObject(r);
    expect_error(c, "GET other", key_err);
    expect_error(c, "SET other v", key_err);
    expect_error(c, "DEL cache:1", "NOPERM this user has no permissions to run the 'del' command");
    expect_error(c, "CONFIG GET port",
                 "NOPERM this user has no permissions to run the 'config|get' command");
    expect_error(c, "PUBLISH ch m",
                 "NOPERM this user has no permissions to run the 'publish' "
                 "command");

    r = harness_cmd(admin, "ACL LOG");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements,
                     5); /* acl whoami, other (get and set), del, config|get, publish */
    assert_string_equal(log_field(r, 0, "object"), "publish");
    assert_string_equal(log_field(r, 0, "reason"), "command");
    assert_string_equal(log_field(r, 0, "username"), "cache");
    assert_string_equal(log_field(r, 0, "context"), "toplevel");
    assert_string_equal(log_field(r, 2, "object"), "del");
    assert_string_equal(log_field(r, 3, "object"), "other");
    assert_string_equal(log_field(r, 3, "reason"), "key");
    assert_non_null(strstr(log_field(r, 0, "client-info"), "user=cache"));
    freeReplyObject(r);

    /* the same denial again counts in the same entry */
    expect_error(c, "GET other", key_err);
    r = harness_cmd(admin, "ACL LOG 1");
    assert_int_equal(r->elements, 1);
    assert_int_equal(r->element[0]->element[1]->integer, 3); /* GET and SET other, and again */
    freeReplyObject(r);

    /* CLIENT LIST shows the user */
    r = harness_cmd(admin, "CLIENT LIST");
    assert_non_null(strstr(r->str, "user=cache"));
    freeReplyObject(r);

    /* a wrong password is logged as auth */
    expect_error(c, "AUTH cache nope",
                 "WRONGPASS invalid username-password pair or user is "
                 "disabled.");
    r = harness_cmd(admin, "ACL LOG 1");
    assert_string_equal(log_field(r, 0, "reason"), "auth");
    freeReplyObject(r);
    expect_status(admin, "ACL LOG RESET", "OK");
    r = harness_cmd(admin, "ACL LOG");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);

    /* disabling the user closes its connections */
    expect_status(admin, "ACL SETUSER cache off", "OK");
    harness_sleep_ms(100);
    r = redisCommand(c, "PING");
    assert_true(r == NULL || r->type == REDIS_REPLY_ERROR);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    c = harness_connect(&s);
    expect_error(c, "AUTH cache secret",
                 "WRONGPASS invalid username-password pair or user is disabled.");
    redisFree(c);
    redisFree(admin);
    harness_stop_server(&s);
}

static void test_auth_hello_requirepass(void **state)
{
    (void)state;
    harness_server s;
    assert_int_equal(harness_start_server(&s, "--requirepass pw"), 0);
    redisContext *c = harness_connect(&s);
    expect_error(c, "GET x", "NOAUTH Authentication required.");
    expect_status(c, "AUTH pw", "OK");
    expect_status(c, "ACL SETUSER bob on >b0b ~* &* +@all", "OK");
    redisReply *r = harness_cmd(c, "ACL GETUSER default");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 12);
    assert_string_equal(r->element[0]->str, "flags");
    assert_int_equal(r->element[3]->elements, 1); /* one password hash */
    assert_string_equal(r->element[11 - 1]->str, "selectors");
    freeReplyObject(r);
    redisContext *d = harness_connect(&s);
    r = harness_cmd(d, "HELLO 2 AUTH bob b0b");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    freeReplyObject(r);
    r = harness_cmd(d, "ACL WHOAMI");
    assert_string_equal(r->str, "bob");
    freeReplyObject(r);
    expect_error(d, "HELLO 2 AUTH bob wrong",
                 "WRONGPASS invalid username-password pair or user is disabled.");
    /* CONFIG SET requirepass changes the default user's password */
    expect_status(c, "CONFIG SET requirepass newpw", "OK");
    redisContext *e = harness_connect(&s);
    expect_error(e, "AUTH pw", "WRONGPASS invalid username-password pair or user is disabled.");
    expect_status(e, "AUTH default newpw", "OK");
    r = harness_cmd(c, "CONFIG SET requirepass %s", "");
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);
    redisContext *f = harness_connect(&s);
    expect_status(f, "PING", "PONG");
    /* deleting a user closes its connections */
    r = harness_cmd(c, "ACL DELUSER bob");
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    harness_sleep_ms(100);
    r = redisCommand(d, "PING");
    assert_true(r == NULL || r->type == REDIS_REPLY_ERROR);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    redisFree(d);
    redisFree(e);
    redisFree(f);
    harness_stop_server(&s);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_aclfile_save_load(void **state)
{
    (void)state;
    harness_server s;
    assert_int_equal(harness_make_dir(&s), 0);
    char path[400], args[500];
    snprintf(path, sizeof(path), "%s/users.acl", s.dir);
    write_file(path, "user alice on >a1 ~a:* +get\n");
    snprintf(args, sizeof(args), "--aclfile %s", path);
    assert_int_equal(harness_spawn_in_dir(&s, args), 0);
    assert_int_equal(harness_wait_ready(&s, 5000), 0);
    redisContext *c = harness_connect(&s);
    redisReply *r = harness_cmd(c, "ACL USERS");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "alice");
    freeReplyObject(r);
    expect_status(c, "ACL SETUSER carol on >c ~c:* +@read", "OK");
    expect_status(c, "ACL SAVE", "OK");
    r = harness_cmd(c, "ACL DELUSER carol");
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    r = harness_cmd(c, "ACL USERS");
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    expect_status(c, "ACL LOAD", "OK");
    r = harness_cmd(c, "ACL LIST");
    assert_int_equal(r->elements, 3);
    assert_non_null(strstr(r->element[1]->str, "user carol on #"));
    assert_non_null(strstr(r->element[1]->str, "~c:* resetchannels -@all +@read"));
    freeReplyObject(r);
    redisContext *d = harness_connect(&s);
    expect_status(d, "AUTH carol c", "OK");
    /* a broken file is refused and the users stay */
    write_file(path, "user dave on +nosuch\n");
    r = harness_cmd(c, "ACL LOAD");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, "Unknown command or category name in ACL"));
    freeReplyObject(r);
    r = harness_cmd(c, "ACL USERS");
    assert_int_equal(r->elements, 3);
    freeReplyObject(r);
    redisFree(c);
    redisFree(d);
    harness_stop_server(&s);
}

static void test_user_lines_in_config(void **state)
{
    (void)state;
    harness_server s;
    assert_int_equal(harness_make_dir(&s), 0);
    char conf[400];
    snprintf(conf, sizeof(conf), "%s/keel.conf", s.dir);
    write_file(conf, "user worker on >w ~jobs:* +@list +ping\n"
                     "user default on nopass ~* &* +@all\n");
    assert_int_equal(harness_spawn_in_dir(&s, conf), 0);
    assert_int_equal(harness_wait_ready(&s, 5000), 0);
    redisContext *c = harness_connect(&s);
    expect_status(c, "AUTH worker w", "OK");
    redisReply *r = harness_cmd(c, "LPUSH jobs:1 a");
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    expect_error(c, "LPUSH other a", key_err);
    expect_error(c, "GET jobs:1", "NOPERM this user has no permissions to run the 'get' command");
    redisFree(c);
    /* CONFIG REWRITE writes the users back as `user` lines */
    c = harness_connect(&s);
    expect_status(c, "ACL SETUSER dan on >d +@read", "OK");
    expect_status(c, "CONFIG REWRITE", "OK");
    redisFree(c);
    assert_int_equal(harness_restart_server(&s, conf, 5000), 0);
    c = harness_connect(&s);
    redisReply *r2 = harness_cmd(c, "ACL USERS");
    assert_int_equal(r2->elements, 3);
    assert_string_equal(r2->element[0]->str, "dan");
    freeReplyObject(r2);
    expect_status(c, "AUTH worker w", "OK");
    redisFree(c);
    harness_stop_server(&s);
}

/* The value of `field` in a flat field/value array reply, or NULL. */
static redisReply *map_get(redisReply *m, const char *field)
{
    for (size_t j = 0; j + 1 < m->elements; j += 2)
        if (strcmp(m->element[j]->str, field) == 0)
            return m->element[j + 1];
    return NULL;
}

static void expect_int(redisContext *c, const char *cmd, long long want)
{
    redisReply *r = harness_cmd(c, cmd);
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("%s: unexpected error %s", cmd, r->str);
    assert_int_equal(r->integer, want);
    freeReplyObject(r);
}

static void expect_bulk(redisContext *c, const char *cmd, const char *want)
{
    redisReply *r = harness_cmd(c, cmd);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, want);
    freeReplyObject(r);
}

static const char *const sel_rules =
    "ACL SETUSER sel on >pw ~app:* +get (~cache:* +set +get) (%%R~ro:* +@read) (&news +publish)";

static void test_selectors(void **state)
{
    (void)state;
    harness_server s;
    assert_int_equal(harness_start_server(&s, ""), 0);
    redisContext *admin = harness_connect(&s);
    /* hiredis splits the command at spaces: the server joins "(~cache:*",
     * "+set", "+get)" back into one selector, as Redis does */
    expect_status(admin, sel_rules, "OK");
    redisContext *c = harness_connect(&s);
    expect_status(c, "AUTH sel pw", "OK");
    expect_status(c, "SET cache:1 v", "OK"); /* the first selector */
    expect_bulk(c, "GET cache:1", "v");      /* the first selector */
    expect_status(admin, "SET ro:1 r", "OK");
    expect_bulk(c, "GET ro:1", "r");             /* the second selector */
    expect_bulk(c, "GETRANGE ro:1 0 0", "r");    /* +@read there */
    expect_int(c, "PUBLISH news m", 0);          /* the third selector */
    redisReply *r = harness_cmd(c, "GET app:1"); /* the root */
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    /* No selector allows these.  The root has no SET, the first selector
     * refuses the key: the key denial is the one reported. */
    expect_error(c, "SET app:1 v", key_err);
    expect_error(c, "SET ro:1 v", key_err);
    expect_error(c, "GET other", key_err);
    expect_error(c, "DEL cache:1", "NOPERM this user has no permissions to run the 'del' command");
    expect_error(c, "PUBLISH other m",
                 "NOPERM this user has no permissions to access one of the channels used as "
                 "arguments");
    r = harness_cmd(admin, "ACL LOG 3");
    assert_int_equal(r->elements, 3);
    assert_string_equal(log_field(r, 0, "reason"), "channel");
    assert_string_equal(log_field(r, 0, "object"), "other");
    assert_string_equal(log_field(r, 1, "reason"), "command");
    assert_string_equal(log_field(r, 1, "object"), "del");
    assert_string_equal(log_field(r, 2, "reason"), "key");
    assert_string_equal(log_field(r, 2, "object"), "other");
    freeReplyObject(r);
    /* DRYRUN names the key the user may not touch */
    expect_bulk(admin, "ACL DRYRUN sel set app:1 v",
                "This user has no permissions to access the 'app:1' key");
    expect_bulk(admin, "ACL DRYRUN sel mget ro:1 cache:1",
                "This user has no permissions to access the 'cache:1' key");
    expect_status(admin, "ACL DRYRUN sel set cache:9 v", "OK");

    /* GETUSER: the root at the top level, then one map per selector */
    r = harness_cmd(admin, "ACL GETUSER sel");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(map_get(r, "commands")->str, "-@all +get");
    assert_string_equal(map_get(r, "keys")->str, "~app:*");
    assert_string_equal(map_get(r, "channels")->str, "");
    redisReply *sels = map_get(r, "selectors");
    assert_int_equal(sels->elements, 3);
    assert_string_equal(map_get(sels->element[0], "commands")->str, "-@all +get +set");
    assert_string_equal(map_get(sels->element[0], "keys")->str, "~cache:*");
    assert_string_equal(map_get(sels->element[1], "keys")->str, "%R~ro:*");
    assert_string_equal(map_get(sels->element[2], "channels")->str, "&news");
    freeReplyObject(r);
    r = harness_cmd(admin, "ACL LIST");
    int found = 0;
    for (size_t i = 0; i < r->elements; i++)
        found |= strstr(r->element[i]->str, "user sel on #") != NULL &&
                 strstr(r->element[i]->str, " ~app:* resetchannels -@all +get (~cache:* "
                                            "resetchannels -@all +get +set) (%R~ro:* "
                                            "resetchannels -@all +@read) (resetchannels &news "
                                            "-@all +publish)") != NULL;
    assert_true(found);
    freeReplyObject(r);

    /* a selector left open, and one with a bad rule: nothing changes */
    expect_error(admin, "ACL SETUSER sel (~x +get",
                 "ERR Unmatched parenthesis in acl selector starting at '(~x'.");
    expect_error(admin, "ACL SETUSER sel clearselectors (~x on)",
                 "ERR Error in ACL SETUSER modifier '(~x on)': Syntax error");
    expect_status(c, "SET cache:1 v2", "OK");
    /* clearselectors: only the root is left */
    expect_status(admin, "ACL SETUSER sel clearselectors", "OK");
    expect_error(c, "SET cache:1 v",
                 "NOPERM this user has no permissions to run the 'set' command");
    expect_error(c, "GET cache:1", key_err);
    r = harness_cmd(admin, "ACL GETUSER sel");
    assert_int_equal(map_get(r, "selectors")->elements, 0);
    freeReplyObject(r);
    redisFree(c);
    redisFree(admin);
    harness_stop_server(&s);
}

static void test_selectors_persist(void **state)
{
    (void)state;
    harness_server s;
    assert_int_equal(harness_make_dir(&s), 0);
    char path[400], args[500], conf[400];
    snprintf(path, sizeof(path), "%s/users.acl", s.dir);
    write_file(path, "user alice on >a ~a:* +get (~b:* +set) (&ch +publish)\n");
    snprintf(args, sizeof(args), "--aclfile %s", path);
    assert_int_equal(harness_spawn_in_dir(&s, args), 0);
    assert_int_equal(harness_wait_ready(&s, 5000), 0);
    redisContext *c = harness_connect(&s);
    expect_status(c, sel_rules, "OK");
    expect_status(c, "ACL SAVE", "OK");
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char text[4096] = {0};
    size_t n = fread(text, 1, sizeof(text) - 1, fp);
    fclose(fp);
    assert_true(n > 0);
    assert_non_null(strstr(text, "user alice on #"));
    assert_non_null(strstr(text, " ~a:* resetchannels -@all +get (~b:* resetchannels -@all +set) "
                                 "(resetchannels &ch -@all +publish)\n"));
    assert_non_null(strstr(text, " (%R~ro:* resetchannels -@all +@read) "));
    expect_int(c, "ACL DELUSER sel alice", 2);
    redisFree(c);
    c = harness_connect(&s);
    expect_status(c, "ACL LOAD", "OK");
    redisContext *u = harness_connect(&s);
    expect_status(u, "AUTH sel pw", "OK");
    expect_status(u, "SET cache:1 v", "OK");
    expect_error(u, "SET app:1 v", key_err);
    redisFree(u);
    /* a bad selector in the file: every error reported, the users stay */
    write_file(path, "user dave on (~d +nosuch) +nosuch2\nuser erin on (~e\n");
    redisReply *r = harness_cmd(c, "ACL LOAD");
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_non_null(strstr(r->str, ":1: Error in applying operation '(~d +nosuch)': Unknown "
                                   "command or category name in ACL. "));
    assert_non_null(strstr(r->str, ":1: Error in applying operation '+nosuch2'"));
    assert_non_null(strstr(r->str, ":2: Unmatched parenthesis in selector definition."));
    assert_non_null(strstr(r->str, "WARNING: ACL errors detected, no change to the previously "
                                   "active ACL rules was performed"));
    freeReplyObject(r);
    r = harness_cmd(c, "ACL USERS");
    assert_int_equal(r->elements, 3);
    freeReplyObject(r);
    redisFree(c);
    harness_stop_server(&s);

    /* `user` lines with selectors in a config file, and CONFIG REWRITE */
    assert_int_equal(harness_make_dir(&s), 0);
    snprintf(conf, sizeof(conf), "%s/keel.conf", s.dir);
    write_file(conf, "user worker on >w ~jobs:* +@list (~cache:* +get +set)\n");
    assert_int_equal(harness_spawn_in_dir(&s, conf), 0);
    assert_int_equal(harness_wait_ready(&s, 5000), 0);
    c = harness_connect(&s);
    expect_status(c, "AUTH worker w", "OK");
    expect_status(c, "SET cache:1 v", "OK");
    expect_int(c, "LPUSH jobs:1 a", 1);
    expect_error(c, "SET jobs:1 v", key_err);
    redisFree(c);
    c = harness_connect(&s);
    expect_status(c, "ACL SETUSER dan on >d (~d:* +@read) (~e:* +@write)", "OK");
    expect_status(c, "CONFIG REWRITE", "OK");
    redisFree(c);
    assert_int_equal(harness_restart_server(&s, conf, 5000), 0);
    c = harness_connect(&s);
    r = harness_cmd(c, "ACL GETUSER dan");
    assert_int_equal(map_get(r, "selectors")->elements, 2);
    freeReplyObject(r);
    expect_status(c, "AUTH worker w", "OK");
    expect_status(c, "SET cache:2 v", "OK");
    expect_status(c, "AUTH dan d", "OK");
    expect_status(c, "SET e:1 v", "OK");
    expect_error(c, "SET d:1 v", key_err);
    redisFree(c);
    harness_stop_server(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limited_user),      cmocka_unit_test(test_auth_hello_requirepass),
        cmocka_unit_test(test_aclfile_save_load), cmocka_unit_test(test_user_lines_in_config),
        cmocka_unit_test(test_selectors),         cmocka_unit_test(test_selectors_persist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
