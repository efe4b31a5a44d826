/* vn_e2ee team messages (Signal sender keys) between four devices, each
 * with its own LMDB store in a temporary directory. Distribution messages
 * travel over real 1:1 sessions. Covers delivery to every member, members
 * without a key, out-of-order delivery and replays, tampering, persistence,
 * the caller's transaction, rotation after a member leaves, how many old
 * keys a receiver keeps, and how far ahead a receiver can skip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vn/e2ee.h"
#include "vn/kv.h"
#include "vn/account.h"
#include <stdbool.h>

/* The e2ee databases sit after one unrelated database, as in test_e2ee. */
static const char *const DBS[] = {"app", VN_E2EE_DBS};
#define FIRST_DB 1
#define NDBS     (1 + VN_E2EE_NDBS)

#define GROUP    "c0ffee00000000000000000000000001" /* a case id */
#define GROUP2   "c0ffee00000000000000000000000002"
#define ALICE_ID "a11ce000000000000000000000000001"
#define BOB_ID   "b0b00000000000000000000000000002"
#define CAROL_ID "ca201000000000000000000000000003"
#define DAVE_ID  "da7e0000000000000000000000000004"

/* libsignal's limits, documented in e2ee.h. */
#define MAX_SKIP   2000
#define MAX_STATES 5

typedef struct dev {
    char dir[64];                /* temporary store directory, "" when unused */
    vn_kv *kv;                   /* the device's store */
    vn_e2ee *e;                  /* e2ee over kv */
    char id[VN_ACCOUNT_HEX + 1]; /* account id */
} dev;

typedef struct world {
    dev alice, bob, carol, dave;
} world;

typedef struct gmsg {
    uint8_t *ct; /* group ciphertext */
    size_t len;  /* its length */
} gmsg;

static void dev_open_store(dev *d)
{
    assert_int_equal(vn_kv_open(&d->kv, d->dir, DBS, NDBS, 64u << 20), VN_OK);
    assert_int_equal(vn_e2ee_open(&d->e, d->kv, FIRST_DB), VN_OK);
}

static void dev_new(dev *d, const char *id)
{
    int n = snprintf(d->dir, sizeof d->dir, "/tmp/vn-e2ee-group-XXXXXX");
    assert_true(n > 0 && (size_t)n < sizeof d->dir);
    assert_non_null(mkdtemp(d->dir));
    memcpy(d->id, id, VN_ACCOUNT_HEX + 1);
    dev_open_store(d);
    assert_int_equal(vn_e2ee_create_identity(d->e), VN_OK);
    assert_int_equal(vn_e2ee_set_account(d->e, d->id), VN_OK);
}

static void dev_free(dev *d)
{
    char path[96];
    vn_e2ee_close(&d->e);
    vn_kv_close(&d->kv);
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
    vn_e2ee_close(&d->e);
    vn_kv_close(&d->kv);
    dev_open_store(d);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    if (!w) return -1;
    dev_new(&w->alice, ALICE_ID);
    dev_new(&w->bob, BOB_ID);
    dev_new(&w->carol, CAROL_ID);
    dev_new(&w->dave, DAVE_ID);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    dev_free(&w->alice);
    dev_free(&w->bob);
    dev_free(&w->carol);
    dev_free(&w->dave);
    free(w);
    return 0;
}

/* from's current distribution message for group; caller frees *out. */
static size_t dist_of(dev *from, const char *group, uint8_t **out)
{
    size_t len = 0;
    *out = NULL;
    assert_int_equal(vn_e2ee_group_distribution(from->e, group, out, &len), VN_OK);
    assert_non_null(*out);
    assert_true(len > 0);
    return len;
}

/* Carries a distribution message from `from` to `to` over their 1:1
 * session (starting one if needed), as the client does, and has `to`
 * process it. */
