/* vn_storetool: the end-to-end tests' view of a sealed server store, with
 * its key, as mdb_dump and mdb_load give of an unsealed one. On disk every
 * key is a hash and every value is sealed, so a test that looks at records
 * (how many prekeys an account has, which day the scheduler closed) or plays
 * a malicious server (relabels or copies an envelope) goes through here.
 *
 *   vn_storetool dump KEYFILE STATE (-a | -s TABLE)   mdb_dump's text, in the clear
 *   vn_storetool load KEYFILE STATE TABLE < DUMP      puts every record of DUMP, sealed
 *   vn_storetool copy KEYFILE STATE OUTDIR            an unsealed LMDB copy (for vn_storecheck)
 *
 * Records are written through vn_kv on the store's own handle: table t is
 * database t of vn_sstore_kv(). Exit 0, 1 on a store error, 2 on usage. */
#include "serverpub.h"
#include "vn/kv.h"
#include "vn/sstore.h"
#include "vn/hex.h"
#include <stdbool.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN (2 * 1024 * 1024)

static int usage(void)
{
    fprintf(stderr, "usage: vn_storetool dump KEYFILE STATE (-a | -s TABLE)\n"
                    "       vn_storetool load KEYFILE STATE TABLE < DUMP\n"
                    "       vn_storetool copy KEYFILE STATE OUTDIR\n");
    return 2;
}

static int table_named(const char *name)
{
    for (int t = 0; t < vn_sstore_table_count(); t++)
        if (strcmp(vn_sstore_table_name(t), name) == 0) return t;
    return -1;
}

static void put_hex(const void *p, size_t n)
{
    const uint8_t *b = p;
    putchar(' ');
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
    putchar('\n');
}

static vn_err dump_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen,
                      bool *stop)
{
    (void)ud;
    (void)stop;
    put_hex(key, klen);
    put_hex(val, vlen);
    return VN_OK;
}

static int dump(vn_sstore *st, int t)
{
    printf("VERSION=3\nformat=bytevalue\ndatabase=%s\ntype=btree\nHEADER=END\n",
           vn_sstore_table_name(t));
    vn_err err = vn_sstore_walk(st, t, dump_cb, NULL);
    printf("DATA=END\n");
    return err ? 1 : 0;
}

/* Decodes one " HEX" data line into buf; returns its length or -1. */
static long unhex(const char *line, uint8_t *buf)
{
    size_t n = strcspn(line, "\r\n");
    if (n == 0 || line[0] != ' ' || (n - 1) % 2) return -1;
    for (size_t i = 1; i + 1 < n; i += 2) {
        unsigned v;
        if (sscanf(line + i, "%2x", &v) != 1) return -1;
        buf[(i - 1) / 2] = (uint8_t)v;
    }
    return (long)((n - 1) / 2);
}

static int load(vn_sstore *st, int t)
{
    char *line = malloc(LINE_MAX_LEN);
    uint8_t *key = malloc(LINE_MAX_LEN / 2), *val = malloc(LINE_MAX_LEN / 2);
    vn_kv *kv = vn_sstore_kv(st);
    bool data = false;
    long klen = -1;
    vn_err err = line && key && val ? vn_kv_begin(kv) : VN_ENOMEM;
    while (!err && fgets(line, LINE_MAX_LEN, stdin)) {
        if (!data) {
            data = strncmp(line, "HEADER=END", 10) == 0;
            continue;
        }
        if (strncmp(line, "DATA=END", 8) == 0) break;
        long n = unhex(line, klen < 0 ? key : val);
        if (n < 0)
            err = VN_EINVAL;
        else if (klen < 0)
            klen = n;
        else {
            err = vn_kv_put(kv, t, key, (size_t)klen, val, (size_t)n);
            klen = -1;
        }
    }
    if (!err)
        err = vn_kv_commit(kv);
    else if (vn_kv_in_txn(kv))
        vn_kv_abort(kv);
    free(line);
    free(key);
    free(val);
    if (err) fprintf(stderr, "vn_storetool: load: %s\n", vn_err_str(err));
    return err ? 1 : 0;
}

typedef struct copy_ctx {
    vn_kv *to; /* the unsealed copy */
    int t;     /* the table copied */
} copy_ctx;

static vn_err copy_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen,
                      bool *stop)
{
    (void)stop;
    copy_ctx *c = ud;
    return vn_kv_put(c->to, c->t, key, klen, val, vlen);
}

static int copy(vn_sstore *st, const char *outdir)
{
    const char *names[64];
    int n = vn_sstore_table_count();
    copy_ctx c = {0};
    for (int t = 0; t < n && t < 64; t++)
        names[t] = vn_sstore_table_name(t);
    vn_err err = vn_kv_open(&c.to, outdir, names, n, 0);
    if (!err) err = vn_kv_begin(c.to);
    for (c.t = 0; !err && c.t < n; c.t++)
        err = vn_sstore_walk(st, c.t, copy_cb, &c);
    if (!err) err = vn_kv_commit(c.to);
    vn_kv_close(&c.to);
    if (err) fprintf(stderr, "vn_storetool: copy: %s\n", vn_err_str(err));
    return err ? 1 : 0;
}

int main(int argc, char **argv)
{
    uint8_t key[32];
    vn_sstore *st = NULL;
    int rc = 0;
    if (argc < 5) return usage();
    const char *cmd = argv[1];
    if (serverpub_read_store_key(argv[2], key) != 0) {
        fprintf(stderr, "vn_storetool: cannot read a store key from %s\n", argv[2]);
        return 2;
    }
    vn_err err = vn_sstore_open(&st, argv[3], 0, key);
    explicit_bzero(key, sizeof key);
    if (err) {
        fprintf(stderr, "vn_storetool: cannot open the store in %s: %s\n", argv[3],
                vn_err_str(err));
        return 1;
    }
    if (strcmp(cmd, "dump") == 0 && strcmp(argv[4], "-a") == 0) {
        for (int t = 0; t < vn_sstore_table_count() && !rc; t++)
            rc = dump(st, t);
    } else if (strcmp(cmd, "dump") == 0 && argc == 6 && strcmp(argv[4], "-s") == 0) {
        int t = table_named(argv[5]);
        rc = t < 0 ? usage() : dump(st, t);
    } else if (strcmp(cmd, "load") == 0) {
        int t = table_named(argv[4]);
        rc = t < 0 ? usage() : load(st, t);
    } else if (strcmp(cmd, "copy") == 0) {
        rc = copy(st, argv[4]);
    } else {
        rc = usage();
    }
    vn_sstore_close(&st);
    return rc;
}
