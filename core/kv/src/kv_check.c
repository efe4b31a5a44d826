/* Checking an LMDB file before trusting it (kv_check.h).
 *
 * What is read here is LMDB's on-disk layout (liblmdb 0.9, data version 1,
 * a 64-bit build), in the machine's byte order:
 *   page header, 16 bytes: page number (8), pad (2), flags (2), then
 *     lower and upper free-space bounds (2 + 2), or for an overflow page
 *     the number of pages it spans (4); then the node offsets (2 each);
 *   meta page (pages 0 and 1): after the header, magic 0xBEEFC0DE (4),
 *     version (4), map address (8), map size (8), two database records
 *     (48 each: pad, which in the first holds the page size (4), flags (2),
 *     depth (2), branch, leaf and overflow page counts, entries, root page
 *     (8 each)), the last page used (8) and the transaction id (8);
 *   node, 8 bytes then the key: data size or child page low and high
 *     halves (2 + 2), flags (2; in a branch the child's high bits), key
 *     size (2). A leaf's data follows its key: the value, or with F_BIGDATA
 *     the number of its first overflow page, or with F_SUBDATA a database
 *     record (48 bytes) of a named database. */
#include "kv_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_HDR      16
#define META_MAGIC    0xBEEFC0DEu
#define META_VERSION  1u
#define META_LEN      (PAGE_HDR + 144) /* header, then through the transaction id */
#define OFF_MAGIC     (PAGE_HDR + 0)
#define OFF_VERSION   (PAGE_HDR + 4)
#define OFF_DB0       (PAGE_HDR + 24)
#define DB_LEN        48
#define DB_OFF_PAD    0
#define DB_OFF_ROOT   40
#define OFF_LAST_PG   (PAGE_HDR + 24 + 2 * DB_LEN)
#define OFF_TXNID     (OFF_LAST_PG + 8)
#define P_BRANCH      0x01
#define P_LEAF        0x02
#define P_OVERFLOW    0x04
#define P_META        0x08
#define P_LEAF2       0x20
#define F_BIGDATA     0x01
#define F_SUBDATA     0x02
#define F_DUPDATA     0x04
#define NODE_HDR      8
#define P_INVALID     UINT64_MAX
#define MIN_PAGE      256
#define MAX_PAGE      65536
#define MAX_DEPTH     32 /* far deeper than any tree LMDB builds */
#define META_ATTEMPTS 8  /* a writer may move both meta pages on meanwhile */

/* The offsets above are those of a 64-bit liblmdb (8-byte page numbers). */
_Static_assert(sizeof(size_t) == 8, "kv_check reads LMDB's 64-bit layout");

static uint16_t get16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static vn_err say(vn_err err, char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static vn_err say(vn_err err, char *msg, size_t size, const char *fmt, ...)
{
    if (msg && size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, size, fmt, ap);
        va_end(ap);
    }
    return err;
}

static bool read_at(int fd, void *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = pread(fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        done += (size_t)r;
    }
    return true;
}

/* One meta page as read from the file. */
typedef struct kv_meta {
    uint32_t psize;
    uint64_t last_pg, txnid, root[2];
} kv_meta;

/* Reads and checks meta page i (0 or 1); psize is 0 for the first, which
 * tells the page size for the second. */