static void send_dist(dev *from, dev *to, const uint8_t *dm, size_t dmlen)
{
    uint8_t *ct = NULL, *pt = NULL;
    size_t ctlen = 0, ptlen = 0;
    bool prekey = false;

    if (!vn_e2ee_has_session(from->e, to->id)) {
        vn_bundle b;
        assert_int_equal(vn_e2ee_public_bundle(to->e, &b), VN_OK);
        assert_int_equal(vn_e2ee_start_session(from->e, to->id, &b), VN_OK);
    }
    assert_int_equal(vn_e2ee_encrypt(from->e, to->id, dm, dmlen, &ct, &ctlen, &prekey), VN_OK);
    assert_int_equal(vn_e2ee_decrypt(to->e, from->id, prekey, ct, ctlen, &pt, &ptlen), VN_OK);
    assert_int_equal(ptlen, dmlen);
    assert_memory_equal(pt, dm, dmlen);
    assert_int_equal(vn_e2ee_group_process(to->e, GROUP, from->id, pt, ptlen), VN_OK);
    free(ct);
    free(pt);
}

/* from distributes its current GROUP key to each of the n members. */
static void distribute(dev *from, dev **to, size_t n)
{
    uint8_t *dm = NULL;
    size_t len = dist_of(from, GROUP, &dm);
    for (size_t i = 0; i < n; i++)
        send_dist(from, to[i], dm, len);
    free(dm);
}

static gmsg genc(dev *from, const char *text)
{
    gmsg m = {0};
    assert_int_equal(
        vn_e2ee_group_encrypt(from->e, GROUP, (const uint8_t *)text, strlen(text), &m.ct, &m.len),
        VN_OK);
    assert_non_null(m.ct);
    assert_true(m.len > strlen(text));
    return m;
}

static vn_err gtry(dev *to, dev *from, const gmsg *m)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    vn_err err = vn_e2ee_group_decrypt(to->e, GROUP, from->id, m->ct, m->len, &pt, &len);
    if (err == VN_OK)
        assert_non_null(pt);
    else
        assert_null(pt);
    free(pt);
    return err;
}

static void gexpect(dev *to, dev *from, const gmsg *m, const char *text)
{
    uint8_t *pt = NULL;
    size_t len = 0;
    assert_int_equal(vn_e2ee_group_decrypt(to->e, GROUP, from->id, m->ct, m->len, &pt, &len),
                     VN_OK);
    assert_int_equal(len, strlen(text));
    assert_memory_equal(pt, text, len);
    free(pt);
}

static void gfree(gmsg *m)
{
    free(m->ct);
    m->ct = NULL;
}

static void test_every_member_reads_every_member(void **state)
{
    world *w = *state;
    dev *all[] = {&w->alice, &w->bob, &w->carol, &w->dave};
    const size_t n = sizeof all / sizeof all[0];
    char text[64];

    /* Everyone hands their key to everyone else. */
    for (size_t i = 0; i < n; i++) {
        dev *others[3];
        size_t k = 0;
        for (size_t j = 0; j < n; j++)
            if (j != i) others[k++] = all[j];
        distribute(all[i], others, k);
    }
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < n; i++) {
            snprintf(text, sizeof text, "round %d from %s", round, all[i]->id);
            gmsg m = genc(all[i], text);
            for (size_t j = 0; j < n; j++)
                if (j != i) gexpect(all[j], all[i], &m, text);
            /* A device cannot read its own group messages. */
            assert_int_equal(gtry(all[i], all[i], &m), VN_ENOSESSION);
            gfree(&m);
        }
    }
    /* Empty messages work too. */
    gmsg e = genc(&w->bob, "");
    gexpect(&w->alice, &w->bob, &e, "");
    gfree(&e);

    /* Asking again without a rotation gives the same key: it is not
     * replaced, and processing it again changes nothing. */
    uint8_t *d1 = NULL, *d2 = NULL;
    size_t l1 = dist_of(&w->alice, GROUP, &d1);
    size_t l2 = dist_of(&w->alice, GROUP, &d2);
    assert_int_equal(l1, l2);
    assert_memory_equal(d1, d2, l1);
    send_dist(&w->alice, &w->bob, d1, l1);
    gmsg m = genc(&w->alice, "same key");
    gexpect(&w->bob, &w->alice, &m, "same key");
    gfree(&m);
    free(d1);
    free(d2);
}

