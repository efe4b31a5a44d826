/* Unit tests of the store file checks (vn_kv_check, and vn_kv_open's own
 * check before it maps a file) and of the compacted copy (vn_kv_copy): a
 * whole store passes, a missing, empty, truncated or damaged one is refused
 * with a message naming the file, and nothing crashes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <cmocka.h>

#include "vn/kv.h"
#include <stdbool.h>

static const char *const dbs[] = {"a", "b"};

typedef struct fixture {
    char dir[32];  /* the store */
    char copy[32]; /* its compacted copy: every page but the metas in use */
    char file[64]; /* copy/data.mdb */
    long pages;    /* of the copy */
} fixture;

static void rm_store(const char *dir)
{
    char path[96];
    const char *names[] = {"data.mdb", "lock.mdb"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* A store of small records in both databases and a few large ones (overflow
 * pages), and its compacted copy. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char path[96], val[6000];
    struct stat st;
    vn_kv *kv = NULL;
    memcpy(f->dir, "/tmp/vn-kvc-XXXXXX", sizeof "/tmp/vn-kvc-XXXXXX");
    memcpy(f->copy, "/tmp/vn-kvc-XXXXXX", sizeof "/tmp/vn-kvc-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_non_null(mkdtemp(f->copy));
    assert_int_equal(vn_kv_open(&kv, f->dir, dbs, 2, 0), VN_OK);
    memset(val, 'v', sizeof val);
    assert_int_equal(vn_kv_begin(kv), VN_OK);
    for (int i = 0; i < 3000; i++) {
        char k[16];
        int n = snprintf(k, sizeof k, "key%05d", i);
        size_t len = i % 500 == 0 ? sizeof val : 90;
        assert_int_equal(vn_kv_put(kv, i % 2, k, (size_t)n, val, len), VN_OK);
    }
    assert_int_equal(vn_kv_commit(kv), VN_OK);
    /* Freed pages in the store, none in the copy. */
    assert_int_equal(vn_kv_del_prefix(kv, 0, "key01", 5, NULL), VN_OK);
    snprintf(f->file, sizeof f->file, "%s/data.mdb", f->copy);
    assert_int_equal(vn_kv_copy(kv, f->file), VN_OK);
    assert_int_equal(vn_kv_copy(kv, f->file), VN_EEXISTS);
    vn_kv_close(&kv);
    assert_int_equal(stat(f->file, &st), 0);
    f->pages = (long)(st.st_size / 4096);
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_true(f->pages > 20);
    assert_true(st.st_size / 4096 > f->pages); /* the copy left free pages out */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rm_store(f->dir);
    rm_store(f->copy);
    free(f);
    return 0;
}

static void overwrite(const char *file, long off, size_t n, uint8_t byte)
{
    uint8_t buf[4096];
    memset(buf, byte, sizeof buf);
    int fd = open(file, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, n, off), (ssize_t)n);
    close(fd);
}

/* The copy is refused by the check and by vn_kv_open, with msg matching. */
static void assert_refused(fixture *f, const char *says)
{
    char msg[512];
    vn_kv *kv = NULL;
    assert_int_equal(vn_kv_check(f->copy, true, msg, sizeof msg), VN_ESTORE);
    assert_non_null(strstr(msg, f->file));
    if (!strstr(msg, says)) fail_msg("\"%s\" does not say \"%s\"", msg, says);
    /* vn_kv_open checks the file and its metas itself, not the pages. */
    if (strcmp(says, "page") != 0) assert_int_equal(vn_kv_open(&kv, f->copy, dbs, 2, 0), VN_ESTORE);
    assert_null(kv);
}

static void test_whole_stores_pass(void **state)
{
    fixture *f = *state;
    char msg[512] = "";
    vn_kv *kv = NULL;
    void *v = NULL;
    size_t n = 0;
    assert_int_equal(vn_kv_check(f->dir, true, msg, sizeof msg), VN_OK);
    assert_int_equal(vn_kv_check(f->copy, true, msg, sizeof msg), VN_OK);
    assert_int_equal(vn_kv_open(&kv, f->copy, dbs, 2, 0), VN_OK);
    assert_int_equal(vn_kv_count(kv, 1, &n), VN_OK);
    assert_int_equal(n, 1500);
    assert_int_equal(vn_kv_get(kv, 0, "key02000", 8, &v, &n), VN_OK);
    assert_int_equal(n, 6000); /* an overflow value came along */
    free(v);
    vn_kv_close(&kv);
}

static void test_missing(void **state)
{
    fixture *f = *state;
    char msg[512];
    unlink(f->file);
    assert_int_equal(vn_kv_check(f->copy, false, msg, sizeof msg), VN_OK);
    assert_int_equal(vn_kv_check(f->copy, true, msg, sizeof msg), VN_ENOTFOUND);
    assert_non_null(strstr(msg, "does not exist"));
}

static void test_empty(void **state)
{
    fixture *f = *state;
    assert_int_equal(truncate(f->file, 0), 0);
    assert_refused(f, "empty (0 bytes)");
}

static void test_truncated(void **state)
{
    fixture *f = *state;
    assert_int_equal(truncate(f->file, (f->pages / 2) * 4096), 0);
    assert_refused(f, "truncated");
}

static void test_shorter_than_metas(void **state)
{
    fixture *f = *state;
    assert_int_equal(truncate(f->file, 5000), 0);
    assert_refused(f, "truncated");
}

static void test_meta_magic(void **state)
{
    fixture *f = *state;
    overwrite(f->file, 4096 + 16, 4, 0x55);
    assert_refused(f, "meta page 1 is not an LMDB meta page");
}

static void test_meta_last_page(void **state)
{
    fixture *f = *state;
    overwrite(f->file, 16 + 120, 8, 0x7f);
    assert_refused(f, "meta page 0 gives last page");
}

static void test_meta_root(void **state)
{
    fixture *f = *state;
    /* The main database's root, past the last page. */
    overwrite(f->file, 16 + 24 + 48 + 40, 2, 0x7f);
    assert_refused(f, "puts a root at page");
}

static void test_middle_page(void **state)
{
    fixture *f = *state;
    overwrite(f->file, (f->pages / 2) * 4096, 4096, 0xa5);
    assert_refused(f, "page");
}

static void test_page_bounds(void **state)
{
    fixture *f = *state;
    /* The free-space bounds of a page: past its end. */
    overwrite(f->file, (f->pages / 2) * 4096 + 12, 4, 0xff);
    assert_refused(f, "page");
}

static void test_last_page_zeroed(void **state)
{
    fixture *f = *state;
    overwrite(f->file, (f->pages - 1) * 4096, 4096, 0);
    assert_refused(f, "page");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whole_stores_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shorter_than_metas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_last_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_root, setup, teardown),
        cmocka_unit_test_setup_teardown(test_middle_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_page_zeroed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
