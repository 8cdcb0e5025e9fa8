/* test_acl: ACL users against a real keel-server: a user limited to
 * `~cache:* +get +set` can do exactly that and every denial is in ACL LOG;
 * disabled and deleted users lose their connections; AUTH and HELLO AUTH
 * with users; requirepass as the default user's password; ACL SAVE/LOAD
 * with an aclfile; `user` lines in a config file. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limited_user),
        cmocka_unit_test(test_auth_hello_requirepass),
        cmocka_unit_test(test_aclfile_save_load),
        cmocka_unit_test(test_user_lines_in_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
