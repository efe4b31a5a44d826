/* The libsignal crypto provider against published test vectors:
 * RFC 4231 (HMAC-SHA256), FIPS 180-2 (SHA-512) and NIST SP 800-38A
 * (AES-CBC, AES-CTR), plus round trips and refused parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal/curve.h>
#include <signal/key_helper.h>
#include <signal/ratchet.h>

#include "vn/crypto.h"
#include "vn/rand.h"
#include "vn/hex.h"

#define MAX_VEC 128

/* Decodes a hex test vector into out, returning its length. */
static size_t unhex(const char *hex, uint8_t *out)
{
    size_t len = strlen(hex) / 2;
    assert_true(len <= MAX_VEC);
    assert_int_equal(vn_hex_decode(hex, out, len), VN_OK);
    return len;
}

static void assert_buffer_hex(signal_buffer *buf, const char *hex)
{
    uint8_t want[MAX_VEC];
    size_t len = unhex(hex, want);
    assert_non_null(buf);
    assert_int_equal(signal_buffer_len(buf), len);
    assert_memory_equal(signal_buffer_data(buf), want, len);
}

/* HMAC-SHA256 over data, fed in two parts to exercise update. */
static signal_buffer *hmac(const signal_crypto_provider *p, const uint8_t *key, size_t klen,
                           const uint8_t *data, size_t dlen)
{
    void *ctx = NULL;
    signal_buffer *out = NULL;
    size_t half = dlen / 2;
    assert_int_equal(p->hmac_sha256_init_func(&ctx, key, klen, NULL), 0);
    assert_int_equal(p->hmac_sha256_update_func(ctx, data, half, NULL), 0);
    assert_int_equal(p->hmac_sha256_update_func(ctx, data + half, dlen - half, NULL), 0);
    assert_int_equal(p->hmac_sha256_final_func(ctx, &out, NULL), 0);
    p->hmac_sha256_cleanup_func(ctx, NULL);
    return out;
}

