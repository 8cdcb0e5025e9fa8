/* test_aof_manifest: the multi-part AOF's manifest (aof_manifest.c) on its
 * own: file naming and numbering as Redis 7.0 (a new base retires the old
 * one to history, increments keep counting), the written text (base, then
 * history, then increments), an atomic write read back identically
 * (quoted names too), and every malformed manifest refused with Redis's
 * message and the line: empty, too long, missing fields, a path for a
 * name, two bases, increments out of order, an unknown type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aof_int.h"

static server srv;
static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    memset(&srv, 0, sizeof(srv));
    srv.cfg.appendfilename = strdup("appendonly.aof");
    srv.cfg.appenddirname = strdup("appendonlydir");
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/keel-manifest-XXXXXX");
    if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (chdir("/") != 0 || system(cmd) != 0)
        return -1;
    free(srv.cfg.appendfilename);
    free(srv.cfg.appenddirname);
    return 0;
}

static void write_manifest(const char *text)
{
    if (aof_dir_ensure(&srv) != 0)
        fail_msg("mkdir appendonlydir");
    FILE *fp = fopen("appendonlydir/appendonly.aof.manifest", "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_naming_and_history(void **state)
{
    (void)state;
    aof_manifest *am = aof_manifest_new();
    assert_string_equal(aof_manifest_new_base(&srv, am, 1), "appendonly.aof.1.base.rdb");
    assert_string_equal(aof_manifest_new_incr(&srv, am), "appendonly.aof.1.incr.aof");
    assert_string_equal(aof_manifest_new_incr(&srv, am), "appendonly.aof.2.incr.aof");
    buf text = aof_manifest_format(am);
    assert_string_equal(text, "file appendonly.aof.1.base.rdb seq 1 type b\n"
                              "file appendonly.aof.1.incr.aof seq 1 type i\n"
                              "file appendonly.aof.2.incr.aof seq 2 type i\n");
    buf_free(text);

    /* A rewrite: a new incr first, then the new base; everything older
     * becomes history, the old base listed first. */
    assert_string_equal(aof_manifest_new_incr(&srv, am), "appendonly.aof.3.incr.aof");
    aof_manifest *next = aof_manifest_dup(am);
    assert_string_equal(aof_manifest_new_base(&srv, next, 0), "appendonly.aof.2.base.aof");
    aof_manifest_retire_incrs(next, 1);
    text = aof_manifest_format(next);
    assert_string_equal(text, "file appendonly.aof.2.base.aof seq 2 type b\n"
                              "file appendonly.aof.1.base.rdb seq 1 type h\n"
                              "file appendonly.aof.1.incr.aof seq 1 type h\n"
                              "file appendonly.aof.2.incr.aof seq 2 type h\n"
                              "file appendonly.aof.3.incr.aof seq 3 type i\n");
    buf_free(text);
    /* The original is untouched (the parent keeps it until the new one is
     * on disk). */
    assert_int_equal(am->nincr, 3);
    assert_int_equal(am->nhist, 0);
    aof_manifest_free(am);
    aof_manifest_free(next);
}

static void test_persist_and_load(void **state)
{
    (void)state;
    aof_manifest *am = aof_manifest_new();
    aof_manifest_new_base(&srv, am, 1);
    aof_manifest_new_incr(&srv, am);
    aof_manifest_new_incr(&srv, am);
    assert_int_equal(aof_dir_ensure(&srv), 0);
    assert_int_equal(aof_manifest_persist(&srv, am), 0);
    assert_int_equal(access("appendonlydir/temp-appendonly.aof.manifest", F_OK), -1);

    aof_manifest *back;
    char err[512];
    assert_int_equal(aof_manifest_load(&srv, &back, err, sizeof(err)), 1);
    buf a = aof_manifest_format(am), b = aof_manifest_format(back);
    assert_string_equal(a, b);
    assert_int_equal(back->base_seq, 1);
    assert_int_equal(back->incr_seq, 2);
    /* Numbering continues from what was read. */
    assert_string_equal(aof_manifest_new_incr(&srv, back), "appendonly.aof.3.incr.aof");
    buf_free(a);
    buf_free(b);
    aof_manifest_free(am);
    aof_manifest_free(back);
}

static void test_missing_is_not_an_error(void **state)
{
    (void)state;
    aof_manifest *am;
    char err[512];
    assert_int_equal(aof_manifest_load(&srv, &am, err, sizeof(err)), 0); /* no directory */
    assert_null(am->base);
    assert_int_equal(am->nincr, 0);
    aof_manifest_free(am);
    assert_int_equal(aof_dir_ensure(&srv), 0);
    assert_int_equal(aof_manifest_load(&srv, &am, err, sizeof(err)), 0); /* no manifest */
    aof_manifest_free(am);
}

static void test_comments_quotes_and_extra_fields(void **state)
{
    (void)state;
    write_manifest("# written by hand\n"
                   "file \"my base.rdb\" seq 4 type b\n"
                   "file appendonly.aof.7.incr.aof seq 7 type i future value\n");
    aof_manifest *am;
    char err[512];
    assert_int_equal(aof_manifest_load(&srv, &am, err, sizeof(err)), 1);
    assert_string_equal(am->base->name, "my base.rdb");
    assert_int_equal(am->base_seq, 4);
    assert_int_equal(am->incr_seq, 7);
    buf text = aof_manifest_format(am);
    assert_string_equal(text, "file \"my base.rdb\" seq 4 type b\n"
                              "file appendonly.aof.7.incr.aof seq 7 type i\n");
    buf_free(text);
    aof_manifest_free(am);
}

static void expect_refused(const char *text, const char *why)
{
    write_manifest(text);
    aof_manifest *am;
    char err[1024] = "";
    assert_int_equal(aof_manifest_load(&srv, &am, err, sizeof(err)), -1);
    if (!strstr(err, why) || !strstr(err, "*** FATAL AOF MANIFEST FILE ERROR ***"))
        fail_msg("error '%s' lacks '%s'", err, why);
    aof_manifest_free(am);
}

static void test_malformed_manifests(void **state)
{
    (void)state;
    expect_refused("", "Found an empty AOF manifest");
    expect_refused("file a seq 1\n",
                   "Invalid AOF manifest file format (reading the manifest file, at line 1: "
                   "'file a seq 1')");
    expect_refused("file a seq 1 type\n", "Invalid AOF manifest file format");
    expect_refused("\n", "Invalid AOF manifest file format");
    expect_refused("file a seq 0 type b\n", "Invalid AOF manifest file format");
    expect_refused("file ../a seq 1 type b\n", "File can't be a path, just a filename");
    expect_refused("file a seq 1 type b\nfile b seq 2 type b\n",
                   "Found duplicate base file information (reading the manifest file, at line "
                   "2: 'file b seq 2 type b')");
    expect_refused("file a seq 2 type i\nfile b seq 2 type i\n",
                   "Found a non-monotonic sequence number");
    expect_refused("file a seq 1 type x\n", "Unknown AOF file type");
    expect_refused("file \"unbalanced seq 1 type b\n", "Invalid AOF manifest file format");
    char long_line[1200];
    memset(long_line, 'a', sizeof(long_line) - 2);
    long_line[sizeof(long_line) - 2] = '\n';
    long_line[sizeof(long_line) - 1] = '\0';
    expect_refused(long_line, "The AOF manifest file contains too long line");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_naming_and_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persist_and_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_is_not_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comments_quotes_and_extra_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_manifests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
