/* Private to vn_kv: the checks of a store file before and right after it
 * is mapped (see vn_kv_check in vn/kv.h). LMDB trusts its file: a file
 * shorter than its pages, a meta page or a branch page with a wrong page
 * number makes it read past the end of the map (SIGBUS) or follow a wild
 * pointer (SIGSEGV), and an empty file passes for a new store. These read
 * the file with pread, never through the map. */
#ifndef VN_KV_CHECK_H
#define VN_KV_CHECK_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>

#include "vn/err.h"

/* Checks dir/data.mdb before mdb_env_open: it exists (unless !must_exist,
 * then *exists tells), is at least two pages long, both meta pages are
 * LMDB's of data version 1 with one page size, and the file holds the
 * root pages they name (the walk checks the other pages). VN_ENOTFOUND (missing), VN_ESTORE
 * (damaged), VN_EIO; msg says what was wrong, naming the file. */
vn_err kv_check_file(const char *dir, bool must_exist, bool *exists, char *msg, size_t size);

/* Walks every B-tree of the opened env (the free list, the main database
 * and each named database) page by page with pread, under a read
 * transaction so that a writer in another process cannot reuse the pages
 * meanwhile: each page must carry its own number and the right kind, its
 * nodes must lie inside it, and every page number it names must lie inside
 * the file. VN_ESTORE with msg when one does not. */
vn_err kv_check_tree(MDB_env *env, const char *dir, char *msg, size_t size);

/* Both checks on dir/data.mdb, the walk on an environment of its own
 * opened read-only: vn_kv_check (vn/kv.h). */
vn_err kv_check_store(const char *dir, bool must_exist, char *msg, size_t size);

#endif