static void test_member_without_key_gets_nosession(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob, *carol = &w->carol, *dave = &w->dave;
    uint8_t *ct = NULL;
    size_t ctlen = 0;

    /* No distribution made yet: nothing to encrypt with. */
    assert_int_equal(vn_e2ee_group_encrypt(alice->e, GROUP, (const uint8_t *)"x", 1, &ct, &ctlen),
                     VN_ENOSESSION);
    assert_null(ct);

    distribute(alice, (dev *[]){bob, carol}, 2);
    gmsg m = genc(alice, "dave was not told");
    gexpect(bob, alice, &m, "dave was not told");
    gexpect(carol, alice, &m, "dave was not told");
    assert_int_equal(gtry(dave, alice, &m), VN_ENOSESSION);
    /* Handed over under the wrong sender: bob holds no key of carol's. */
    assert_int_equal(gtry(bob, carol, &m), VN_ENOSESSION);
    /* Nor does carol's copy of alice's key open another group. */
    uint8_t *pt = NULL;
    size_t ptlen = 0;
    assert_int_equal(vn_e2ee_group_decrypt(carol->e, GROUP2, alice->id, m.ct, m.len, &pt, &ptlen),
                     VN_ENOSESSION);
    assert_null(pt);
    /* Keys are per group: alice has none for GROUP2 yet. */
    assert_int_equal(vn_e2ee_group_encrypt(alice->e, GROUP2, (const uint8_t *)"x", 1, &ct, &ctlen),
                     VN_ENOSESSION);

    /* Once dave gets the key he reads what comes next. */
    distribute(alice, (dev *[]){dave}, 1);
    gmsg m2 = genc(alice, "now dave too");
    gexpect(dave, alice, &m2, "now dave too");
    /* A message sent before he joined is behind his key's start; libsignal
     * cannot tell that from a replay. */
    assert_int_equal(gtry(dave, alice, &m), VN_EDUPLICATE);
    gfree(&m);
    gfree(&m2);
}

