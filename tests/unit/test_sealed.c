/* vn_sealed: a sealed message opens for its recipient only, carries the
 * sender's certificate and its inner ciphertext unchanged, and is refused
 * when altered, when its certificate is forged (signed by another key) or
 * expired, or when the sender's session key is not the certified one. The
 * last test opens one with a real Signal identity (vn_e2ee_unseal), so the
 * X25519 keys of libsignal and libsodium are known to agree. The bare box
 * (vn_sealed_box, the participant's audit entries) opens for its recipient
 * only, and on a device only through vn_e2ee_open_box. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "vn/e2ee.h"
#include "vn/kv.h"
#include "vn/sealed.h"

#define ALICE_ID "a11ce000000000000000000000000001"
#define CASE_ID  "ca5e0000000000000000000000000009"
#define NOW      1800000000000ULL
#define HOUR     3600000ULL

/* A Signal-style identity: 0x05 and an X25519 public key, and its secret. */
typedef struct ident {
    uint8_t pub[VN_E2EE_KEY_LEN];
    uint8_t priv[32];
} ident;

typedef struct fixture {
    uint8_t server_pub[32], server_sec[64]; /* the server's signing key */
    ident alice, bob, carol;                /* sender, recipient, a bystander */
    uint8_t *cert;                          /* alice's certificate */
    size_t certlen;
    uint8_t sig[VN_SEALED_SIG_LEN];
} fixture;

static void make_ident(ident *id)
{
    id->pub[0] = 0x05;
    assert_int_equal(crypto_box_keypair(id->pub + 1, id->priv), 0);
}

static void issue(fixture *f, const uint8_t sec[64], uint64_t expires)
{
    vn_sender_cert c = {.expires_ms = expires};
    memcpy(c.account, ALICE_ID, sizeof c.account);
    memcpy(c.identity_key, f->alice.pub, VN_E2EE_KEY_LEN);
    free(f->cert);
    assert_int_equal(vn_sealed_cert_issue(sec, &c, &f->cert, &f->certlen, f->sig), VN_OK);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(vn_sealed_signing_keypair(f->server_pub, f->server_sec), VN_OK);
    make_ident(&f->alice);
    make_ident(&f->bob);
    make_ident(&f->carol);
    issue(f, f->server_sec, NOW + HOUR);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    free(f->cert);
    free(f);
    return 0;
}

static const uint8_t INNER[] = "the Signal ciphertext, opaque here";

/* Seals INNER from alice to `to`; the caller frees *out. */
static void seal_to(fixture *f, const ident *to, vn_sealed_kind kind, const char *case_id,
                    uint8_t **out, size_t *len)
{
    assert_int_equal(vn_sealed_seal(to->pub, f->cert, f->certlen, f->sig, kind, case_id, INNER,
                                    sizeof INNER, out, len),
                     VN_OK);
}

static vn_err open_as(fixture *f, const ident *me, uint64_t at, const uint8_t *in, size_t len,
                      vn_sealed_msg *m)
{
    return vn_sealed_open(me->pub, me->priv, f->server_pub, at, in, len, m);
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    uint8_t *box = NULL;
    size_t len = 0;
    vn_sealed_msg m;
    seal_to(f, &f->bob, VN_SEALED_WHISPER, NULL, &box, &len);
    assert_int_equal(open_as(f, &f->bob, NOW, box, len, &m), VN_OK);
    assert_string_equal(m.sender.account, ALICE_ID);
    assert_memory_equal(m.sender.identity_key, f->alice.pub, VN_E2EE_KEY_LEN);
    assert_int_equal(m.kind, VN_SEALED_WHISPER);
    assert_string_equal(m.case_id, "");
    assert_int_equal(m.ctlen, sizeof INNER);
    assert_memory_equal(m.ct, INNER, sizeof INNER);
    assert_int_equal(vn_sealed_check_identity(&m, f->alice.pub), VN_OK);
    vn_sealed_msg_clear(&m);
    free(box);

    /* A team message names its case inside the box. */
    seal_to(f, &f->bob, VN_SEALED_TEAM, CASE_ID, &box, &len);
    assert_int_equal(open_as(f, &f->bob, NOW, box, len, &m), VN_OK);
    assert_int_equal(m.kind, VN_SEALED_TEAM);
    assert_string_equal(m.case_id, CASE_ID);
    vn_sealed_msg_clear(&m);
    vn_sealed_msg_clear(&m); /* twice is fine */
    free(box);
}

static void test_wrong_recipient(void **state)
{
    fixture *f = *state;
    uint8_t *box = NULL;
    size_t len = 0;
    vn_sealed_msg m;
    seal_to(f, &f->bob, VN_SEALED_PREKEY, NULL, &box, &len);
    assert_int_equal(open_as(f, &f->carol, NOW, box, len, &m), VN_ECRYPTO);
    assert_null(m.ct);
    free(box);
}

