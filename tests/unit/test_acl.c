/* test_acl.c: unit tests for server/acl: SHA-256 test vectors (FIPS 180-4
 * examples), the rule language of ACL SETUSER with Redis's error texts,
 * the description ACL LIST shows, and key, channel and command checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../server/acl.h"
#include "../../server/server.h"

static server srv;

static int setup_acl(void **state)
{
    (void)state;
    char err[512];
    commands_init(&srv);
    return acl_init(&srv, err, sizeof(err));
}

static void hex_of(const unsigned char *h, char *out)
{
    for (int i = 0; i < ACL_SHA256_LEN; i++)
        sprintf(out + 2 * i, "%02x", h[i]);
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    unsigned char h[ACL_SHA256_LEN];
    char hex[65];
    acl_sha256("abc", 3, h);
    hex_of(h, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    acl_sha256("", 0, h);
    hex_of(h, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    acl_sha256(two, strlen(two), h);
    hex_of(h, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static int rule(acl_user *u, const char *r, const char **err)
{
    return acl_user_set_rule(u, r, strlen(r), err);
}

static void assert_describe(acl_user *u, const char *expected)
{
    buf d = acl_user_describe(buf_empty(), u);
    assert_string_equal(d, expected);
    buf_free(d);
}

static void test_rules_and_describe(void **state)
{
    (void)state;
    const char *err = NULL;
    acl_user *u = acl_user_create("u1", 2);
    assert_describe(u, "off resetchannels -@all");
    assert_true(rule(u, "on", &err));
    assert_true(rule(u, ">abc", &err));
    assert_true(rule(u, "~cache:*", &err));
    assert_true(rule(u, "%R~r*", &err));
    assert_true(rule(u, "&ch", &err));
    assert_true(rule(u, "+get", &err));
    assert_true(rule(u, "+set", &err));
    assert_describe(u, "on #ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad "
                       "~cache:* %R~r* resetchannels &ch -@all +get +set");
    assert_true(rule(u, "<abc", &err));
    assert_false(rule(u, "<abc", &err));
    assert_string_equal(err, "The password you are trying to remove from the user does not exist");
    assert_false(rule(u, "#abc", &err));
    assert_string_equal(err, "The password hash must be exactly 64 characters and contain only "
                             "lowercase hexadecimal characters");
    assert_false(rule(u, "bogus", &err));
    assert_string_equal(err, "Syntax error");
    assert_false(rule(u, "+nosuch", &err));
    assert_string_equal(err, "Unknown command or category name in ACL");
    assert_false(rule(u, "+@nosuch", &err));
    assert_false(rule(u, "+config|nosuch", &err));
    assert_true(rule(u, "allkeys", &err));
    assert_false(rule(u, "~foo", &err));
    assert_true(rule(u, "resetkeys", &err));
    assert_true(rule(u, "~foo", &err));
    assert_true(rule(u, "allchannels", &err));
    assert_false(rule(u, "&x", &err));
    assert_true(rule(u, "nopass", &err));
    assert_true(rule(u, "reset", &err));
    assert_describe(u, "off sanitize-payload resetchannels -@all");
    assert_true(rule(u, "+@all", &err));
    assert_true(rule(u, "-@dangerous", &err));
    assert_true(rule(u, "+get", &err));
    buf d = acl_user_describe(buf_empty(), u);
    assert_non_null(strstr(d, "+@all -@"));
    buf_free(d);
    acl_user_free(u);
}

static void test_passwords(void **state)
{
    (void)state;
    const char *err;
    acl_user *u = acl_user_create("p", 1);
    assert_true(rule(u, "on", &err));
    assert_false(acl_user_check_password(u, "x", 1)); /* no password, not nopass */
    assert_true(rule(u, ">one", &err));
    assert_true(rule(u, "#e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &err));
    assert_true(acl_user_check_password(u, "one", 3));
    assert_true(acl_user_check_password(u, "", 0));
    assert_false(acl_user_check_password(u, "two", 3));
    assert_true(rule(u, "!e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &err));
    assert_false(acl_user_check_password(u, "", 0));
    assert_true(rule(u, "off", &err));
    assert_false(acl_user_check_password(u, "one", 3)); /* disabled */
    assert_true(rule(u, "on", &err));
    assert_true(rule(u, "nopass", &err));
    assert_true(acl_user_check_password(u, "anything", 8));
    assert_int_equal(u->npasswords, 0);
    acl_user_free(u);
}

static void test_key_and_channel_patterns(void **state)
{
    (void)state;
    const char *err;
    acl_user *u = acl_user_create("k", 1);
    assert_true(rule(u, "~cache:*", &err));
    assert_true(rule(u, "%R~ro:*", &err));
    assert_true(rule(u, "%W~wo:*", &err));
    assert_true(rule(u, "&news.*", &err));
    assert_true(acl_user_can_key(u, "cache:1", 7, ACL_PERM_ALL));
    assert_false(acl_user_can_key(u, "other", 5, ACL_PERM_READ));
    assert_true(acl_user_can_key(u, "ro:1", 4, ACL_PERM_READ));
    assert_false(acl_user_can_key(u, "ro:1", 4, ACL_PERM_WRITE));
    assert_true(acl_user_can_key(u, "wo:1", 4, ACL_PERM_WRITE));
    assert_false(acl_user_can_key(u, "wo:1", 4, ACL_PERM_READ));
    assert_true(acl_user_can_channel(u, "news.sport", 10, 0));
    assert_false(acl_user_can_channel(u, "sport", 5, 0));
    assert_true(acl_user_can_channel(u, "news.*", 6, 1));   /* the same pattern */
    assert_false(acl_user_can_channel(u, "news.a*", 7, 1)); /* a pattern must match literally */
    assert_describe(u, "off ~cache:* %R~ro:* %W~wo:* resetchannels &news.* -@all");
    acl_user_free(u);
}

static void test_check_call(void **state)
{
    (void)state;
    const char *err;
    acl_user *u = acl_user_create("c", 1);
    assert_true(rule(u, "~cache:*", &err));
    assert_true(rule(u, "+get", &err));
    assert_true(rule(u, "+set", &err));
    assert_true(rule(u, "+mget", &err));
    assert_true(rule(u, "+config|get", &err));
    const command *get = commands_lookup(&srv, "get", 3);
    const command *del = commands_lookup(&srv, "del", 3);
    const command *mget = commands_lookup(&srv, "mget", 4);
    assert_non_null(get);
    int pos;
    resp_arg a1[] = {{"get", 3}, {"cache:1", 7}};
    assert_int_equal(acl_user_check_call(u, get, 2, a1, &pos), ACL_OK);
    resp_arg a2[] = {{"get", 3}, {"x", 1}};
    assert_int_equal(acl_user_check_call(u, get, 2, a2, &pos), ACL_DENIED_KEY);
    assert_int_equal(pos, 1);
    resp_arg a3[] = {{"mget", 4}, {"cache:1", 7}, {"y", 1}};
    assert_int_equal(acl_user_check_call(u, mget, 3, a3, &pos), ACL_DENIED_KEY);
    assert_int_equal(pos, 2);
    resp_arg a4[] = {{"del", 3}, {"cache:1", 7}};
    assert_int_equal(acl_user_check_call(u, del, 2, a4, &pos), ACL_DENIED_CMD);
    /* first-arg rules: SELECT 0 only */
    assert_true(rule(u, "+select|0", &err));
    const command *select = commands_lookup(&srv, "select", 6);
    resp_arg s0[] = {{"select", 6}, {"0", 1}}, s1[] = {{"select", 6}, {"1", 1}};
    assert_int_equal(acl_user_check_call(u, select, 2, s0, &pos), ACL_OK);
    assert_int_equal(acl_user_check_call(u, select, 2, s1, &pos), ACL_DENIED_CMD);
    assert_false(rule(u, "-select|0", &err));
    assert_true(rule(u, "-select", &err)); /* clears the first-arg rule */
    assert_int_equal(acl_user_check_call(u, select, 2, s0, &pos), ACL_DENIED_CMD);
    /* AUTH and HELLO are always allowed */
    assert_true(acl_user_can_command(u, commands_lookup(&srv, "auth", 4)));
    acl_user_free(u);
}

static void test_categories(void **state)
{
    (void)state;
    assert_true(acl_command_in_category(commands_lookup(&srv, "get", 3), "read"));
    assert_true(acl_command_in_category(commands_lookup(&srv, "get", 3), "string"));
    assert_true(acl_command_in_category(commands_lookup(&srv, "get", 3), "fast"));
    assert_true(acl_command_in_category(commands_lookup(&srv, "set", 3), "write"));
    assert_true(acl_command_in_category(commands_lookup(&srv, "flushall", 8), "dangerous"));
    assert_true(acl_command_in_category(commands_lookup(&srv, "flushall", 8), "keyspace"));
    assert_true(acl_command_in_category(commands_lookup(&srv, "blpop", 5), "blocking"));
    assert_false(acl_command_in_category(commands_lookup(&srv, "get", 3), "write"));
}

static void test_registry(void **state)
{
    (void)state;
    char err[512];
    resp_arg rules[] = {{"on", 2}, {">pw", 3}, {"+@all", 5}};
    assert_non_null(acl_default_user());
    assert_true(acl_default_autoauth());
    assert_true(acl_setuser(NULL, "zed", 3, 3, rules, err, sizeof(err)));
    assert_true(acl_setuser(NULL, "alice", 5, 3, rules, err, sizeof(err)));
    assert_int_equal(acl_user_count(), 3);
    assert_true(buf_eq(acl_user_at(0)->name, "alice", 5)); /* sorted */
    assert_true(buf_eq(acl_user_at(1)->name, "default", 7));
    resp_arg bad[] = {{"bogus", 5}};
    assert_false(acl_setuser(NULL, "alice", 5, 1, bad, err, sizeof(err)));
    assert_string_equal(err, "Error in ACL SETUSER modifier 'bogus': Syntax error");
    assert_false(acl_setuser(NULL, "a b", 3, 0, NULL, err, sizeof(err)));
    assert_true(acl_deluser(NULL, "zed", 3));
    assert_false(acl_deluser(NULL, "zed", 3));
    assert_int_equal(acl_user_count(), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_rules_and_describe),
        cmocka_unit_test(test_passwords),      cmocka_unit_test(test_key_and_channel_patterns),
        cmocka_unit_test(test_check_call),     cmocka_unit_test(test_categories),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, setup_acl, NULL);
}
