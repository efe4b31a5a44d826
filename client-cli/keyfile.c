/* The profile's key file: the master key wrapped by the passphrase. */
#include "keyfile.h"

#include "vn/be.h"
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KF_MAGIC      "VNPK"
#define KF_VERSION    2 /* version 1 had no checksum; it is still read */
#define KF_ARGON2ID13 1
#define KF_SALT       16
#define KF_NONCE      24
#define KF_TAG        16
#define KF_AAD        (16 + KF_SALT)
#define KF_SIZE_V1    (KF_AAD + KF_NONCE + VN_KEYFILE_KEY_LEN + KF_TAG)
#define KF_SUM        16
#define KF_SIZE       (KF_SIZE_V1 + KF_SUM)

/* Beyond these a file is damaged or hostile: a guess should not take
 * minutes or all the memory there is. */
#define KF_OPS_MAX     32u
#define KF_MEM_KIB_MAX (4u * 1024u * 1024u)

_Static_assert(KF_SALT == crypto_pwhash_SALTBYTES, "Argon2id salt length");
_Static_assert(KF_NONCE == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, "nonce length");
_Static_assert(KF_TAG == crypto_aead_xchacha20poly1305_ietf_ABYTES, "tag length");

/* The wrapping key: Argon2id over the passphrase. libsodium fails only for
 * limits out of its range (checked before) or when memory is short. */
static vn_err derive(const char *pass, const uint8_t salt[KF_SALT], const vn_keyfile_cost *cost,
                     uint8_t key[32])
{
    if (crypto_pwhash(key, 32, pass, strlen(pass), salt, cost->ops, (size_t)cost->mem_kib * 1024u,
                      crypto_pwhash_ALG_ARGON2ID13) != 0)
        return VN_ENOMEM;
    return VN_OK;
}

static bool cost_ok(const vn_keyfile_cost *cost)
{
    return cost->ops >= crypto_pwhash_OPSLIMIT_MIN && cost->ops <= KF_OPS_MAX &&
           (size_t)cost->mem_kib * 1024u >= crypto_pwhash_MEMLIMIT_MIN &&
           cost->mem_kib <= KF_MEM_KIB_MAX;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Replaces dir/name with buf: the rename is the commit point, and the
 * directory's fsync makes the rename itself durable. */
static vn_err replace_file(const char *dir, const char *name, const uint8_t *buf, size_t n)
{
    char path[4096], tmp[4096];
    vn_err err = VN_EIO;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name) >= sizeof tmp)
        return VN_EINVAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return VN_EIO;
    bool ok = write_all(fd, buf, n) && fsync(fd) == 0;
    if (close(fd) != 0 || !ok) goto err_unlink;
    if (rename(tmp, path) != 0) goto err_unlink;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return VN_EIO;
    err = fsync(dfd) == 0 ? VN_OK : VN_EIO;
    close(dfd);
    return err;
err_unlink:
    unlink(tmp);
    return err;
}

/* An unkeyed hash of the rest of the file. It proves nothing against an
 * attacker (anyone can recompute it); it tells a damaged file (a flipped
 * salt byte, a truncated copy) from a wrong passphrase, which the AEAD tag
 * alone cannot: both fail the tag. */
static void checksum(const uint8_t *buf, uint8_t sum[KF_SUM])
{
    crypto_generichash(sum, KF_SUM, buf, KF_SIZE_V1, NULL, 0);
}

vn_err vn_keyfile_write(const char *dir, const char *pass, const uint8_t master[32],
                        const vn_keyfile_cost *cost)
{
    uint8_t buf[KF_SIZE], key[32];
    if (!cost_ok(cost)) return VN_EINVAL;
    memset(buf, 0, sizeof buf);
    memcpy(buf, KF_MAGIC, 4);
    buf[4] = KF_VERSION;
    buf[5] = KF_ARGON2ID13;
    vn_be_put32(buf + 8, cost->ops);
    vn_be_put32(buf + 12, cost->mem_kib);
    randombytes_buf(buf + 16, KF_SALT);
    randombytes_buf(buf + KF_AAD, KF_NONCE);
    vn_err err = derive(pass, buf + 16, cost, key);
    if (err) goto out;
    crypto_aead_xchacha20poly1305_ietf_encrypt(buf + KF_AAD + KF_NONCE, NULL, master,
                                               VN_KEYFILE_KEY_LEN, buf, KF_AAD, NULL, buf + KF_AAD,
                                               key);
    checksum(buf, buf + KF_SIZE_V1);
    err = replace_file(dir, VN_KEYFILE_NAME, buf, sizeof buf);
out:
    sodium_memzero(key, sizeof key);
    return err;
}

