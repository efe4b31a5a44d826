/* vn_e2ee end to end between devices that each have their own LMDB store
 * in a temporary directory: session setup with and without a one-time
 * prekey, ratchet behaviour, persistence, trust on first use and key
 * changes, safety numbers and signed prekey rotation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <signal/protocol.h>

#include "vn/crypto.h"
#include "vn/e2ee.h"
#include "vn/kv.h"
#include "vn/wallclock.h"
#include "vn/account.h"
#include <stdbool.h>

#define DAY_MS (24ULL * 3600 * 1000)

/* The e2ee databases sit after one unrelated database, so first_db != 0
 * is exercised too. */
static const char *const DBS[] = {"app", VN_E2EE_DBS};
#define FIRST_DB 1
#define NDBS     (1 + VN_E2EE_NDBS)

#define ALICE_ID "a11ce000000000000000000000000001"
#define BOB_ID   "b0b00000000000000000000000000002"
#define CAROL_ID "ca201000000000000000000000000003"

typedef struct dev {
    char dir[64];                /* temporary store directory, "" when unused */
    vn_kv *kv;                   /* the device's store */
    vn_e2ee *e;                  /* e2ee over kv */
    char id[VN_ACCOUNT_HEX + 1]; /* account id */
} dev;

typedef struct world {
    dev alice, bob, carol;
} world;

typedef struct msg {
    uint8_t *ct; /* ciphertext */
    size_t len;  /* its length */
    bool prekey; /* PreKeySignalMessage? */
} msg;

static void dev_open_store(dev *d)
{
    assert_int_equal(vn_kv_open(&d->kv, d->dir, DBS, NDBS, 64u << 20), VN_OK);
    assert_int_equal(vn_e2ee_open(&d->e, d->kv, FIRST_DB), VN_OK);
}

static void dev_close_store(dev *d)
{
    vn_e2ee_close(&d->e);
    vn_kv_close(&d->kv);
}

/* A device with an empty store and no identity yet. */
static void dev_blank(dev *d, const char *id)
{
    int n = snprintf(d->dir, sizeof d->dir, "/tmp/vn-e2ee-XXXXXX");
    assert_true(n > 0 && (size_t)n < sizeof d->dir);
    assert_non_null(mkdtemp(d->dir));
    memcpy(d->id, id, VN_ACCOUNT_HEX + 1);
    dev_open_store(d);
}

static void dev_new(dev *d, const char *id)
{
    dev_blank(d, id);
    assert_int_equal(vn_e2ee_create_identity(d->e), VN_OK);
    assert_int_equal(vn_e2ee_set_account(d->e, d->id), VN_OK);
}

static void dev_free(dev *d)
{
    char path[96];
    dev_close_store(d);
    if (!d->dir[0]) return;
    snprintf(path, sizeof path, "%s/data.mdb", d->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", d->dir);
    unlink(path);
    rmdir(d->dir);
    d->dir[0] = '\0';
}

static void dev_reopen(dev *d)
{
    dev_close_store(d);
    dev_open_store(d);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    if (!w) return -1;
    dev_new(&w->alice, ALICE_ID);
    dev_new(&w->bob, BOB_ID);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    dev_free(&w->alice);
    dev_free(&w->bob);
    dev_free(&w->carol);
    free(w);
    return 0;
}

static msg enc(dev *from, dev *to, const char *text)
{
    msg m = {0};
    assert_int_equal(vn_e2ee_encrypt(from->e, to->id, (const uint8_t *)text, strlen(text), &m.ct,
                                     &m.len, &m.prekey),
                     VN_OK);
    assert_non_null(m.ct);
    assert_true(m.len > strlen(text));
    return m;
}

static vn_err try_dec(dev *to, dev *from, const msg *m)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    vn_err err = vn_e2ee_decrypt(to->e, from->id, m->prekey, m->ct, m->len, &pt, &len);
    if (err == VN_OK) assert_non_null(pt);
    free(pt);
    return err;
}

static void expect_dec(dev *to, dev *from, const msg *m, const char *text)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    assert_int_equal(vn_e2ee_decrypt(to->e, from->id, m->prekey, m->ct, m->len, &pt, &len), VN_OK);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(pt, text, len);
    free(pt);
}

