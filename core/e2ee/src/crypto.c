#include "vn/crypto.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vn/rand.h"
#include <stdint.h>

#define HMAC_SHA256_LEN 32
#define SHA512_LEN      64
#define AES_BLOCK       16

struct vn_crypto {
    signal_context *ctx;   /* the libsignal context; its user_data is this struct */
    pthread_mutex_t mutex; /* recursive: libsignal re-enters its own lock */
};

/* libsignal's callbacks return 0 or a negative SG_ERR_* code; anything
 * that goes wrong inside OpenSSL is reported as SG_ERR_UNKNOWN because
 * libsignal has no finer code for it and never shows it to users. */

static int provider_random(uint8_t *data, size_t len, void *user_data)
{
    return vn_rand_bytes(data, len) == VN_OK ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

static int hmac_init(void **hmac_context, const uint8_t *key, size_t key_len, void *user_data)
{
    /* EVP_MAC_init() treats a NULL key as "keep the previous key", which
     * would fail on a fresh context; an empty key must still be a pointer. */
    static const uint8_t empty_key[1] = {0};
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    int rc = SG_ERR_UNKNOWN;

    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac) return SG_ERR_UNKNOWN;
    /* The context holds its own reference to mac. */
    EVP_MAC_CTX *mctx = EVP_MAC_CTX_new(mac);
    if (!mctx) {
        rc = SG_ERR_NOMEM;
        goto err_free_mac;
    }
    if (EVP_MAC_init(mctx, key ? key : empty_key, key ? key_len : 0, params) != 1)
        goto err_free_ctx;
    EVP_MAC_free(mac);
    *hmac_context = mctx;
    return SG_SUCCESS;

err_free_ctx:
    EVP_MAC_CTX_free(mctx);
err_free_mac:
    EVP_MAC_free(mac);
    return rc;
}