/* Reads the whole file; one byte more than expected shows a longer file. */
static vn_err load(const char *dir, uint8_t buf[KF_SIZE + 1], size_t *n)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, VN_KEYFILE_NAME) >= sizeof path)
        return VN_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? VN_ENOTFOUND : VN_EIO;
    size_t got = 0;
    while (got < KF_SIZE + 1) {
        ssize_t r = read(fd, buf + got, KF_SIZE + 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            close(fd);
            return VN_EIO;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    close(fd);
    *n = got;
    return VN_OK;
}

/* Checks what can be checked without the passphrase; *version gets the
 * file's version. why (may be NULL) gets what is wrong. */
static vn_err inspect(const uint8_t *buf, size_t n, int *version, char *why, size_t size)
{
    uint8_t sum[KF_SUM];
    char dummy[8];
    if (!why) {
        why = dummy;
        size = sizeof dummy;
    }
    if (n < 6 || memcmp(buf, KF_MAGIC, 4) != 0) {
        snprintf(why, size, "it does not start with the key file's magic (%zu bytes)", n);
        return VN_ECRYPTO;
    }
    *version = buf[4];
    if ((buf[4] != 1 && buf[4] != KF_VERSION) || buf[5] != KF_ARGON2ID13) {
        snprintf(why, size, "version %u, KDF %u: written by a newer vangnet", buf[4], buf[5]);
        return VN_EVERSION;
    }
    size_t want = buf[4] == 1 ? KF_SIZE_V1 : KF_SIZE;
    if (n != want) {
        snprintf(why, size, "it is %s%zu bytes long, not %zu (truncated or extended)",
                 n > want ? "more than " : "", n > want ? want : n, want);
        return VN_ECRYPTO;
    }
    vn_keyfile_cost c = {vn_be_get32(buf + 8), vn_be_get32(buf + 12)};
    if (buf[4] == KF_VERSION) {
        checksum(buf, sum);
        if (sodium_memcmp(sum, buf + KF_SIZE_V1, KF_SUM) != 0) {
            snprintf(why, size, "its checksum does not match (a byte of it was changed)");
            return VN_ECRYPTO;
        }
    }
    if (!cost_ok(&c)) {
        snprintf(why, size, "its Argon2id cost (%u passes, %u KiB) is out of range", c.ops,
                 c.mem_kib);
        return VN_ECRYPTO;
    }
    return VN_OK;
}

vn_err vn_keyfile_check(const char *dir, char *why, size_t size)
{
    uint8_t buf[KF_SIZE + 1];
    size_t n = 0;
    int version = 0;
    vn_err err = load(dir, buf, &n);
    if (err == VN_ENOTFOUND && why) snprintf(why, size, "it is missing");
    if (err == VN_EIO && why) snprintf(why, size, "it cannot be read: %s", strerror(errno));
    if (err) return err;
    return inspect(buf, n, &version, why, size);
}

vn_err vn_keyfile_read(const char *dir, const char *pass, uint8_t master[32], vn_keyfile_cost *cost)
{
    uint8_t buf[KF_SIZE + 1], key[32];
    size_t n = 0;
    int version = 0;
    vn_err err = load(dir, buf, &n);
    if (err) return err;
    if ((err = inspect(buf, n, &version, NULL, 0))) return err;
    vn_keyfile_cost c = {vn_be_get32(buf + 8), vn_be_get32(buf + 12)};
    if ((err = derive(pass, buf + 16, &c, key))) goto out;
    /* The tag checks the passphrase: a wrong one is named, not guessed at
     * from garbage further on. (A damaged file was told apart above, by
     * its checksum, for files of version 2.) */
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(master, NULL, NULL, buf + KF_AAD + KF_NONCE,
                                                   VN_KEYFILE_KEY_LEN + KF_TAG, buf, KF_AAD,
                                                   buf + KF_AAD, key) != 0) {
        sodium_memzero(master, VN_KEYFILE_KEY_LEN);
        err = VN_EUNTRUSTED;
        goto out;
    }
    if (cost) *cost = c;
out:
    sodium_memzero(key, sizeof key);
    return err;
}

bool vn_keyfile_pass_strong(const char *pass)
{
    size_t chars = 0, words = 0;
    bool in_word = false;
    for (const unsigned char *p = (const unsigned char *)pass; *p; p++) {
        /* UTF-8 continuation bytes belong to the character before them. */
        if ((*p & 0xC0) != 0x80) chars++;
        bool space = *p == ' ' || *p == '\t';
        if (!space && !in_word) words++;
        in_word = !space;
    }
    return chars >= VN_PASS_MIN_CHARS || words >= VN_PASS_MIN_WORDS;
}