static void msg_free(msg *m)
{
    free(m->ct);
    m->ct = NULL;
}

/* Sends text and checks it arrives, and whether it was a prekey message. */
static void roundtrip(dev *from, dev *to, const char *text, bool want_prekey)
{
    msg m = enc(from, to, text);
    assert_int_equal(m.prekey, want_prekey);
    expect_dec(to, from, &m, text);
    msg_free(&m);
}

/* a starts a session from b's bundle, with one fresh one-time prekey if
 * asked. */
static void connect(dev *a, dev *b, bool with_prekey)
{
    vn_bundle bundle;
    assert_int_equal(vn_e2ee_public_bundle(b->e, &bundle), VN_OK);
    if (with_prekey) {
        vn_prekey_pub *pk = NULL;
        assert_int_equal(vn_e2ee_generate_prekeys(b->e, 1, &pk), VN_OK);
        bundle.has_prekey = true;
        bundle.prekey_id = pk[0].id;
        memcpy(bundle.prekey, pk[0].key, VN_E2EE_KEY_LEN);
        free(pk);
    }
    assert_int_equal(vn_e2ee_start_session(a->e, b->id, &bundle), VN_OK);
    assert_true(vn_e2ee_has_session(a->e, b->id));
}

static void safety(dev *d, dev *peer, char out[VN_E2EE_SAFETY_LEN + 1], bool want_pending)
{
    bool pending = !want_pending;
    assert_int_equal(vn_e2ee_safety_number(d->e, peer->id, out, &pending), VN_OK);
    assert_int_equal(pending, want_pending);
    assert_int_equal(strlen(out), VN_E2EE_SAFETY_LEN);
    assert_int_equal(strspn(out, "0123456789"), VN_E2EE_SAFETY_LEN);
}

static void test_identity_basics(void **state)
{
    world *w = *state;
    vn_bundle b;
    char sn[VN_E2EE_SAFETY_LEN + 1];
    bool pending;

    dev_blank(&w->carol, CAROL_ID);
    assert_false(vn_e2ee_has_identity(w->carol.e));
    assert_int_equal(vn_e2ee_public_bundle(w->carol.e, &b), VN_ENOTFOUND);
    assert_int_equal(vn_e2ee_create_identity(w->carol.e), VN_OK);
    assert_true(vn_e2ee_has_identity(w->carol.e));
    assert_int_equal(vn_e2ee_create_identity(w->carol.e), VN_EEXISTS);

    assert_int_equal(vn_e2ee_public_bundle(w->carol.e, &b), VN_OK);
    assert_true(b.registration_id >= 1 && b.registration_id <= 16380);
    assert_int_equal(b.identity_key[0], 0x05); /* DJB key type */
    assert_int_equal(b.signed_prekey[0], 0x05);
    assert_int_equal(b.signed_prekey_id, 1);
    assert_false(b.has_prekey);

    /* The safety number needs our own account id first. */
    connect(&w->carol, &w->alice, false);
    assert_int_equal(vn_e2ee_safety_number(w->carol.e, ALICE_ID, sn, &pending), VN_EINVAL);
    assert_int_equal(vn_e2ee_set_account(w->carol.e, "not-an-account"), VN_EINVAL);
    assert_int_equal(vn_e2ee_set_account(w->carol.e, CAROL_ID), VN_OK);
    assert_int_equal(vn_e2ee_safety_number(w->carol.e, ALICE_ID, sn, &pending), VN_OK);
    /* Nothing is known about a peer we never met. */
    assert_int_equal(vn_e2ee_safety_number(w->carol.e, BOB_ID, sn, &pending), VN_ENOTFOUND);

    /* Malformed peers are refused. */
    uint8_t *ct = NULL;
    size_t ctlen = 0;
    bool pk;
    assert_int_equal(vn_e2ee_start_session(w->carol.e, "B0B", &b), VN_EINVAL);
    assert_false(vn_e2ee_has_session(w->carol.e, "B0B"));
    assert_int_equal(vn_e2ee_encrypt(w->carol.e, "B0B", (const uint8_t *)"x", 1, &ct, &ctlen, &pk),
                     VN_EINVAL);
    /* No session yet with bob. */
    assert_int_equal(vn_e2ee_encrypt(w->carol.e, BOB_ID, (const uint8_t *)"x", 1, &ct, &ctlen, &pk),
                     VN_ENOSESSION);
    assert_null(ct);
}

