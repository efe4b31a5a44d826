/* The server's CURVE key files: server.key sealed under the store key,
 * server.pub in the clear (serverkey.h). */
#include "serverkey.h"
#include "syncdir.h"

#include "vn/hex.h"
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#define HEADER     "vnsk1:"
#define HEADER_LEN (sizeof HEADER - 1)
#define KDF_CTX    "vnsrvkey" /* its own context: no other key of the store key's is this one */
#define KDF_ID     1
#define NONCE_LEN  crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define BOX_LEN    (VN_SERVERKEY_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define SEALED_HEX (2 * (NONCE_LEN + BOX_LEN))
#define SEALED_LEN (HEADER_LEN + SEALED_HEX) /* without the newline */
#define Z85_LEN    40

static void path_of(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%.4000s/%s", dir, name);
}

static void derive(const uint8_t store_key[32],
                   uint8_t sub[crypto_aead_xchacha20poly1305_ietf_KEYBYTES])
{
    crypto_kdf_derive_from_key(sub, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, KDF_ID, KDF_CTX,
                               store_key);
}

/* The file's line for secret: HEADER, hex(nonce || box), newline. */
static void seal(const uint8_t store_key[32], const uint8_t secret[VN_SERVERKEY_LEN],
                 char line[SEALED_LEN + 2])
{
    uint8_t sub[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], raw[NONCE_LEN + BOX_LEN];
    randombytes_buf(raw, NONCE_LEN);
    derive(store_key, sub);
    crypto_aead_xchacha20poly1305_ietf_encrypt(raw + NONCE_LEN, NULL, secret, VN_SERVERKEY_LEN,
                                               (const uint8_t *)HEADER, HEADER_LEN, NULL, raw, sub);
    sodium_memzero(sub, sizeof sub);
    memcpy(line, HEADER, HEADER_LEN);
    vn_hex_encode(raw, sizeof raw, line + HEADER_LEN);
    line[SEALED_LEN] = '\n';
    line[SEALED_LEN + 1] = '\0';
}

static vn_err unseal(const uint8_t store_key[32], const char *text,
                     uint8_t secret[VN_SERVERKEY_LEN])
{
    uint8_t sub[crypto_aead_xchacha20poly1305_ietf_KEYBYTES], raw[NONCE_LEN + BOX_LEN];
    char hex[SEALED_HEX + 1];
    memcpy(hex, text + HEADER_LEN, SEALED_HEX);
    hex[SEALED_HEX] = '\0';
    if (vn_hex_decode(hex, raw, sizeof raw)) return VN_EINVAL;
    derive(store_key, sub);
    int rc =
        crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL, raw + NONCE_LEN, BOX_LEN,
                                                   (const uint8_t *)HEADER, HEADER_LEN, raw, sub);
    sodium_memzero(sub, sizeof sub);
    return rc == 0 ? VN_OK : VN_ECRYPTO;
}

/* Writes text to a new file at path (mode 0600), synced. */
static vn_err write_new(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return VN_EIO;
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok) unlink(path);
    return ok ? VN_OK : VN_EIO;
}

/* Writes the sealed line to a temporary file and moves it to name:
 * over an existing file when replace, else never (VN_EEXISTS). */
static vn_err put_sealed(const char *dir, const char *name, const uint8_t store_key[32],
                         const uint8_t secret[VN_SERVERKEY_LEN], bool replace)
{
    char line[SEALED_LEN + 2], tmp[4096], path[4096];
    path_of(tmp, sizeof tmp, dir, VN_SERVERKEY_FILE ".tmp");
    path_of(path, sizeof path, dir, name);
    seal(store_key, secret, line);
    vn_err err = write_new(tmp, line, 0600);
    if (err) return err;
    if (replace ? rename(tmp, path) != 0 : link(tmp, path) != 0)
        err = errno == EEXIST ? VN_EEXISTS : VN_EIO;
    if (!replace || err) unlink(tmp);
    return err ? err : vn_sync_dir(dir);
}

vn_err vn_serverkey_store(const char *state_dir, const char *name, const uint8_t store_key[32],
                          const uint8_t secret[VN_SERVERKEY_LEN], char *msg, size_t msglen)
{
    vn_err err = put_sealed(state_dir, name, store_key, secret, true);
    if (err) snprintf(msg, msglen, "cannot write %.4000s/%s", state_dir, name);
    return err;
}

vn_err vn_serverkey_create(const char *state_dir, const uint8_t store_key[32], char pub[41],
                           char *msg, size_t msglen)
{
    char sec[Z85_LEN + 1], line[Z85_LEN + 2], path[4096];
    uint8_t secret[VN_SERVERKEY_LEN];
    if (zmq_curve_keypair(pub, sec) != 0 || !zmq_z85_decode(secret, sec)) {
        sodium_memzero(sec, sizeof sec);
        snprintf(msg, msglen, "cannot make a CURVE key pair (libzmq without CURVE?)");
        return VN_ECRYPTO;
    }
    sodium_memzero(sec, sizeof sec);
    vn_err err = put_sealed(state_dir, VN_SERVERKEY_FILE, store_key, secret, false);
    sodium_memzero(secret, sizeof secret);
    if (err) {
        snprintf(msg, msglen, "cannot write %.4000s/%s%s", state_dir, VN_SERVERKEY_FILE,
                 err == VN_EEXISTS ? ": it exists already" : "");
        return err;
    }
    snprintf(line, sizeof line, "%s\n", pub);
    path_of(path, sizeof path, state_dir, VN_SERVERKEY_PUB);
    if ((err = write_new(path, line, 0644))) snprintf(msg, msglen, "cannot write %s", path);
    return err;
}