static vn_err read_meta(int fd, const char *path, int i, uint32_t psize, kv_meta *m, char *msg,
                        size_t size)
{
    uint8_t b[META_LEN];
    if (!read_at(fd, b, sizeof b, (uint64_t)i * psize))
        return say(VN_ESTORE, msg, size, "%s is truncated: meta page %d is cut short", path, i);
    uint16_t flags = get16(b + 10);
    if (get32(b + OFF_MAGIC) != META_MAGIC || !(flags & P_META) || get64(b) != (uint64_t)i)
        return say(VN_ESTORE, msg, size, "%s is damaged: meta page %d is not an LMDB meta page",
                   path, i);
    if (get32(b + OFF_VERSION) != META_VERSION)
        return say(VN_ESTORE, msg, size,
                   "%s has meta page %d of LMDB data version %u; this build reads version %u", path,
                   i, get32(b + OFF_VERSION), META_VERSION);
    m->psize = get32(b + OFF_DB0 + DB_OFF_PAD);
    m->last_pg = get64(b + OFF_LAST_PG);
    m->txnid = get64(b + OFF_TXNID);
    m->root[0] = get64(b + OFF_DB0 + DB_OFF_ROOT);
    m->root[1] = get64(b + OFF_DB0 + DB_LEN + DB_OFF_ROOT);
    if (m->psize < MIN_PAGE || m->psize > MAX_PAGE || (m->psize & (m->psize - 1)) ||
        (psize && m->psize != psize))
        return say(VN_ESTORE, msg, size, "%s is damaged: meta page %d gives page size %u", path, i,
                   m->psize);
    if (m->last_pg < 1 || m->last_pg > (uint64_t)1 << 40)
        return say(VN_ESTORE, msg, size, "%s is damaged: meta page %d gives last page %llu", path,
                   i, (unsigned long long)m->last_pg);
    for (int d = 0; d < 2; d++)
        if (m->root[d] != P_INVALID && (m->root[d] < 2 || m->root[d] > m->last_pg))
            return say(
                VN_ESTORE, msg, size,
                "%s is damaged: meta page %d puts a root at page %llu, outside pages 2..%llu", path,
                i, (unsigned long long)m->root[d], (unsigned long long)m->last_pg);
    return VN_OK;
}

/* Both meta pages; cur gets the newer one (the store's current state). */
static vn_err read_metas(int fd, const char *path, uint64_t fsize, kv_meta m[2], char *msg,
                         size_t size)
{
    vn_err err = read_meta(fd, path, 0, 0, &m[0], msg, size);
    if (!err && fsize < 2ull * m[0].psize)
        err = say(VN_ESTORE, msg, size,
                  "%s is truncated: %llu bytes, less than its two meta pages (%u bytes each)", path,
                  (unsigned long long)fsize, m[0].psize);
    if (!err) err = read_meta(fd, path, 1, m[0].psize, &m[1], msg, size);
    /* Not every page up to the last one need be in the file: pages taken
     * and freed again in one transaction count in the last page number but
     * are never written. The roots must be; the walk checks the rest. */
    for (int i = 0; i < 2 && !err; i++)
        for (int d = 0; d < 2 && !err; d++)
            if (m[i].root[d] != P_INVALID && (m[i].root[d] + 1) * m[i].psize > fsize)
                err = say(VN_ESTORE, msg, size,
                          "%s is truncated: %llu bytes, but its meta page %d puts a root at page "
                          "%llu, byte %llu",
                          path, (unsigned long long)fsize, i, (unsigned long long)m[i].root[d],
                          (unsigned long long)(m[i].root[d] * m[i].psize));
    return err;
}

vn_err kv_check_file(const char *dir, bool must_exist, bool *exists, char *msg, size_t size)
{
    char path[4096];
    struct stat st;
    kv_meta m[2];
    *exists = false;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        if (!must_exist) return VN_OK;
        return say(VN_ENOTFOUND, msg, size, "%s does not exist", path);
    }
    if (fd < 0) return say(VN_EIO, msg, size, "cannot read %s: %s", path, strerror(errno));
    vn_err err = VN_OK;
    if (fstat(fd, &st) != 0) {
        err = say(VN_EIO, msg, size, "cannot read %s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        err = say(VN_ESTORE, msg, size, "%s is not a regular file", path);
    } else if (st.st_size == 0) {
        /* LMDB would take it for a new store and start empty. */
        err = say(VN_ESTORE, msg, size, "%s is empty (0 bytes): the store's content is lost", path);
    } else {
        *exists = true;
        err = read_metas(fd, path, (uint64_t)st.st_size, m, msg, size);
    }
    close(fd);
    return err;
}

/* ---- the walk ----------------------------------------------------------- */

typedef struct kv_walk {
    int fd;
    const char *path;
    uint32_t psize;
    uint64_t last_pg;
    uint64_t fsize;   /* the file's size when the snapshot began */
    uint64_t visited; /* pages read: more than the file holds means a loop */
    uint8_t *page;    /* one buffer per depth level, MAX_DEPTH of them */
    char *msg;
    size_t size;
} kv_walk;

static vn_err walk_tree(kv_walk *w, uint64_t pg, int depth, bool main_db);

static vn_err bad_page(kv_walk *w, uint64_t pg, const char *what)
{
    return say(VN_ESTORE, w->msg, w->size, "%s is damaged: page %llu %s", w->path,
               (unsigned long long)pg, what);
}