static void test_prekey_ids_increase_and_persist(void **state)
{
    world *w = *state;
    vn_prekey_pub *pk = NULL;
    uint32_t count = 99;

    assert_int_equal(vn_e2ee_prekey_count(w->alice.e, &count), VN_OK);
    assert_int_equal(count, 0);
    assert_int_equal(vn_e2ee_generate_prekeys(w->alice.e, 3, &pk), VN_OK);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(pk[i].id, i + 1);
        assert_int_equal(pk[i].key[0], 0x05);
    }
    assert_memory_not_equal(pk[0].key, pk[1].key, VN_E2EE_KEY_LEN);
    free(pk);
    assert_int_equal(vn_e2ee_generate_prekeys(w->alice.e, 2, &pk), VN_OK);
    assert_int_equal(pk[0].id, 4);
    assert_int_equal(pk[1].id, 5);
    free(pk);
    assert_int_equal(vn_e2ee_prekey_count(w->alice.e, &count), VN_OK);
    assert_int_equal(count, 5);

    /* The counter is stored, not kept in memory. */
    dev_reopen(&w->alice);
    assert_int_equal(vn_e2ee_generate_prekeys(w->alice.e, 1, &pk), VN_OK);
    assert_int_equal(pk[0].id, 6);
    free(pk);
    assert_int_equal(vn_e2ee_prekey_count(w->alice.e, &count), VN_OK);
    assert_int_equal(count, 6);

    pk = NULL;
    assert_int_equal(vn_e2ee_generate_prekeys(w->alice.e, 0, &pk), VN_EINVAL);
    assert_int_equal(vn_e2ee_generate_prekeys(w->alice.e, VN_E2EE_MAX_PREKEY_BATCH + 1, &pk),
                     VN_ETOOBIG);
    assert_null(pk);
}

static void test_session_with_one_time_prekey(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    vn_prekey_pub *spare = NULL;
    uint32_t count = 0;
    char sa[VN_E2EE_SAFETY_LEN + 1], sb[VN_E2EE_SAFETY_LEN + 1];

    assert_int_equal(vn_e2ee_generate_prekeys(bob->e, 2, &spare), VN_OK);
    free(spare);
    connect(alice, bob, true); /* uses a third prekey, id 3 */
    assert_int_equal(vn_e2ee_prekey_count(bob->e, &count), VN_OK);
    assert_int_equal(count, 3);
    assert_false(vn_e2ee_has_session(bob->e, alice->id));

    /* Alice's messages are prekey messages until Bob answers. */
    roundtrip(alice, bob, "hello bob", true);
    assert_true(vn_e2ee_has_session(bob->e, alice->id));
    assert_int_equal(vn_e2ee_prekey_count(bob->e, &count), VN_OK);
    assert_int_equal(count, 2); /* the one-time prekey was used up */
    roundtrip(alice, bob, "still there?", true);
    roundtrip(bob, alice, "hi alice", false);
    roundtrip(alice, bob, "now a plain message", false);
    roundtrip(bob, alice, "", false); /* empty messages work too */
    assert_int_equal(vn_e2ee_prekey_count(bob->e, &count), VN_OK);
    assert_int_equal(count, 2);

    /* Both sides compute the same 60 digits, unverified until confirmed. */
    safety(alice, bob, sa, false);
    safety(bob, alice, sb, false);
    assert_string_equal(sa, sb);
    assert_false(vn_e2ee_peer_verified(alice->e, bob->id));
    assert_int_equal(vn_e2ee_confirm_peer(alice->e, bob->id), VN_OK);
    assert_true(vn_e2ee_peer_verified(alice->e, bob->id));
    assert_false(vn_e2ee_peer_verified(bob->e, alice->id));
    /* Confirming an unchanged key keeps the session. */
    assert_true(vn_e2ee_has_session(alice->e, bob->id));
    roundtrip(alice, bob, "after verify", false);
    safety(alice, bob, sa, false);
    assert_string_equal(sa, sb);
    assert_int_equal(vn_e2ee_confirm_peer(alice->e, CAROL_ID), VN_ENOTFOUND);
}