static void test_tampered(void **state)
{
    fixture *f = *state;
    uint8_t *box = NULL;
    size_t len = 0;
    vn_sealed_msg m;
    seal_to(f, &f->bob, VN_SEALED_WHISPER, NULL, &box, &len);
    for (size_t i = 0; i < len; i += 7) {
        box[i] ^= 0x20;
        assert_int_equal(open_as(f, &f->bob, NOW, box, len, &m), VN_ECRYPTO);
        box[i] ^= 0x20;
    }
    assert_int_equal(open_as(f, &f->bob, NOW, box, len - 1, &m), VN_ECRYPTO);
    assert_int_equal(open_as(f, &f->bob, NOW, box, 10, &m), VN_ECRYPTO);
    free(box);
}

static void test_forged_certificate(void **state)
{
    fixture *f = *state;
    uint8_t other_pub[32], other_sec[64], *box = NULL;
    size_t len = 0;
    vn_sealed_msg m;
    /* Signed by a key that is not the pinned server key. */
    assert_int_equal(vn_sealed_signing_keypair(other_pub, other_sec), VN_OK);
    issue(f, other_sec, NOW + HOUR);
    seal_to(f, &f->bob, VN_SEALED_WHISPER, NULL, &box, &len);
    assert_int_equal(open_as(f, &f->bob, NOW, box, len, &m), VN_EFORGED);
    free(box);
    /* A genuine certificate whose bytes were changed after signing. */
    issue(f, f->server_sec, NOW + HOUR);
    f->cert[f->certlen - 1] ^= 1;
    seal_to(f, &f->bob, VN_SEALED_WHISPER, NULL, &box, &len);
    assert_int_equal(open_as(f, &f->bob, NOW, box, len, &m), VN_EFORGED);
    free(box);
    issue(f, f->server_sec, NOW + HOUR);
}

static void test_expired_certificate(void **state)
{
    fixture *f = *state;
    uint8_t *box = NULL;
    size_t len = 0;
    vn_sealed_msg m;
    issue(f, f->server_sec, NOW - 1);
    seal_to(f, &f->bob, VN_SEALED_WHISPER, NULL, &box, &len);
    assert_int_equal(open_as(f, &f->bob, NOW, box, len, &m), VN_EEXPIRED);
    /* Judged by the envelope's time: stored before expiry is fine. */
    assert_int_equal(open_as(f, &f->bob, NOW - 1, box, len, &m), VN_OK);
    vn_sealed_msg_clear(&m);
    free(box);
    issue(f, f->server_sec, NOW + HOUR);
}

static void test_identity_mismatch(void **state)
{
    fixture *f = *state;
    uint8_t *box = NULL;
    size_t len = 0;
    vn_sealed_msg m;
    seal_to(f, &f->bob, VN_SEALED_WHISPER, NULL, &box, &len);
    assert_int_equal(open_as(f, &f->bob, NOW, box, len, &m), VN_OK);
    /* The session of the certified account holds another key. */
    assert_int_equal(vn_sealed_check_identity(&m, f->carol.pub), VN_EFORGED);
    vn_sealed_msg_clear(&m);
    free(box);
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    uint8_t *box = NULL, bad[VN_E2EE_KEY_LEN];
    size_t len = 0;
    memcpy(bad, f->bob.pub, sizeof bad);
    bad[0] = 0x06;
    assert_int_equal(vn_sealed_seal(bad, f->cert, f->certlen, f->sig, VN_SEALED_WHISPER, NULL,
                                    INNER, sizeof INNER, &box, &len),
                     VN_EINVAL);
    assert_int_equal(vn_sealed_seal(f->bob.pub, f->cert, f->certlen, f->sig, VN_SEALED_TEAM, NULL,
                                    INNER, sizeof INNER, &box, &len),
                     VN_EINVAL);
    assert_int_equal(vn_sealed_seal(f->bob.pub, f->cert, f->certlen, f->sig, VN_SEALED_TEAM,
                                    "not-a-case", INNER, sizeof INNER, &box, &len),
                     VN_EINVAL);
    assert_null(box);
    vn_sender_cert c = {.account = "short"};
    uint8_t *body = NULL, sig[VN_SEALED_SIG_LEN];
    assert_int_equal(vn_sealed_cert_issue(f->server_sec, &c, &body, &len, sig), VN_EINVAL);
    assert_null(body);
}