static bool page_in_file(const kv_walk *w, uint64_t pg)
{
    return pg >= 2 && pg <= w->last_pg;
}

/* Pages first..first+n-1 lie within the file's bytes. */
static vn_err pages_present(kv_walk *w, uint64_t first, uint64_t n)
{
    if ((first + n) * w->psize <= w->fsize) return VN_OK;
    return say(VN_ESTORE, w->msg, w->size,
               "%s is truncated: %llu bytes, but page %llu, which the store uses, lies past them",
               w->path, (unsigned long long)w->fsize, (unsigned long long)(first + n - 1));
}

/* Reads page pg into buf and checks that it names itself. */
static vn_err load_page(kv_walk *w, uint64_t pg, uint8_t *buf)
{
    if (!page_in_file(w, pg)) return bad_page(w, pg, "is named but lies outside the file");
    if (++w->visited > w->last_pg + 1) return bad_page(w, pg, "is reached twice (a loop)");
    vn_err err = pages_present(w, pg, 1);
    if (err) return err;
    if (!read_at(w->fd, buf, w->psize, pg * w->psize)) return bad_page(w, pg, "cannot be read");
    if (get64(buf) != pg) return bad_page(w, pg, "does not carry its own page number");
    return VN_OK;
}

/* A leaf's data: in the page, or on overflow pages that must fit the file;
 * a named database's record leads to its tree. */
static vn_err check_leaf_data(kv_walk *w, uint64_t pg, const uint8_t *page, size_t at,
                              uint16_t flags, uint64_t dsize, int depth, bool main_db)
{
    uint8_t hdr[PAGE_HDR];
    if (flags & F_BIGDATA) {
        if (at + 8 > w->psize) return bad_page(w, pg, "has a node past its end");
        uint64_t ov = get64(page + at);
        if (!page_in_file(w, ov)) return bad_page(w, pg, "names an overflow page outside the file");
        vn_err err = pages_present(w, ov, 1);
        if (err) return err;
        if (!read_at(w->fd, hdr, sizeof hdr, ov * w->psize) || get64(hdr) != ov ||
            !(get16(hdr + 10) & P_OVERFLOW))
            return bad_page(w, ov, "is not the overflow page its leaf names");
        uint64_t n = get32(hdr + 12);
        if (n == 0 || ov + n - 1 > w->last_pg || n * w->psize - PAGE_HDR < dsize)
            return bad_page(w, ov, "spans pages that do not hold its value");
        if ((err = pages_present(w, ov, n))) return err;
        w->visited += n;
        return VN_OK;
    }
    if (at + dsize > w->psize) return bad_page(w, pg, "has a value past its end");
    if (main_db && (flags & F_SUBDATA) && !(flags & F_DUPDATA)) {
        if (dsize != DB_LEN) return bad_page(w, pg, "has a database record of the wrong size");
        uint64_t root = get64(page + at + DB_OFF_ROOT);
        if (root != P_INVALID) return walk_tree(w, root, depth + 1, false);
    }
    return VN_OK;
}

/* Checks the nodes of branch or leaf page pg (in page) and descends. */
static vn_err check_nodes(kv_walk *w, uint64_t pg, const uint8_t *page, int depth, bool main_db)
{
    uint16_t flags = get16(page + 10), lower = get16(page + 12), upper = get16(page + 14);
    bool branch = flags & P_BRANCH;
    if (lower < PAGE_HDR || lower > upper || upper > w->psize || (lower - PAGE_HDR) % 2)
        return bad_page(w, pg, "has bounds outside the page");
    unsigned n = (lower - PAGE_HDR) / 2u;
    if (n == 0 && branch) return bad_page(w, pg, "is a branch without children");
    for (unsigned i = 0; i < n; i++) {
        size_t off = get16(page + PAGE_HDR + 2 * i);
        if (off < upper || off + NODE_HDR > w->psize) return bad_page(w, pg, "has a node outside");
        const uint8_t *node = page + off;
        uint16_t nflags = get16(node + 4), ksize = get16(node + 6);
        uint64_t lo = get16(node), hi = get16(node + 2);
        if (off + NODE_HDR + ksize > w->psize) return bad_page(w, pg, "has a key past its end");
        vn_err err;
        if (branch)
            err = walk_tree(w, lo | hi << 16 | (uint64_t)nflags << 32, depth + 1, main_db);
        else
            err = check_leaf_data(w, pg, page, off + NODE_HDR + ksize, nflags, lo | hi << 16, depth,
                                  main_db);
        if (err) return err;
    }
    return VN_OK;
}