static int hmac_update(void *hmac_context, const uint8_t *data, size_t data_len, void *user_data)
{
    return EVP_MAC_update(hmac_context, data, data_len) == 1 ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

static int hmac_final(void *hmac_context, signal_buffer **output, void *user_data)
{
    uint8_t md[HMAC_SHA256_LEN];
    size_t len = 0;

    if (EVP_MAC_final(hmac_context, md, &len, sizeof md) != 1 || len != sizeof md)
        return SG_ERR_UNKNOWN;
    signal_buffer *buf = signal_buffer_create(md, len);
    /* MACs become keys in libsignal's KDF chains. */
    explicit_bzero(md, sizeof md);
    if (!buf) return SG_ERR_NOMEM;
    *output = buf;
    return SG_SUCCESS;
}

static void hmac_cleanup(void *hmac_context, void *user_data)
{
    EVP_MAC_CTX_free(hmac_context);
}

static int sha512_init(void **digest_context, void *user_data)
{
    EVP_MD_CTX *mdctx = EVP_MD_CTX_new();
    if (!mdctx) return SG_ERR_NOMEM;
    if (EVP_DigestInit_ex(mdctx, EVP_sha512(), NULL) != 1) {
        EVP_MD_CTX_free(mdctx);
        return SG_ERR_UNKNOWN;
    }
    *digest_context = mdctx;
    return SG_SUCCESS;
}

static int sha512_update(void *digest_context, const uint8_t *data, size_t data_len,
                         void *user_data)
{
    return EVP_DigestUpdate(digest_context, data, data_len) == 1 ? SG_SUCCESS : SG_ERR_UNKNOWN;
}

static int sha512_final(void *digest_context, signal_buffer **output, void *user_data)
{
    uint8_t md[SHA512_LEN];
    unsigned int len = 0;

    if (EVP_DigestFinal_ex(digest_context, md, &len) != 1 || len != sizeof md)
        return SG_ERR_UNKNOWN;
    /* libsignal reuses the context after final (the fingerprint generator
     * hashes thousands of rounds with one context), so reset it here. */
    if (EVP_DigestInit_ex(digest_context, EVP_sha512(), NULL) != 1) return SG_ERR_UNKNOWN;
    signal_buffer *buf = signal_buffer_create(md, len);
    /* The digest is also used to derive keys (XEdDSA signing). */
    explicit_bzero(md, sizeof md);
    if (!buf) return SG_ERR_NOMEM;
    *output = buf;
    return SG_SUCCESS;
}

static void sha512_cleanup(void *digest_context, void *user_data)
{
    EVP_MD_CTX_free(digest_context);
}

/* The cipher for libsignal's mode and key size, or NULL if it names
 * something libsignal never asks for. */
static const EVP_CIPHER *aes_cipher(int mode, size_t key_len)
{
    switch (mode) {
    case SG_CIPHER_AES_CBC_PKCS5:
        switch (key_len) {
        case 16:
            return EVP_aes_128_cbc();
        case 24:
            return EVP_aes_192_cbc();
        case 32:
            return EVP_aes_256_cbc();
        default:
            return NULL;
        }
    case SG_CIPHER_AES_CTR_NOPADDING:
        switch (key_len) {
        case 16:
            return EVP_aes_128_ctr();
        case 24:
            return EVP_aes_192_ctr();
        case 32:
            return EVP_aes_256_ctr();
        default:
            return NULL;
        }
    default:
        return NULL;
    }
}

/* One-shot AES in either direction. The output can be plaintext, so the
 * scratch buffer is wiped before it is freed. */
static int aes_run(int enc, signal_buffer **output, int mode, const uint8_t *key, size_t key_len,
                   const uint8_t *iv, size_t iv_len, const uint8_t *in, size_t in_len)
{
    const EVP_CIPHER *cipher = aes_cipher(mode, key_len);
    int rc = SG_ERR_UNKNOWN;
    int outl = 0, finl = 0;

    if (!cipher || !key || !iv || iv_len != AES_BLOCK || (!in && in_len > 0)) return SG_ERR_INVAL;
    /* EVP takes int lengths; leave room for one block of padding. */
    if (in_len > (size_t)INT_MAX - AES_BLOCK) return SG_ERR_INVAL;
    size_t cap = in_len + AES_BLOCK;
    uint8_t *out = malloc(cap);
    if (!out) return SG_ERR_NOMEM;
    EVP_CIPHER_CTX *cctx = EVP_CIPHER_CTX_new();
    if (!cctx) {
        rc = SG_ERR_NOMEM;
        goto err_free_out;
    }
    if (EVP_CipherInit_ex(cctx, cipher, NULL, key, iv, enc) != 1) goto err_free_ctx;
    /* CBC uses PKCS#5 padding (the EVP default); CTR is a stream mode. */
    if (EVP_CIPHER_CTX_set_padding(cctx, mode == SG_CIPHER_AES_CBC_PKCS5) != 1) goto err_free_ctx;
    if (in_len > 0 && EVP_CipherUpdate(cctx, out, &outl, in, (int)in_len) != 1) goto err_free_ctx;
    if (EVP_CipherFinal_ex(cctx, out + outl, &finl) != 1) goto err_free_ctx;
    signal_buffer *buf = signal_buffer_create(out, (size_t)outl + (size_t)finl);
    if (!buf) {
        rc = SG_ERR_NOMEM;
        goto err_free_ctx;
    }
    *output = buf;
    rc = SG_SUCCESS;

err_free_ctx:
    EVP_CIPHER_CTX_free(cctx);
err_free_out:
    explicit_bzero(out, cap);
    free(out);
    return rc;
}

static int aes_encrypt(signal_buffer **output, int cipher, const uint8_t *key, size_t key_len,
                       const uint8_t *iv, size_t iv_len, const uint8_t *plaintext,
                       size_t plaintext_len, void *user_data)
{
    return aes_run(1, output, cipher, key, key_len, iv, iv_len, plaintext, plaintext_len);
}

static int aes_decrypt(signal_buffer **output, int cipher, const uint8_t *key, size_t key_len,
                       const uint8_t *iv, size_t iv_len, const uint8_t *ciphertext,
                       size_t ciphertext_len, void *user_data)
{
    return aes_run(0, output, cipher, key, key_len, iv, iv_len, ciphertext, ciphertext_len);
}

void vn_crypto_provider(signal_crypto_provider *out)
{
    memset(out, 0, sizeof *out);
    out->random_func = provider_random;
    out->hmac_sha256_init_func = hmac_init;
    out->hmac_sha256_update_func = hmac_update;
    out->hmac_sha256_final_func = hmac_final;
    out->hmac_sha256_cleanup_func = hmac_cleanup;
    out->sha512_digest_init_func = sha512_init;
    out->sha512_digest_update_func = sha512_update;
    out->sha512_digest_final_func = sha512_final;
    out->sha512_digest_cleanup_func = sha512_cleanup;
    out->encrypt_func = aes_encrypt;
    out->decrypt_func = aes_decrypt;
    out->user_data = NULL;
}

/* libsignal's lock callbacks have no way to report failure; a recursive
 * mutex only fails on misuse, which would be a bug worth crashing on. */
static void crypto_lock(void *user_data)
{
    vn_crypto *self = user_data;
    if (pthread_mutex_lock(&self->mutex) != 0) abort();
}

static void crypto_unlock(void *user_data)
{
    vn_crypto *self = user_data;
    if (pthread_mutex_unlock(&self->mutex) != 0) abort();
}

vn_err vn_crypto_open(vn_crypto **out)
{
    pthread_mutexattr_t attr;
    signal_crypto_provider provider;
    vn_err err = VN_ECRYPTO;

    if (!out) return VN_EINVAL;
    vn_crypto *self = calloc(1, sizeof *self);
    if (!self) return VN_ENOMEM;
    if (pthread_mutexattr_init(&attr) != 0) goto err_free_self;
    /* libsignal takes its lock again from inside locked sections (for
     * example session_cipher_decrypt calls into the session builder). */
    if (pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE) != 0) goto err_destroy_attr;
    if (pthread_mutex_init(&self->mutex, &attr) != 0) goto err_destroy_attr;
    if (signal_context_create(&self->ctx, self) != 0) {
        err = VN_ENOMEM;
        goto err_destroy_mutex;
    }
    vn_crypto_provider(&provider);
    if (signal_context_set_crypto_provider(self->ctx, &provider) != 0) goto err_destroy_ctx;
    if (signal_context_set_locking_functions(self->ctx, crypto_lock, crypto_unlock) != 0)
        goto err_destroy_ctx;
    pthread_mutexattr_destroy(&attr);
    *out = self;
    return VN_OK;

err_destroy_ctx:
    signal_context_destroy(self->ctx);
err_destroy_mutex:
    pthread_mutex_destroy(&self->mutex);
err_destroy_attr:
    pthread_mutexattr_destroy(&attr);
err_free_self:
    free(self);
    return err;
}

void vn_crypto_close(vn_crypto **self_p)
{
    if (!self_p || !*self_p) return;
    vn_crypto *self = *self_p;
    signal_context_destroy(self->ctx);
    pthread_mutex_destroy(&self->mutex);
    free(self);
    *self_p = NULL;
}

signal_context *vn_crypto_context(vn_crypto *self)
{
    return self->ctx;
}