static void test_session_without_one_time_prekey(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    vn_prekey_pub *pk = NULL;
    uint32_t count = 0;

    assert_int_equal(vn_e2ee_generate_prekeys(bob->e, 1, &pk), VN_OK);
    free(pk);
    connect(alice, bob, false);
    roundtrip(alice, bob, "no one-time key", true);
    roundtrip(bob, alice, "fine by me", false);
    roundtrip(alice, bob, "great", false);
    /* Bob's one-time prekey was not needed. */
    assert_int_equal(vn_e2ee_prekey_count(bob->e, &count), VN_OK);
    assert_int_equal(count, 1);
}

static void test_out_of_order_duplicate_and_tampering(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;

    connect(alice, bob, true);
    msg m1 = enc(alice, bob, "one");
    assert_true(m1.prekey);
    expect_dec(bob, alice, &m1, "one");
    roundtrip(bob, alice, "ack", false);

    msg m2 = enc(alice, bob, "two"), m3 = enc(alice, bob, "three"), m4 = enc(alice, bob, "four");
    assert_false(m2.prekey);
    expect_dec(bob, alice, &m4, "four");
    expect_dec(bob, alice, &m2, "two");
    expect_dec(bob, alice, &m3, "three");
    /* Every one of them decrypts once only. */
    assert_int_equal(try_dec(bob, alice, &m3), VN_EDUPLICATE);
    assert_int_equal(try_dec(bob, alice, &m4), VN_EDUPLICATE);
    assert_int_equal(try_dec(bob, alice, &m1), VN_EDUPLICATE);

    /* Out of order across a ratchet step in the other direction. */
    msg r1 = enc(bob, alice, "r1"), r2 = enc(bob, alice, "r2");
    expect_dec(alice, bob, &r2, "r2");
    expect_dec(alice, bob, &r1, "r1");
    assert_int_equal(try_dec(alice, bob, &r1), VN_EDUPLICATE);

    /* Tampering anywhere fails authentication and leaves the state intact. */
    msg m5 = enc(alice, bob, "five");
    msg bad = {malloc(m5.len), m5.len, m5.prekey};
    assert_non_null(bad.ct);
    memcpy(bad.ct, m5.ct, m5.len);
    bad.ct[bad.len - 1] ^= 0x01; /* in the MAC */
    assert_int_equal(try_dec(bob, alice, &bad), VN_ECRYPTO);
    memcpy(bad.ct, m5.ct, m5.len);
    bad.ct[bad.len - 10] ^= 0x80; /* in the encrypted body */
    assert_int_equal(try_dec(bob, alice, &bad), VN_ECRYPTO);
    memset(bad.ct, 0x42, bad.len); /* garbage */
    assert_int_equal(try_dec(bob, alice, &bad), VN_ECRYPTO);
    /* A plain message presented as a prekey message does not parse. */
    msg wrong = {m5.ct, m5.len, true};
    assert_int_equal(try_dec(bob, alice, &wrong), VN_ECRYPTO);
    expect_dec(bob, alice, &m5, "five");
    assert_int_equal(try_dec(bob, alice, &m5), VN_EDUPLICATE);

    /* A peer with no session gets VN_ENOSESSION for a plain message. */
    dev_new(&w->carol, CAROL_ID);
    assert_int_equal(try_dec(&w->carol, alice, &m5), VN_ENOSESSION);

    msg_free(&bad);
    msg_free(&m1);
    msg_free(&m2);
    msg_free(&m3);
    msg_free(&m4);
    msg_free(&m5);
    msg_free(&r1);
    msg_free(&r2);
}

/* Where needle starts inside hay (memmem is a GNU extension). */
static uint8_t *find_bytes(uint8_t *hay, size_t hlen, const uint8_t *needle, size_t nlen)
{
    for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++)
        if (memcmp(hay + i, needle, nlen) == 0) return hay + i;
    return NULL;
}

