/* bench_fsync: what one durable write costs on the disk a store lives on,
 * with no server in the way. vangnetd replies to no request before the
 * LMDB commit that holds it has returned, and an LMDB commit flushes twice
 * (its data pages, then its meta page), so the figures this prints are a
 * floor under the relay's latency on this machine: no loop, thread or
 * batching design can hand a durable reply back sooner than its commit.
 *
 *   bench_fsync [--dir DIR] [--count N] [--size BYTES]
 *
 * Three loops, N rounds each, in a fresh directory under DIR (default
 * /tmp): a BYTES write and fdatasync() of a plain file; the same with the
 * write landing on a new 4 KiB page each round (as LMDB's copy-on-write
 * does); and an LMDB put of a BYTES value and a durable commit, with the
 * flags vangnetd opens its store with (MDB_NOTLS). Each prints p50, p99,
 * p99.9 and max in milliseconds. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COUNT_DEFAULT 2000
#define SIZE_DEFAULT  640 /* a 512-byte message as the relay stores it, sealed */
#define PAGE          4096
#define FILE_PAGES    4096 /* the rotating file: 16 MiB */

typedef struct opts {
    const char *dir;
    size_t count, size;
} opts;

static int usage(void)
{
    fprintf(stderr, "usage: bench_fsync [--dir DIR] [--count N] [--size BYTES]\n");
    return 2;
}

static int parse(int argc, char **argv, opts *o)
{
    *o = (opts){.dir = "/tmp", .count = COUNT_DEFAULT, .size = SIZE_DEFAULT};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) return -1;
        const char *v = argv[++i];
        char *end;
        if (strcmp(a, "--dir") == 0) {
            o->dir = v;
            continue;
        }
        unsigned long long n = strtoull(v, &end, 10);
        if (*end || n == 0) {
            fprintf(stderr, "bench_fsync: %s wants a positive number, not \"%s\"\n", a, v);
            return -1;
        }
        if (strcmp(a, "--count") == 0)
            o->count = n;
        else if (strcmp(a, "--size") == 0 && n <= PAGE)
            o->size = n;
        else {
            fprintf(stderr, "bench_fsync: unknown option %s (or --size over %d)\n", a, PAGE);
            return -1;
        }
    }
    return 0;
}

static void report(const char *what, int64_t *ns, size_t n)
{
    bench_sort_i64(ns, n);
    printf("  %-34s p50 %7.3f  p99 %7.3f  p99.9 %7.3f  max %7.3f ms\n", what,
           bench_permille(ns, n, 500) / 1e6, bench_permille(ns, n, 990) / 1e6,
           bench_permille(ns, n, 999) / 1e6, ns[n - 1] / 1e6);
}

/* n rounds of a write and fdatasync; on a new page each round if rotate. */
static int file_loop(const char *dir, const opts *o, bool rotate, int64_t *ns)
{
    char path[512], buf[PAGE];
    snprintf(path, sizeof path, "%s/plain", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)PAGE * FILE_PAGES) != 0 || fdatasync(fd) != 0) {
        fprintf(stderr, "bench_fsync: %s: %s\n", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    memset(buf, 0x5a, sizeof buf);
    for (size_t i = 0; i < o->count; i++) {
        off_t at = rotate ? (off_t)(i % FILE_PAGES) * PAGE : 0;
        int64_t t0 = bench_now_ns();
        if (pwrite(fd, buf, o->size, at) != (ssize_t)o->size || fdatasync(fd) != 0) {
            fprintf(stderr, "bench_fsync: write or sync of %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        ns[i] = bench_now_ns() - t0;
    }
    close(fd);
    unlink(path);
    return 0;
}

/* n rounds of one put and a durable commit, as a batch of one. */
static int lmdb_loop(const char *dir, const opts *o, int64_t *ns)
{
    MDB_env *env = NULL;
    MDB_dbi dbi;
    MDB_txn *txn = NULL;
    char val[PAGE];
    int rc = mdb_env_create(&env);
    if (rc == 0) rc = mdb_env_set_mapsize(env, (size_t)256 << 20);
    if (rc == 0) rc = mdb_env_open(env, dir, MDB_NOTLS, 0600);
    if (rc == 0) rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, NULL, 0, &dbi);
    if (rc == 0) rc = mdb_txn_commit(txn);
    memset(val, 0xa5, sizeof val);
    for (size_t i = 0; rc == 0 && i < o->count; i++) {
        uint64_t k = i;
        MDB_val key = {sizeof k, &k}, data = {o->size, val};
        int64_t t0 = bench_now_ns();
        rc = mdb_txn_begin(env, NULL, 0, &txn);
        if (rc == 0) rc = mdb_put(txn, dbi, &key, &data, 0);
        if (rc == 0)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
        ns[i] = bench_now_ns() - t0;
    }
    if (rc != 0) fprintf(stderr, "bench_fsync: LMDB in %s: %s\n", dir, mdb_strerror(rc));
    if (env) mdb_env_close(env);
    return rc == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    opts o;
    char dir[512];
    int status = 1;
    if (parse(argc, argv, &o) != 0) return usage();
    int64_t *ns = calloc(o.count, sizeof *ns);
    snprintf(dir, sizeof dir, "%s/vn-bench-fsync.XXXXXX", o.dir);
    if (!ns || !mkdtemp(dir)) {
        fprintf(stderr, "bench_fsync: cannot make a directory under %s: %s\n", o.dir,
                strerror(errno));
        free(ns);
        return 1;
    }
    printf("bench_fsync: %zu rounds each, %zu bytes, in %s\n", o.count, o.size, dir);
    if (file_loop(dir, &o, false, ns) != 0) goto done;
    report("write + fdatasync, same page", ns, o.count);
    if (file_loop(dir, &o, true, ns) != 0) goto done;
    report("write + fdatasync, a new page", ns, o.count);
    if (lmdb_loop(dir, &o, ns) != 0) goto done;
    report("LMDB put + durable commit", ns, o.count);
    status = 0;
done:
    bench_rm_tree(dir);
    free(ns);
    return status;
}