/* With a real Signal identity from vn_e2ee: the device opens it. */
static void test_signal_identity(void **state)
{
    fixture *f = *state;
    static const char *const dbs[] = {VN_E2EE_DBS};
    char dir[] = "/tmp/vn_sealed_XXXXXX";
    vn_kv *kv = NULL;
    vn_e2ee *e = NULL;
    vn_bundle b;
    uint8_t *box = NULL;
    size_t len = 0;
    vn_sealed_msg m;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(vn_kv_open(&kv, dir, dbs, VN_E2EE_NDBS, 0), VN_OK);
    assert_int_equal(vn_e2ee_open(&e, kv, 0), VN_OK);
    assert_int_equal(vn_e2ee_create_identity(e), VN_OK);
    assert_int_equal(vn_e2ee_public_bundle(e, &b), VN_OK);
    ident dev = {{0}, {0}};
    memcpy(dev.pub, b.identity_key, VN_E2EE_KEY_LEN);
    seal_to(f, &dev, VN_SEALED_PREKEY, NULL, &box, &len);
    assert_int_equal(vn_e2ee_unseal(e, f->server_pub, NOW, box, len, &m), VN_OK);
    assert_string_equal(m.sender.account, ALICE_ID);
    assert_memory_equal(m.ct, INNER, sizeof INNER);
    vn_sealed_msg_clear(&m);
    /* Nobody else's box opens there. */
    free(box);
    seal_to(f, &f->bob, VN_SEALED_PREKEY, NULL, &box, &len);
    assert_int_equal(vn_e2ee_unseal(e, f->server_pub, NOW, box, len, &m), VN_ECRYPTO);
    free(box);
    vn_e2ee_close(&e);
    vn_kv_close(&kv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static const uint8_t ENTRY[] = "minute, reader and what: opaque here";

/* The bare box: only its recipient opens it, unaltered. */
static void test_box(void **state)
{
    fixture *f = *state;
    uint8_t box[sizeof ENTRY + VN_SEALED_BOX_OVERHEAD], out[sizeof ENTRY];
    static uint8_t big[VN_SEALED_BOX_MAX + 1];
    assert_int_equal(vn_sealed_box(f->bob.pub, ENTRY, sizeof ENTRY, box), VN_OK);
    assert_int_equal(vn_sealed_box_open(f->bob.pub, f->bob.priv, box, sizeof box, out), VN_OK);
    assert_memory_equal(out, ENTRY, sizeof ENTRY);
    assert_int_equal(vn_sealed_box_open(f->carol.pub, f->carol.priv, box, sizeof box, out),
                     VN_ECRYPTO);
    box[sizeof box / 2] ^= 1;
    assert_int_equal(vn_sealed_box_open(f->bob.pub, f->bob.priv, box, sizeof box, out), VN_ECRYPTO);
    assert_int_equal(vn_sealed_box_open(f->bob.pub, f->bob.priv, box, 10, out), VN_ECRYPTO);
    uint8_t raw[VN_E2EE_KEY_LEN];
    memcpy(raw, f->bob.pub, sizeof raw);
    raw[0] = 0x06; /* not a Signal Curve25519 key */
    assert_int_equal(vn_sealed_box(raw, ENTRY, sizeof ENTRY, box), VN_EINVAL);
    assert_int_equal(vn_sealed_box(f->bob.pub, big, sizeof big, box), VN_ETOOBIG);
}

/* A box sealed to a device's published identity key opens there, through
 * vn_e2ee, which keeps the secret to itself. */
static void test_box_signal_identity(void **state)
{
    fixture *f = *state;
    static const char *const dbs[] = {VN_E2EE_DBS};
    char dir[] = "/tmp/vn_sealed_XXXXXX";
    vn_kv *kv = NULL;
    vn_e2ee *e = NULL;
    vn_bundle b;
    uint8_t box[sizeof ENTRY + VN_SEALED_BOX_OVERHEAD], out[64];
    size_t n = 1;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(vn_kv_open(&kv, dir, dbs, VN_E2EE_NDBS, 0), VN_OK);
    assert_int_equal(vn_e2ee_open(&e, kv, 0), VN_OK);
    assert_int_equal(vn_e2ee_create_identity(e), VN_OK);
    assert_int_equal(vn_e2ee_public_bundle(e, &b), VN_OK);
    assert_int_equal(vn_sealed_box(b.identity_key, ENTRY, sizeof ENTRY, box), VN_OK);
    assert_int_equal(vn_e2ee_open_box(e, box, sizeof box, out, sizeof out, &n), VN_OK);
    assert_int_equal(n, sizeof ENTRY);
    assert_memory_equal(out, ENTRY, sizeof ENTRY);
    assert_int_equal(vn_e2ee_open_box(e, box, sizeof box, out, 8, &n), VN_ETOOBIG);
    /* Nobody else's box opens there. */
    assert_int_equal(vn_sealed_box(f->bob.pub, ENTRY, sizeof ENTRY, box), VN_OK);
    assert_int_equal(vn_e2ee_open_box(e, box, sizeof box, out, sizeof out, &n), VN_ECRYPTO);
    assert_int_equal(n, 0);
    vn_e2ee_close(&e);
    vn_kv_close(&kv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_wrong_recipient),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_forged_certificate),
        cmocka_unit_test(test_expired_certificate),
        cmocka_unit_test(test_identity_mismatch),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_signal_identity),
        cmocka_unit_test(test_box),
        cmocka_unit_test(test_box_signal_identity),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