static vn_err walk_tree(kv_walk *w, uint64_t pg, int depth, bool main_db)
{
    if (depth >= MAX_DEPTH) return bad_page(w, pg, "lies deeper than any tree goes (a loop)");
    uint8_t *page = w->page + (size_t)depth * w->psize;
    vn_err err = load_page(w, pg, page);
    if (err) return err;
    uint16_t flags = get16(page + 10);
    if (flags & P_LEAF2) return VN_OK; /* fixed-size duplicates: not used here */
    if ((flags & (P_BRANCH | P_LEAF)) == 0 ||
        (flags & (P_BRANCH | P_LEAF)) == (P_BRANCH | P_LEAF) || (flags & (P_OVERFLOW | P_META)))
        return bad_page(w, pg, "is neither a branch nor a leaf where a tree needs one");
    return check_nodes(w, pg, page, depth, main_db);
}

/* The meta page of the snapshot txn reads (the one with its id). */
static vn_err snapshot_meta(int fd, const char *path, uint64_t fsize, MDB_txn *txn, kv_meta *out,
                            bool *found, char *msg, size_t size)
{
    kv_meta m[2];
    vn_err err = read_metas(fd, path, fsize, m, msg, size);
    if (err) return err;
    uint64_t id = (uint64_t)mdb_txn_id(txn);
    *found = false;
    for (int i = 0; i < 2; i++)
        if (m[i].txnid == id) {
            *out = m[i];
            *found = true;
        }
    return VN_OK;
}

vn_err kv_check_tree(MDB_env *env, const char *dir, char *msg, size_t size)
{
    char path[4096];
    struct stat st;
    kv_walk w = {.path = path, .msg = msg, .size = size};
    kv_meta m = {0};
    MDB_txn *txn = NULL;
    bool found = false;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    w.fd = open(path, O_RDONLY | O_CLOEXEC);
    if (w.fd < 0) return say(VN_EIO, msg, size, "cannot read %s: %s", path, strerror(errno));
    vn_err err = VN_OK;
    for (int attempt = 0; attempt < META_ATTEMPTS && !found && !err; attempt++) {
        if (txn) mdb_txn_abort(txn);
        txn = NULL;
        int rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
        if (rc) {
            err = say(VN_ESTORE, msg, size, "cannot read %s: %s", path, mdb_strerror(rc));
        } else if (fstat(w.fd, &st) != 0) {
            err = say(VN_EIO, msg, size, "cannot read %s: %s", path, strerror(errno));
        } else {
            err = snapshot_meta(w.fd, path, (uint64_t)st.st_size, txn, &m, &found, msg, size);
        }
    }
    if (!err && !found)
        err = say(VN_ESTORE, msg, size, "%s: no meta page matches the store's last transaction",
                  path);
    if (!err) {
        w.psize = m.psize;
        w.last_pg = m.last_pg;
        w.fsize = (uint64_t)st.st_size;
        w.page = malloc((size_t)MAX_DEPTH * m.psize);
        if (!w.page) err = VN_ENOMEM;
    }
    /* The free list's tree, then the main one with the named databases. */
    for (int d = 0; d < 2 && !err; d++)
        if (m.root[d] != P_INVALID) err = walk_tree(&w, m.root[d], 0, d == 1);
    free(w.page);
    if (txn) mdb_txn_abort(txn);
    close(w.fd);
    return err;
}

vn_err kv_check_store(const char *dir, bool must_exist, char *msg, size_t size)
{
    MDB_env *env = NULL;
    bool exists = false;
    if (msg && size) msg[0] = '\0';
    vn_err err = kv_check_file(dir, must_exist, &exists, msg, size);
    if (err || !exists) return err;
    int rc = mdb_env_create(&env);
    if (!rc) rc = mdb_env_set_maxdbs(env, 64);
    /* Read-only and without a map size of its own: LMDB maps what the
     * meta page asks for, and nothing is written. */
    if (!rc) rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600);
    if (rc)
        err = say(VN_ESTORE, msg, size, "cannot open the store in %s: %s", dir, mdb_strerror(rc));
    else
        err = kv_check_tree(env, dir, msg, size);
    if (env) mdb_env_close(env);
    return err;
}
