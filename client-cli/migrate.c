/* Reading a profile of the scrypt era (see migrate.h). */
#include "migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OLD_SALT  16
#define OLD_NONCE 12
#define OLD_TAG   16

/* Reads the salt; VN_ENOTFOUND if it is missing, VN_ECRYPTO (why says
 * how) if it is not 16 bytes long. */
static vn_err read_salt(const char *dir, uint8_t salt[OLD_SALT], char *why, size_t size)
{
    char path[4096];
    uint8_t buf[OLD_SALT + 1];
    ssize_t n;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, VN_MIGRATE_SALT_NAME) >= sizeof path)
        return VN_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (why) snprintf(why, size, "it is missing");
        return errno == ENOENT ? VN_ENOTFOUND : VN_EIO;
    }
    do
        n = read(fd, buf, sizeof buf);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n != OLD_SALT) {
        if (why)
            snprintf(why, size, "it is %s%zd bytes long, not %d (damaged)",
                     n > OLD_SALT ? "over " : "", n > OLD_SALT ? (ssize_t)OLD_SALT : n, OLD_SALT);
        return n < 0 ? VN_EIO : VN_ECRYPTO;
    }
    memcpy(salt, buf, OLD_SALT);
    return VN_OK;
}

vn_err vn_migrate_salt_check(const char *dir, char *why, size_t size)
{
    uint8_t salt[OLD_SALT];
    return read_salt(dir, salt, why, size);
}

vn_err vn_migrate_old_key(const char *dir, const char *pass, uint8_t key[32])
{
    uint8_t salt[OLD_SALT];
    vn_err err = read_salt(dir, salt, NULL, 0);
    if (err) return err;
    /* The parameters the old client used; they are fixed, not stored. */
    if (EVP_PBE_scrypt(pass, strlen(pass), salt, sizeof salt, 1 << 14, 8, 1, 64u << 20, key, 32) !=
        1)
        return VN_ECRYPTO;
    return VN_OK;
}

/* AES-256-GCM open of one old value into out (at least vlen bytes);
 * false if it does not authenticate. */
static bool open_value(const uint8_t key[32], int db, const void *k, size_t kl, const uint8_t *v,
                       size_t vl, uint8_t *out, size_t *outlen)
{
    uint8_t dbb = (uint8_t)db, tag[OLD_TAG];
    int len = 0, fin = 0;
    bool ok = false;
    if (vl < OLD_NONCE + OLD_TAG || vl > (size_t)1 << 30) return false;
    size_t n = vl - OLD_NONCE - OLD_TAG;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx) return false;
    memcpy(tag, v + vl - OLD_TAG, OLD_TAG);
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, OLD_NONCE, NULL) != 1 ||
        EVP_DecryptInit_ex(ctx, NULL, NULL, key, v) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &len, &dbb, 1) != 1 ||
        (kl && EVP_DecryptUpdate(ctx, NULL, &len, k, (int)kl) != 1))
        goto out;
    len = 0;
    if (n && EVP_DecryptUpdate(ctx, out, &len, v + OLD_NONCE, (int)n) != 1) goto out;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, OLD_TAG, tag) != 1) goto out;
    ok = EVP_DecryptFinal_ex(ctx, out + len, &fin) == 1;
    *outlen = n;
out:
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

struct walk {
    const uint8_t *key; /* the old store key */
    int db;             /* the database being walked */
    vn_migrate_fn fn;   /* the caller's callback */
    void *ud;           /* and its data */
};

static vn_err walk_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct walk *w = ud;
    size_t n = 0;
    uint8_t *plain = malloc(vl ? vl : 1);
    if (!plain) return VN_ENOMEM;
    vn_err err = VN_EUNTRUSTED;
    if (open_value(w->key, w->db, k, kl, v, vl, plain, &n))
        err = w->fn(w->ud, w->db, k, kl, plain, n);
    explicit_bzero(plain, vl);
    free(plain);
    return err;
}

vn_err vn_migrate_each(vn_kv *old, int ndb, const uint8_t key[32], vn_migrate_fn fn, void *ud)
{
    struct walk w = {key, 0, fn, ud};
    vn_err err = VN_OK;
    for (w.db = 0; w.db < ndb && !err; w.db++)
        err = vn_kv_each(old, w.db, NULL, 0, walk_cb, &w);
    return err;
}