static void test_out_of_order_and_replay(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    gmsg m[5];
    char text[5][16];
    const int order[] = {4, 1, 3, 0, 2};
    uint8_t *dm0 = NULL;

    size_t dm0len = dist_of(alice, GROUP, &dm0);
    send_dist(alice, bob, dm0, dm0len);
    for (int i = 0; i < 5; i++) {
        snprintf(text[i], sizeof text[i], "message %d", i);
        m[i] = genc(alice, text[i]);
    }
    for (int k = 0; k < 5; k++)
        gexpect(bob, alice, &m[order[k]], text[order[k]]);
    for (int i = 0; i < 5; i++)
        assert_int_equal(gtry(bob, alice, &m[i]), VN_EDUPLICATE);

    /* An old copy of alice's distribution (from before those messages)
     * must not re-open them. */
    assert_int_equal(vn_e2ee_group_process(bob->e, GROUP, alice->id, dm0, dm0len), VN_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(gtry(bob, alice, &m[i]), VN_EDUPLICATE);
    gmsg next = genc(alice, "after the replay");
    gexpect(bob, alice, &next, "after the replay");
    assert_int_equal(gtry(bob, alice, &next), VN_EDUPLICATE);

    gfree(&next);
    for (int i = 0; i < 5; i++)
        gfree(&m[i]);
    free(dm0);
}

static void test_tampering_and_bad_input(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    uint8_t *pt = NULL, *ct = NULL, *dm = NULL;
    size_t ptlen = 0, ctlen = 0;

    distribute(alice, (dev *[]){bob}, 1);
    gmsg m = genc(alice, "do not touch");

    /* The last 64 bytes are the signature; before them, the AES-CBC body. */
    assert_true(m.len > 64 + 16);
    size_t spots[] = {m.len - 1, m.len - 40, m.len - 64 - 1, m.len - 64 - 16};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        m.ct[spots[i]] ^= 0x01;
        assert_int_equal(gtry(bob, alice, &m), VN_ECRYPTO);
        m.ct[spots[i]] ^= 0x01;
    }
    /* Truncated, wrong version, garbage. */
    gmsg cut = {m.ct, m.len - 1};
    assert_int_equal(gtry(bob, alice, &cut), VN_ECRYPTO);
    m.ct[0] ^= 0x50;
    assert_int_equal(gtry(bob, alice, &m), VN_ECRYPTO);
    m.ct[0] ^= 0x50;
    uint8_t junk[100];
    memset(junk, 0x33, sizeof junk);
    gmsg bad = {junk, sizeof junk};
    assert_int_equal(gtry(bob, alice, &bad), VN_ECRYPTO);
    /* None of that moved bob's state: the real message still reads. */
    gexpect(bob, alice, &m, "do not touch");

    /* A distribution message that does not parse. */
    assert_int_equal(vn_e2ee_group_process(bob->e, GROUP, alice->id, junk, sizeof junk),
                     VN_ECRYPTO);
    size_t dmlen = dist_of(alice, GROUP, &dm);
    assert_int_equal(vn_e2ee_group_process(bob->e, GROUP, alice->id, dm, dmlen - 1), VN_ECRYPTO);

    /* Malformed ids and arguments. */
    const char *bad_ids[] = {"C0FFEE00000000000000000000000001", "c0ffee", "", NULL,
                             "c0ffee00000000000000000000000001x"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        const char *g = bad_ids[i];
        assert_int_equal(vn_e2ee_group_distribution(alice->e, g, &ct, &ctlen), VN_EINVAL);
        assert_int_equal(vn_e2ee_group_rotate(alice->e, g), VN_EINVAL);
        assert_int_equal(vn_e2ee_group_process(bob->e, g, alice->id, dm, dmlen), VN_EINVAL);
        assert_int_equal(vn_e2ee_group_process(bob->e, GROUP, g, dm, dmlen), VN_EINVAL);
        assert_int_equal(vn_e2ee_group_encrypt(alice->e, g, (const uint8_t *)"x", 1, &ct, &ctlen),
                         VN_EINVAL);
        assert_int_equal(vn_e2ee_group_decrypt(bob->e, g, alice->id, m.ct, m.len, &pt, &ptlen),
                         VN_EINVAL);
        assert_int_equal(vn_e2ee_group_decrypt(bob->e, GROUP, g, m.ct, m.len, &pt, &ptlen),
                         VN_EINVAL);
    }
    assert_int_equal(vn_e2ee_group_distribution(alice->e, GROUP, NULL, &ctlen), VN_EINVAL);
    assert_int_equal(vn_e2ee_group_encrypt(alice->e, GROUP, NULL, 1, &ct, &ctlen), VN_EINVAL);
    assert_int_equal(vn_e2ee_group_encrypt(alice->e, GROUP, junk, VN_E2EE_MAX_MSG + 1, &ct, &ctlen),
                     VN_ETOOBIG);
    assert_int_equal(
        vn_e2ee_group_decrypt(bob->e, GROUP, alice->id, junk, VN_E2EE_MAX_MSG + 1, &pt, &ptlen),
        VN_ETOOBIG);
    assert_int_equal(vn_e2ee_group_process(bob->e, GROUP, alice->id, junk, VN_E2EE_MAX_MSG + 1),
                     VN_ETOOBIG);
    assert_null(ct);
    assert_null(pt);

    free(dm);
    gfree(&m);
}

static void test_state_survives_reopen(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob, *carol = &w->carol;

    distribute(alice, (dev *[]){bob, carol}, 2);
    distribute(bob, (dev *[]){alice, carol}, 2);
    gmsg a1 = genc(alice, "before");
    gmsg a2 = genc(alice, "in flight across the restart");
    gexpect(bob, alice, &a1, "before");

    dev_reopen(alice);
    dev_reopen(bob);
    dev_reopen(carol);

    /* Alice's chain position was stored: her next message is new to bob. */
    gmsg a3 = genc(alice, "after");
    gexpect(bob, alice, &a3, "after");
    gexpect(bob, alice, &a2, "in flight across the restart");
    assert_int_equal(gtry(bob, alice, &a1), VN_EDUPLICATE);
    gexpect(carol, alice, &a2, "in flight across the restart");
    gexpect(carol, alice, &a1, "before");
    gexpect(carol, alice, &a3, "after");
    /* And the other direction, with bob's key kept by alice. */
    gmsg b1 = genc(bob, "bob after restart");
    gexpect(alice, bob, &b1, "bob after restart");
    gexpect(carol, bob, &b1, "bob after restart");
    /* The same key is still handed out after the restart. */
    dev_reopen(bob);
    assert_int_equal(gtry(alice, bob, &b1), VN_EDUPLICATE);

    gfree(&a1);
    gfree(&a2);
    gfree(&a3);
    gfree(&b1);
}

