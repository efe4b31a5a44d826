/* A temporary LMDB directory for the unit tests: made by mkdtemp, removed
 * with the two files LMDB keeps in it. Only a header (with libc), so tests
 * that link no more than vn_kv can use it, as the store's tests do
 * (store_fixture.h). Include cmocka.h first. */
#ifndef VN_TEST_TMPDIR_H
#define VN_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TMPDIR_MAX 32 /* the size of a dir buffer: "/tmp/" PREFIX "-XXXXXX" must fit */

/* Makes a new directory /tmp/PREFIX-XXXXXX and writes its name into dir. */
static inline void tmpdir_make(char dir[TMPDIR_MAX], const char *prefix)
{
    int n = snprintf(dir, TMPDIR_MAX, "/tmp/%s-XXXXXX", prefix);
    assert_true(n > 0 && n < TMPDIR_MAX);
    assert_non_null(mkdtemp(dir));
}

/* Removes dir with LMDB's data.mdb and lock.mdb in it. */
static inline void tmpdir_rm(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unlink(path);
    rmdir(dir);
}

#endif