static void test_hmac_sha256_rfc4231(void **state)
{
    signal_crypto_provider p;
    uint8_t key[131];
    signal_buffer *out;
    vn_crypto_provider(&p);

    /* Test case 1. */
    memset(key, 0x0b, 20);
    out = hmac(&p, key, 20, (const uint8_t *)"Hi There", 8);
    assert_buffer_hex(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    signal_buffer_free(out);

    /* Test case 2: a key shorter than the output. */
    const char *msg2 = "what do ya want for nothing?";
    out = hmac(&p, (const uint8_t *)"Jefe", 4, (const uint8_t *)msg2, strlen(msg2));
    assert_buffer_hex(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    signal_buffer_free(out);

    /* Test case 6: a key longer than the block is hashed first. */
    memset(key, 0xaa, sizeof key);
    const char *msg6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    out = hmac(&p, key, sizeof key, (const uint8_t *)msg6, strlen(msg6));
    assert_buffer_hex(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    signal_buffer_free(out);

    /* An empty key and message (libsignal's HKDF can pass an empty salt). */
    out = hmac(&p, NULL, 0, (const uint8_t *)"", 0);
    assert_buffer_hex(out, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    signal_buffer_free(out);
}

static void test_sha512_and_context_reuse(void **state)
{
    static const char abc_hex[] =
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
    signal_crypto_provider p;
    void *ctx = NULL;
    signal_buffer *out = NULL;
    vn_crypto_provider(&p);

    assert_int_equal(p.sha512_digest_init_func(&ctx, NULL), 0);
    assert_int_equal(p.sha512_digest_update_func(ctx, (const uint8_t *)"a", 1, NULL), 0);
    assert_int_equal(p.sha512_digest_update_func(ctx, (const uint8_t *)"bc", 2, NULL), 0);
    assert_int_equal(p.sha512_digest_final_func(ctx, &out, NULL), 0);
    assert_buffer_hex(out, abc_hex);
    signal_buffer_free(out);
    out = NULL;

    /* final must leave the context ready for the next digest. */
    assert_int_equal(p.sha512_digest_update_func(ctx, (const uint8_t *)"abc", 3, NULL), 0);
    assert_int_equal(p.sha512_digest_final_func(ctx, &out, NULL), 0);
    assert_buffer_hex(out, abc_hex);
    signal_buffer_free(out);
    p.sha512_digest_cleanup_func(ctx, NULL);
}

/* SP 800-38A plaintext, shared by the CBC and CTR vectors. */
static const char sp_plain[] = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                               "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

static void check_vector(int mode, const char *key_hex, const char *iv_hex, const char *ct_hex,
                         size_t pad)
{
    signal_crypto_provider p;
    uint8_t key[32], iv[16], pt[MAX_VEC], ct[MAX_VEC];
    signal_buffer *out = NULL, *back = NULL;
    vn_crypto_provider(&p);
    size_t klen = unhex(key_hex, key);
    assert_int_equal(unhex(iv_hex, iv), 16);
    size_t ptlen = unhex(sp_plain, pt);
    size_t ctlen = unhex(ct_hex, ct);
    assert_int_equal(ctlen, ptlen);

    assert_int_equal(p.encrypt_func(&out, mode, key, klen, iv, 16, pt, ptlen, NULL), 0);
    /* PKCS#5 adds a whole block when the input fills the last one. */
    assert_int_equal(signal_buffer_len(out), ctlen + pad);
    assert_memory_equal(signal_buffer_data(out), ct, ctlen);
    assert_int_equal(p.decrypt_func(&back, mode, key, klen, iv, 16, signal_buffer_data(out),
                                    signal_buffer_len(out), NULL),
                     0);
    assert_int_equal(signal_buffer_len(back), ptlen);
    assert_memory_equal(signal_buffer_data(back), pt, ptlen);
    signal_buffer_free(out);
    signal_buffer_free(back);
}

static void test_aes_sp800_38a_vectors(void **state)
{
    /* F.2.1 CBC-AES128.Encrypt */
    check_vector(SG_CIPHER_AES_CBC_PKCS5, "2b7e151628aed2a6abf7158809cf4f3c",
                 "000102030405060708090a0b0c0d0e0f",
                 "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
                 "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
                 16);
    /* F.5.1 CTR-AES128.Encrypt */
    check_vector(SG_CIPHER_AES_CTR_NOPADDING, "2b7e151628aed2a6abf7158809cf4f3c",
                 "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
                 "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
                 "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee",
                 0);
    /* F.5.5 CTR-AES256.Encrypt */
    check_vector(SG_CIPHER_AES_CTR_NOPADDING,
                 "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                 "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
                 "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
                 "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6",
                 0);
}

static void test_aes_round_trips_all_key_sizes(void **state)
{
    signal_crypto_provider p;
    uint8_t key[32], iv[16], pt[37];
    static const int modes[] = {SG_CIPHER_AES_CBC_PKCS5, SG_CIPHER_AES_CTR_NOPADDING};
    static const size_t klens[] = {16, 24, 32};
    vn_crypto_provider(&p);
    assert_int_equal(vn_rand_bytes(key, sizeof key), VN_OK);
    assert_int_equal(vn_rand_bytes(iv, sizeof iv), VN_OK);
    assert_int_equal(vn_rand_bytes(pt, sizeof pt), VN_OK);

    for (size_t m = 0; m < 2; m++) {
        for (size_t k = 0; k < 3; k++) {
            signal_buffer *ct = NULL, *back = NULL;
            assert_int_equal(
                p.encrypt_func(&ct, modes[m], key, klens[k], iv, 16, pt, sizeof pt, NULL), 0);
            /* CBC pads 37 bytes to 48; CTR keeps the length. */
            assert_int_equal(signal_buffer_len(ct), modes[m] == SG_CIPHER_AES_CBC_PKCS5 ? 48 : 37);
            assert_memory_not_equal(signal_buffer_data(ct), pt, sizeof pt);
            assert_int_equal(p.decrypt_func(&back, modes[m], key, klens[k], iv, 16,
                                            signal_buffer_data(ct), signal_buffer_len(ct), NULL),
                             0);
            assert_int_equal(signal_buffer_len(back), sizeof pt);
            assert_memory_equal(signal_buffer_data(back), pt, sizeof pt);
            signal_buffer_free(ct);
            signal_buffer_free(back);
        }
    }

    /* An empty plaintext still gets one block of CBC padding. */
    signal_buffer *empty = NULL;
    assert_int_equal(
        p.encrypt_func(&empty, SG_CIPHER_AES_CBC_PKCS5, key, 32, iv, 16, NULL, 0, NULL), 0);
    assert_int_equal(signal_buffer_len(empty), 16);
    signal_buffer_free(empty);
}

static void test_aes_refuses_bad_parameters(void **state)
{
    signal_crypto_provider p;
    uint8_t key[32] = {1}, iv[16] = {2}, data[48] = {3};
    signal_buffer *out = NULL;
    vn_crypto_provider(&p);

    assert_true(p.encrypt_func(&out, SG_CIPHER_AES_CBC_PKCS5, key, 20, iv, 16, data, 16, NULL) < 0);
    assert_true(p.encrypt_func(&out, SG_CIPHER_AES_CBC_PKCS5, key, 32, iv, 12, data, 16, NULL) < 0);
    assert_true(p.encrypt_func(&out, 99, key, 32, iv, 16, data, 16, NULL) < 0);
    /* CBC ciphertext must be whole blocks. */
    assert_true(p.decrypt_func(&out, SG_CIPHER_AES_CBC_PKCS5, key, 32, iv, 16, data, 47, NULL) < 0);
    assert_null(out);
}

static void test_random_and_context(void **state)
{
    signal_crypto_provider p;
    uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
    vn_crypto *c = NULL;
    ratchet_identity_key_pair *pair = NULL;
    vn_crypto_provider(&p);

    assert_int_equal(p.random_func(a, sizeof a, NULL), 0);
    assert_int_equal(p.random_func(b, sizeof b, NULL), 0);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);

    assert_int_equal(vn_crypto_open(&c), VN_OK);
    signal_context *ctx = vn_crypto_context(c);
    assert_non_null(ctx);
    /* A key pair and an XEdDSA signature use random, SHA-512 and the lock. */
    assert_int_equal(signal_protocol_key_helper_generate_identity_key_pair(&pair, ctx), 0);
    signal_buffer *sig = NULL;
    assert_int_equal(curve_calculate_signature(
                         ctx, &sig, ratchet_identity_key_pair_get_private(pair), a, sizeof a),
                     0);
    assert_int_equal(signal_buffer_len(sig), 64);
    assert_int_equal(curve_verify_signature(ratchet_identity_key_pair_get_public(pair), a, sizeof a,
                                            signal_buffer_data(sig), signal_buffer_len(sig)),
                     1);
    assert_int_equal(curve_verify_signature(ratchet_identity_key_pair_get_public(pair), b, sizeof b,
                                            signal_buffer_data(sig), signal_buffer_len(sig)),
                     0);
    signal_buffer_free(sig);
    SIGNAL_UNREF(pair);
    vn_crypto_close(&c);
    assert_null(c);
    vn_crypto_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_sha256_rfc4231),
        cmocka_unit_test(test_sha512_and_context_reuse),
        cmocka_unit_test(test_aes_sp800_38a_vectors),
        cmocka_unit_test(test_aes_round_trips_all_key_sizes),
        cmocka_unit_test(test_aes_refuses_bad_parameters),
        cmocka_unit_test(test_random_and_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