static void test_writes_join_the_callers_transaction(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    uint8_t *dm = NULL;

    /* A distribution processed in a transaction that is then aborted
     * leaves nothing behind. */
    size_t dmlen = dist_of(alice, GROUP, &dm);
    gmsg m = genc(alice, "kept or not");
    assert_int_equal(vn_kv_begin(bob->kv), VN_OK);
    assert_int_equal(vn_e2ee_group_process(bob->e, GROUP, alice->id, dm, dmlen), VN_OK);
    vn_kv_abort(bob->kv);
    assert_int_equal(gtry(bob, alice, &m), VN_ENOSESSION);

    /* A decrypt whose transaction is aborted can be done again; once
     * committed it is a duplicate. */
    send_dist(alice, bob, dm, dmlen);
    assert_int_equal(vn_kv_begin(bob->kv), VN_OK);
    gexpect(bob, alice, &m, "kept or not");
    assert_int_equal(gtry(bob, alice, &m), VN_EDUPLICATE); /* seen inside the transaction */
    vn_kv_abort(bob->kv);
    assert_int_equal(vn_kv_begin(bob->kv), VN_OK);
    gexpect(bob, alice, &m, "kept or not");
    assert_int_equal(vn_kv_commit(bob->kv), VN_OK);
    assert_int_equal(gtry(bob, alice, &m), VN_EDUPLICATE);

    /* Same for alice's rotation. */
    assert_int_equal(vn_kv_begin(alice->kv), VN_OK);
    assert_int_equal(vn_e2ee_group_rotate(alice->e, GROUP), VN_OK);
    vn_kv_abort(alice->kv);
    gmsg m2 = genc(alice, "old key still in use");
    gexpect(bob, alice, &m2, "old key still in use");

    gfree(&m);
    gfree(&m2);
    free(dm);
}

static void test_rotation_excludes_removed_member(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob, *carol = &w->carol, *dave = &w->dave;
    uint8_t *old_dm = NULL, *new_dm = NULL;
    uint8_t *ct = NULL;
    size_t ctlen = 0;

    size_t old_len = dist_of(alice, GROUP, &old_dm);
    for (dev **d = (dev *[]){bob, carol, dave, NULL}; *d; d++)
        send_dist(alice, *d, old_dm, old_len);
    gmsg before = genc(alice, "all four of us");
    gmsg in_flight = genc(alice, "sent just before dave left");
    gexpect(bob, alice, &before, "all four of us");
    gexpect(carol, alice, &before, "all four of us");
    gexpect(dave, alice, &before, "all four of us");

    /* Dave leaves: alice forgets her key. Until she distributes a new one
     * there is nothing to encrypt with. */
    assert_int_equal(vn_e2ee_group_rotate(alice->e, GROUP), VN_OK);
    assert_int_equal(vn_e2ee_group_rotate(alice->e, GROUP), VN_OK); /* nothing left: still fine */
    assert_int_equal(vn_e2ee_group_encrypt(alice->e, GROUP, (const uint8_t *)"x", 1, &ct, &ctlen),
                     VN_ENOSESSION);
    assert_null(ct);
    size_t new_len = dist_of(alice, GROUP, &new_dm);
    assert_false(new_len == old_len && memcmp(new_dm, old_dm, old_len) == 0);
    send_dist(alice, bob, new_dm, new_len);
    send_dist(alice, carol, new_dm, new_len);

    gmsg after = genc(alice, "dave is gone");
    gexpect(bob, alice, &after, "dave is gone");
    gexpect(carol, alice, &after, "dave is gone");
    /* Dave holds only the old key: he has no key for the new message. */
    assert_int_equal(gtry(dave, alice, &after), VN_ENOSESSION);
    /* Replaying the old distribution to himself does not help. */
    assert_int_equal(vn_e2ee_group_process(dave->e, GROUP, alice->id, old_dm, old_len), VN_OK);
    assert_int_equal(gtry(dave, alice, &after), VN_ENOSESSION);

    /* The message made under the old key before the rotation still reads
     * for the remaining members, after the new key arrived; dave, who was a
     * member when it was sent, can read it too. */
    gexpect(bob, alice, &in_flight, "sent just before dave left");
    gexpect(carol, alice, &in_flight, "sent just before dave left");
    gexpect(dave, alice, &in_flight, "sent just before dave left");
    assert_int_equal(gtry(bob, alice, &in_flight), VN_EDUPLICATE);

    /* The rotation sticks across a restart. */
    dev_reopen(alice);
    gmsg later = genc(alice, "still without dave");
    gexpect(bob, alice, &later, "still without dave");
    assert_int_equal(gtry(dave, alice, &later), VN_ENOSESSION);

    gfree(&before);
    gfree(&in_flight);
    gfree(&after);
    gfree(&later);
    free(old_dm);
    free(new_dm);
}