/* Flips the last byte of the signal message inside a prekey message: its
 * MAC, which libsignal checks only after it has processed the prekey part
 * and asked to save the sender's identity key. */
static void corrupt_inner_mac(msg *m)
{
    vn_crypto *c = NULL;
    pre_key_signal_message *pkm = NULL;
    assert_int_equal(vn_crypto_open(&c), VN_OK);
    assert_int_equal(pre_key_signal_message_deserialize(&pkm, m->ct, m->len, vn_crypto_context(c)),
                     0);
    signal_buffer *inner = ciphertext_message_get_serialized(
        (ciphertext_message *)pre_key_signal_message_get_signal_message(pkm));
    uint8_t *at = find_bytes(m->ct, m->len, signal_buffer_data(inner), signal_buffer_len(inner));
    assert_non_null(at);
    at[signal_buffer_len(inner) - 1] ^= 0x01;
    SIGNAL_UNREF(pkm);
    vn_crypto_close(&c);
}

static void test_forged_first_message_plants_no_key(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    char sn[VN_E2EE_SAFETY_LEN + 1];
    bool pending;
    uint32_t count = 0;

    connect(alice, bob, true);
    msg m = enc(alice, bob, "first contact");
    msg forged = {malloc(m.len), m.len, true};
    assert_non_null(forged.ct);
    memcpy(forged.ct, m.ct, m.len);
    corrupt_inner_mac(&forged);

    /* The forgery fails, and Bob has not stored any key for "alice", nor
     * used up the one-time prekey. */
    assert_int_equal(try_dec(bob, alice, &forged), VN_ECRYPTO);
    assert_int_equal(vn_e2ee_safety_number(bob->e, alice->id, sn, &pending), VN_ENOTFOUND);
    assert_false(vn_e2ee_has_session(bob->e, alice->id));
    assert_int_equal(vn_e2ee_prekey_count(bob->e, &count), VN_OK);
    assert_int_equal(count, 1);

    /* The genuine message then establishes trust on first use. */
    expect_dec(bob, alice, &m, "first contact");
    safety(bob, alice, sn, false);
    assert_int_equal(vn_e2ee_prekey_count(bob->e, &count), VN_OK);
    assert_int_equal(count, 0);
    msg_free(&forged);
    msg_free(&m);
}

static void test_state_persists_and_follows_transactions(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;

    connect(alice, bob, true);
    roundtrip(alice, bob, "before restart", true);
    roundtrip(bob, alice, "ok", false);

    dev_reopen(alice);
    dev_reopen(bob);
    assert_true(vn_e2ee_has_identity(bob->e));
    assert_true(vn_e2ee_has_session(alice->e, bob->id));
    assert_true(vn_e2ee_has_session(bob->e, alice->id));
    roundtrip(alice, bob, "after restart", false);
    roundtrip(bob, alice, "after restart too", false);

    /* State joins the caller's transaction: aborting it forgets that the
     * message was decrypted, so it decrypts again instead of being a
     * duplicate; committing makes it stick. */
    msg m = enc(alice, bob, "in a transaction");
    assert_int_equal(vn_kv_begin(bob->kv), VN_OK);
    expect_dec(bob, alice, &m, "in a transaction");
    vn_kv_abort(bob->kv);
    assert_int_equal(vn_kv_begin(bob->kv), VN_OK);
    expect_dec(bob, alice, &m, "in a transaction");
    assert_int_equal(vn_kv_commit(bob->kv), VN_OK);
    assert_int_equal(try_dec(bob, alice, &m), VN_EDUPLICATE);
    dev_reopen(bob);
    assert_int_equal(try_dec(bob, alice, &m), VN_EDUPLICATE);
    msg_free(&m);
}