/* Reads the file at path into text (NUL-terminated, a trailing newline
 * dropped); *len is its length. */
static vn_err read_text(const char *path, char *text, size_t size, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? VN_ENOTFOUND : VN_EIO;
    ssize_t n = read(fd, text, size - 1);
    close(fd);
    if (n < 0) return VN_EIO;
    if (n > 0 && text[n - 1] == '\n') n--;
    text[n] = '\0';
    *len = (size_t)n;
    return VN_OK;
}

/* Opens the text of one server.key file: sealed, or plain z85. A text
 * with the sealed header is never taken for a plain key: the header and
 * hex are z85 characters too, so a sealed file cut to 40 would decode. */
static vn_err parse(const uint8_t store_key[32], const char *text, size_t len,
                    uint8_t secret[VN_SERVERKEY_LEN], bool *plain)
{
    *plain = false;
    if (len >= HEADER_LEN && memcmp(text, HEADER, HEADER_LEN) == 0)
        return len == SEALED_LEN ? unseal(store_key, text, secret) : VN_EINVAL;
    if (len == Z85_LEN && memchr(text, '\n', len) == NULL && zmq_z85_decode(secret, text)) {
        *plain = true;
        return VN_OK;
    }
    return VN_EINVAL;
}

/* Whether server.key.rekey opens with store_key: then a rotation stopped
 * after it moved the store, and the file is moved over server.key. */
static bool finish_rekey(const char *state_dir, const uint8_t store_key[32],
                         uint8_t secret[VN_SERVERKEY_LEN], char *note, size_t notelen)
{
    char path[4096], text[256], msg[256];
    size_t len = 0;
    bool plain;
    path_of(path, sizeof path, state_dir, VN_SERVERKEY_REKEY);
    vn_err err = read_text(path, text, sizeof text, &len);
    if (!err) err = parse(store_key, text, len, secret, &plain);
    sodium_memzero(text, sizeof text);
    if (err || plain || vn_serverkey_rekey_finish(state_dir, msg, sizeof msg)) return false;
    snprintf(note, notelen,
             "%.4000s/%s was left by a key rotation that stopped after it moved the store: moved "
             "over %s",
             state_dir, VN_SERVERKEY_REKEY, VN_SERVERKEY_FILE);
    return true;
}

vn_err vn_serverkey_load(const char *state_dir, const uint8_t store_key[32],
                         uint8_t secret[VN_SERVERKEY_LEN], bool *plain, char *note, size_t notelen,
                         char *msg, size_t msglen)
{
    char path[4096], text[256];
    size_t len = 0;
    note[0] = '\0';
    *plain = false;
    path_of(path, sizeof path, state_dir, VN_SERVERKEY_FILE);
    vn_err err = read_text(path, text, sizeof text, &len);
    if (!err) err = parse(store_key, text, len, secret, plain);
    sodium_memzero(text, sizeof text);
    if (err == VN_ECRYPTO && finish_rekey(state_dir, store_key, secret, note, notelen)) err = VN_OK;
    if (!err) return VN_OK;
    sodium_memzero(secret, VN_SERVERKEY_LEN);
    if (err == VN_ENOTFOUND)
        snprintf(msg, msglen,
                 "there is no %s: run `vangnetd init --state %s` first, or put back "
                 "server.key and server.pub from their backup",
                 path, state_dir);
    else if (err == VN_EIO)
        snprintf(msg, msglen, "cannot read %s: %s", path, strerror(errno));
    else if (err == VN_EINVAL)
        snprintf(msg, msglen,
                 "%s is damaged or cut short: %zu characters, where a sealed server key has %zu "
                 "and an older plain one %d: put back server.key from its backup",
                 path, len, (size_t)SEALED_LEN, Z85_LEN);
    else
        snprintf(msg, msglen,
                 "the store key does not open %s (a wrong store key, or a server.key sealed "
                 "under another one)",
                 path);
    return err;
}

vn_err vn_serverkey_rekey_finish(const char *state_dir, char *msg, size_t msglen)
{
    char from[4096], to[4096];
    path_of(from, sizeof from, state_dir, VN_SERVERKEY_REKEY);
    path_of(to, sizeof to, state_dir, VN_SERVERKEY_FILE);
    if (rename(from, to) != 0 || vn_sync_dir(state_dir) != VN_OK) {
        snprintf(msg, msglen, "cannot move %s over %s: %s", from, to, strerror(errno));
        return VN_EIO;
    }
    return VN_OK;
}