static void test_receiver_keeps_five_keys(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    gmsg m[MAX_STATES + 1];

    /* Six keys in a row, one message under each, none delivered yet. */
    for (int k = 0; k <= MAX_STATES; k++) {
        if (k > 0) assert_int_equal(vn_e2ee_group_rotate(alice->e, GROUP), VN_OK);
        distribute(alice, (dev *[]){bob}, 1);
        m[k] = genc(alice, "late");
    }
    /* The first key fell out of bob's record; the last five remain. */
    assert_int_equal(gtry(bob, alice, &m[0]), VN_ENOSESSION);
    for (int k = MAX_STATES; k >= 1; k--)
        gexpect(bob, alice, &m[k], "late");
    for (int k = 0; k <= MAX_STATES; k++)
        gfree(&m[k]);
}

static void test_skip_limit_and_catching_up(void **state)
{
    world *w = *state;
    dev *alice = &w->alice, *bob = &w->bob;
    gmsg beyond = {0};
    uint8_t *dm = NULL;

    distribute(alice, (dev *[]){bob}, 1);
    /* Bob misses many messages; one transaction keeps this quick. */
    assert_int_equal(vn_kv_begin(alice->kv), VN_OK);
    for (int i = 0; i <= MAX_SKIP + 1; i++) {
        gmsg m = genc(alice, "missed");
        if (i == MAX_SKIP + 1)
            beyond = m;
        else
            gfree(&m);
    }
    assert_int_equal(vn_kv_commit(alice->kv), VN_OK);

    /* More than 2000 ahead of bob's chain is refused. */
    assert_int_equal(gtry(bob, alice, &beyond), VN_ECRYPTO);
    /* A fresh copy of the same key, from where alice is now, lets bob
     * catch up with what she sends next. */
    size_t dmlen = dist_of(alice, GROUP, &dm);
    send_dist(alice, bob, dm, dmlen);
    gmsg next = genc(alice, "caught up");
    gexpect(bob, alice, &next, "caught up");
    /* What came before the fresh copy's start is lost to bob. */
    assert_int_equal(gtry(bob, alice, &beyond), VN_EDUPLICATE);

    /* Within the limit, skipping works (a second receiver, from the start). */
    dev *carol = &w->carol;
    gmsg first = {0};
    assert_int_equal(vn_e2ee_group_rotate(alice->e, GROUP), VN_OK);
    distribute(alice, (dev *[]){carol}, 1);
    assert_int_equal(vn_kv_begin(alice->kv), VN_OK);
    for (int i = 0; i <= MAX_SKIP; i++) {
        gmsg m = genc(alice, "skip");
        if (i == 0)
            first = m;
        else if (i == MAX_SKIP)
            gexpect(carol, alice, &m, "skip");
        if (i != 0) gfree(&m);
    }
    assert_int_equal(vn_kv_commit(alice->kv), VN_OK);
    gexpect(carol, alice, &first, "skip"); /* its key was kept while skipping */

    gfree(&first);
    gfree(&next);
    gfree(&beyond);
    free(dm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_member_reads_every_member, setup, teardown),
        cmocka_unit_test_setup_teardown(test_member_without_key_gets_nosession, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_order_and_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampering_and_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_join_the_callers_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation_excludes_removed_member, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receiver_keeps_five_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_skip_limit_and_catching_up, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