static void test_bad_bundle_signature_is_refused(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    vn_bundle good, bad;
    char sn[VN_E2EE_SAFETY_LEN + 1];
    bool pending;

    assert_int_equal(vn_e2ee_public_bundle(bob->e, &good), VN_OK);
    bad = good;
    bad.signed_prekey_sig[10] ^= 0x01;
    assert_int_equal(vn_e2ee_start_session(alice->e, bob->id, &bad), VN_ECRYPTO);
    bad = good;
    bad.signed_prekey[7] ^= 0x01; /* no longer the key that was signed */
    assert_int_equal(vn_e2ee_start_session(alice->e, bob->id, &bad), VN_ECRYPTO);
    bad = good;
    bad.identity_key[0] = 0x06; /* not a key type */
    assert_int_equal(vn_e2ee_start_session(alice->e, bob->id, &bad), VN_ECRYPTO);
    /* Nothing was stored: no session, no identity for bob. */
    assert_false(vn_e2ee_has_session(alice->e, bob->id));
    assert_int_equal(vn_e2ee_safety_number(alice->e, bob->id, sn, &pending), VN_ENOTFOUND);

    assert_int_equal(vn_e2ee_start_session(alice->e, bob->id, &good), VN_OK);
    roundtrip(alice, bob, "signed properly", true);
}

static void test_changed_identity_needs_confirmation(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    vn_bundle old_bundle, new_bundle;
    char before[VN_E2EE_SAFETY_LEN + 1], changed[VN_E2EE_SAFETY_LEN + 1],
        bob_view[VN_E2EE_SAFETY_LEN + 1], after[VN_E2EE_SAFETY_LEN + 1];
    bool pending;

    connect(alice, bob, true);
    roundtrip(alice, bob, "hi", true);
    roundtrip(bob, alice, "hi back", false);
    safety(alice, bob, before, false);
    assert_int_equal(vn_e2ee_public_bundle(bob->e, &old_bundle), VN_OK);

    /* Bob reinstalls: same account, new identity key. */
    dev_free(bob);
    dev_new(bob, BOB_ID);
    assert_int_equal(vn_e2ee_public_bundle(bob->e, &new_bundle), VN_OK);
    assert_memory_not_equal(new_bundle.identity_key, old_bundle.identity_key, VN_E2EE_KEY_LEN);

    /* Alice refuses the new key, keeps the old session, and shows the
     * safety number of the new key as pending. */
    assert_int_equal(vn_e2ee_start_session(alice->e, bob->id, &new_bundle), VN_EUNTRUSTED);
    assert_true(vn_e2ee_has_session(alice->e, bob->id));
    safety(alice, bob, changed, true);
    assert_string_not_equal(changed, before);
    assert_false(vn_e2ee_peer_verified(alice->e, bob->id));

    /* New Bob writes first: his prekey message is refused too. */
    assert_int_equal(vn_e2ee_safety_number(bob->e, alice->id, bob_view, &pending), VN_ENOTFOUND);
    connect(bob, alice, true);
    msg m = enc(bob, alice, "it's me, new phone");
    assert_true(m.prekey);
    assert_int_equal(try_dec(alice, bob, &m), VN_EUNTRUSTED);
    assert_int_equal(try_dec(alice, bob, &m), VN_EUNTRUSTED); /* still, on retry */
    safety(bob, alice, bob_view, false);
    safety(alice, bob, changed, true);
    assert_string_equal(changed, bob_view);

    /* The users compare numbers; Alice accepts the new key. */
    assert_int_equal(vn_e2ee_confirm_peer(alice->e, bob->id), VN_OK);
    assert_true(vn_e2ee_peer_verified(alice->e, bob->id));
    assert_false(vn_e2ee_has_session(alice->e, bob->id)); /* old session dropped */
    safety(alice, bob, after, false);
    assert_string_equal(after, bob_view);
    expect_dec(alice, bob, &m, "it's me, new phone");
    roundtrip(alice, bob, "welcome back", false);
    roundtrip(bob, alice, "thanks", false);
    assert_int_equal(vn_e2ee_start_session(alice->e, bob->id, &new_bundle), VN_OK);
    roundtrip(alice, bob, "fresh session from the new bundle", true);

    /* Now the old key is the stranger. */
    assert_int_equal(vn_e2ee_start_session(alice->e, bob->id, &old_bundle), VN_EUNTRUSTED);
    assert_false(vn_e2ee_peer_verified(alice->e, bob->id));
    msg_free(&m);
}

static void test_signed_prekey_rotation(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob, *carol = &w->carol;
    vn_bundle b1, b2, b3, again;
    bool rotated = true;
    uint64_t now = vn_wallclock_ms();

    assert_int_equal(vn_e2ee_public_bundle(bob->e, &b1), VN_OK);
    assert_int_equal(vn_e2ee_rotate_signed_prekey(bob->e, now, DAY_MS, &rotated), VN_OK);
    assert_false(rotated);
    assert_int_equal(vn_e2ee_public_bundle(bob->e, &again), VN_OK);
    assert_int_equal(again.signed_prekey_id, b1.signed_prekey_id);
    assert_memory_equal(again.signed_prekey, b1.signed_prekey, VN_E2EE_KEY_LEN);

    /* Alice and Carol fetch the bundle before the rotation... */
    dev_new(carol, CAROL_ID);
    connect(alice, bob, false);
    connect(carol, bob, false);
    msg a1 = enc(alice, bob, "from alice, old spk");
    msg c1 = enc(carol, bob, "from carol, old spk");

    assert_int_equal(vn_e2ee_rotate_signed_prekey(bob->e, now + 2 * DAY_MS, DAY_MS, &rotated),
                     VN_OK);
    assert_true(rotated);
    assert_int_equal(vn_e2ee_public_bundle(bob->e, &b2), VN_OK);
    assert_int_equal(b2.signed_prekey_id, b1.signed_prekey_id + 1);
    assert_memory_not_equal(b2.signed_prekey, b1.signed_prekey, VN_E2EE_KEY_LEN);
    assert_memory_equal(b2.identity_key, b1.identity_key, VN_E2EE_KEY_LEN);
    /* The new key's age counts from its own creation. */
    assert_int_equal(vn_e2ee_rotate_signed_prekey(bob->e, now + 2 * DAY_MS, DAY_MS, &rotated),
                     VN_OK);
    assert_false(rotated);

    /* ...and the previous signed prekey is still there for them. */
    expect_dec(bob, alice, &a1, "from alice, old spk");
    roundtrip(bob, alice, "got it", false);

    /* A second rotation keeps the first key while it is younger than
     * VN_E2EE_SPK_KEEP_MS: a first message made from an old bundle (a
     * session prepared long before) still opens... */
    dev_reopen(bob);
    assert_int_equal(vn_e2ee_rotate_signed_prekey(bob->e, now + 4 * DAY_MS, DAY_MS, &rotated),
                     VN_OK);
    assert_true(rotated);
    assert_int_equal(vn_e2ee_start_session(alice->e, bob->id, &b1), VN_OK);
    msg a2 = enc(alice, bob, "alice again, from the first bundle");
    assert_true(a2.prekey);
    expect_dec(bob, alice, &a2, "alice again, from the first bundle");
    msg_free(&a2);
    roundtrip(bob, alice, "got that too", false);
    /* ...and a rotation after that time retires it (the key it replaces
     * and the new one stay whatever their age). */
    assert_int_equal(vn_e2ee_rotate_signed_prekey(bob->e, now + VN_E2EE_SPK_KEEP_MS + 4 * DAY_MS,
                                                  DAY_MS, &rotated),
                     VN_OK);
    assert_true(rotated);
    assert_int_equal(vn_e2ee_public_bundle(bob->e, &b3), VN_OK);
    assert_int_equal(b3.signed_prekey_id, b2.signed_prekey_id + 2);
    assert_int_equal(try_dec(bob, carol, &c1), VN_ECRYPTO);
    assert_false(vn_e2ee_has_session(bob->e, carol->id));

    /* Sessions set up before the rotations carry on. */
    roundtrip(alice, bob, "still fine", false);
    roundtrip(bob, alice, "yes", false);
    /* And Carol succeeds with the current bundle. */
    assert_int_equal(vn_e2ee_start_session(carol->e, bob->id, &b3), VN_OK);
    roundtrip(carol, bob, "with the new spk", true);

    msg_free(&a1);
    msg_free(&c1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_identity_basics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prekey_ids_increase_and_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_with_one_time_prekey, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_without_one_time_prekey, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_duplicate_and_tampering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_first_message_plants_no_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_persists_and_follows_transactions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_bundle_signature_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changed_identity_needs_confirmation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_prekey_rotation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
