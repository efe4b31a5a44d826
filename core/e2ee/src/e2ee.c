/* The vn_e2ee module: open and close, identity and prekeys, 1:1 sessions
 * and safety numbers, all as operations on libsignal. How the state sits in
 * kv, and the libsignal store callbacks over it, are in e2ee_store.c. */
#include "e2ee_internal.h"

#include <signal/curve.h>
#include <signal/fingerprint.h>
#include <signal/key_helper.h>
#include <signal/protocol.h>
#include <signal/ratchet.h>
#include <signal/session_builder.h>
#include <signal/session_cipher.h>
#include <signal/session_pre_key.h>
#include <signal/signal_protocol.h>
#include <stdlib.h>
#include <string.h>

#include "vn/be.h"
#include "vn/wallclock.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

/* Signal's displayable fingerprint: 5200 iterations give > 112 bits. */
#define FP_ITERATIONS        5200
#define FP_SCANNABLE_VERSION 1
/* Prekey ids are 24-bit in the Signal protocol; ids run 1..ID_WRAP. */
#define ID_WRAP (PRE_KEY_MEDIUM_MAX_VALUE - 1)

/* libsignal codes to ours. Store callbacks return our own codes (all below
 * SG_ERR_MINIMUM), and libsignal passes them through unchanged. */
vn_err e2ee_err_from_sg(int rc)
{
    if (rc >= 0) return VN_OK;
    if (vn_err_is_known(rc)) return (vn_err)rc;
    switch (rc) {
    case SG_ERR_NOMEM:
        return VN_ENOMEM;
    case SG_ERR_UNTRUSTED_IDENTITY:
        return VN_EUNTRUSTED;
    case SG_ERR_DUPLICATE_MESSAGE:
        return VN_EDUPLICATE;
    case SG_ERR_NO_SESSION:
        return VN_ENOSESSION;
    default:
        return VN_ECRYPTO;
    }
}

/* Ends the transaction level this module opened with vn_kv_begin(). A
 * failed write has already discarded the whole transaction. Otherwise what
 * the callbacks wrote is committed even when the operation failed, so that
 * a pending identity key recorded on the way is kept. */
vn_err e2ee_txn_end(vn_e2ee *self, vn_err err)
{
    if (!vn_kv_in_txn(self->kv)) return err ? err : VN_ESTORE;
    vn_err cerr = vn_kv_commit(self->kv);
    return err ? err : cerr;
}

/* Serializes a public key into exactly VN_E2EE_KEY_LEN bytes. */
static int public_key_bytes(const ec_public_key *key, uint8_t out[VN_E2EE_KEY_LEN])
{
    signal_buffer *buf = NULL;
    int rc = ec_public_key_serialize(&buf, key);
    if (rc < 0) return rc;
    if (signal_buffer_len(buf) == VN_E2EE_KEY_LEN)
        memcpy(out, signal_buffer_data(buf), VN_E2EE_KEY_LEN);
    else
        rc = SG_ERR_INVALID_KEY;
    signal_buffer_free(buf);
    return rc;
}
/* ---- open / close --------------------------------------------------------- */

vn_err vn_e2ee_open(vn_e2ee **out, vn_kv *kv, int first_db)
{
    size_t n;
    vn_err err;

    if (!out || !kv || first_db < 0) return VN_EINVAL;
    /* Fail now, not on first use, if kv lacks our databases. */
    if (vn_kv_count(kv, first_db + VN_E2EE_NDBS - 1, &n) == VN_EINVAL) return VN_EINVAL;
    vn_e2ee *self = calloc(1, sizeof *self);
    if (!self) return VN_ENOMEM;
    self->kv = kv;
    self->first_db = first_db;
    err = vn_crypto_open(&self->crypto);
    if (err) goto err_free_self;
    self->ctx = vn_crypto_context(self->crypto);
    if (signal_protocol_store_context_create(&self->store, self->ctx) < 0) {
        err = VN_ENOMEM;
        goto err_close_crypto;
    }
    err = e2ee_store_install(self);
    if (err) goto err_destroy_store;
    *out = self;
    return VN_OK;

err_destroy_store:
    signal_protocol_store_context_destroy(self->store);
err_close_crypto:
    vn_crypto_close(&self->crypto);
err_free_self:
    free(self);
    return err;
}

void vn_e2ee_close(vn_e2ee **self_p)
{
    if (!self_p || !*self_p) return;
    vn_e2ee *self = *self_p;
    signal_protocol_store_context_destroy(self->store);
    vn_crypto_close(&self->crypto);
    explicit_bzero(self, sizeof *self);
    free(self);
    *self_p = NULL;
}

vn_err vn_e2ee_set_account(vn_e2ee *self, const char *account)
{
    if (!vn_account_valid(account)) return VN_EINVAL;
    return vn_kv_put(self->kv, dbi(self, DB_SELF), KEY(K_ACCOUNT), account, VN_ACCOUNT_HEX);
}

/* ---- identity and prekeys ------------------------------------------------- */

bool vn_e2ee_has_identity(vn_e2ee *self)
{
    return vn_kv_has(self->kv, dbi(self, DB_SELF), KEY(K_ID_PUB));
}

/* Next id after count ids starting at start, on the 1..ID_WRAP circle that
 * signal_protocol_key_helper_generate_pre_keys() uses. */
static uint32_t id_after(uint32_t start, uint32_t count)
{
    return (uint32_t)(((uint64_t)start - 1 + count) % ID_WRAP) + 1;
}

vn_err vn_e2ee_create_identity(vn_e2ee *self)
{
    ratchet_identity_key_pair *pair = NULL;
    session_signed_pre_key *spk = NULL;
    signal_buffer *priv = NULL, *spk_rec = NULL;
    uint8_t pub[VN_E2EE_KEY_LEN];
    uint32_t reg_id = 0;
    const uint32_t spk_id = 1;
    int rc;
    vn_err err;

    if (vn_e2ee_has_identity(self)) return VN_EEXISTS;
    rc = signal_protocol_key_helper_generate_identity_key_pair(&pair, self->ctx);
    if (rc < 0) goto sg_fail;
    /* 1..16380: small enough for libsignal's compact protobuf encoding. */
    rc = signal_protocol_key_helper_generate_registration_id(&reg_id, 0, self->ctx);
    if (rc < 0) goto sg_fail;
    rc = public_key_bytes(ratchet_identity_key_pair_get_public(pair), pub);
    if (rc < 0) goto sg_fail;
    rc = ec_private_key_serialize(&priv, ratchet_identity_key_pair_get_private(pair));
    if (rc < 0) goto sg_fail;
    if (signal_buffer_len(priv) != PRIV_LEN) {
        rc = SG_ERR_INVALID_KEY;
        goto sg_fail;
    }
    /* The record carries its creation time, which rotation reads. */
    rc = signal_protocol_key_helper_generate_signed_pre_key(&spk, pair, spk_id, vn_wallclock_ms(),
                                                            self->ctx);
    if (rc < 0) goto sg_fail;
    rc = session_signed_pre_key_serialize(&spk_rec, spk);
    if (rc < 0) goto sg_fail;

    /* Everything is computed; write it as one unit. */
    err = vn_kv_begin(self->kv);
    if (err) goto out;
    err = vn_kv_put(self->kv, dbi(self, DB_SELF), KEY(K_ID_PUB), pub, sizeof pub);
    if (!err)
        err = vn_kv_put(self->kv, dbi(self, DB_SELF), KEY(K_ID_PRIV), signal_buffer_data(priv),
                        signal_buffer_len(priv));
    if (!err) err = e2ee_put_u32(self, KEY(K_REG_ID), reg_id);
    if (!err) err = e2ee_put_u32(self, KEY(K_PREKEY_NEXT), 1);
    if (!err) err = e2ee_put_u32(self, KEY(K_SPK_CUR), spk_id);
    if (!err) err = e2ee_put_u32(self, KEY(K_SPK_NEXT), id_after(spk_id, 1));
    if (!err) {
        rc = e2ee_store_id_record(self, DB_SPK, spk_id, signal_buffer_data(spk_rec),
                                  signal_buffer_len(spk_rec));
        err = e2ee_err_from_sg(rc);
    }
    err = e2ee_txn_end(self, err);
    goto out;

sg_fail:
    err = e2ee_err_from_sg(rc);
out:
    signal_buffer_bzero_free(spk_rec);
    signal_buffer_bzero_free(priv);
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(pair);
    return err;
}

static vn_err load_spk(vn_e2ee *self, uint32_t id, session_signed_pre_key **spk)
{
    int rc = signal_protocol_signed_pre_key_load_key(self->store, spk, id);
    if (rc == SG_ERR_INVALID_KEY_ID) return VN_ENOTFOUND;
    return e2ee_err_from_sg(rc);
}

vn_err vn_e2ee_public_bundle(vn_e2ee *self, vn_bundle *out)
{
    session_signed_pre_key *spk = NULL;
    uint32_t spk_id = 0;

    if (!out) return VN_EINVAL;
    memset(out, 0, sizeof *out);
    vn_err err = e2ee_get_u32(self, KEY(K_REG_ID), &out->registration_id);
    if (!err)
        err = e2ee_get_exact(self, DB_SELF, KEY(K_ID_PUB), out->identity_key, VN_E2EE_KEY_LEN);
    if (!err) err = e2ee_get_u32(self, KEY(K_SPK_CUR), &spk_id);
    if (!err) err = load_spk(self, spk_id, &spk);
    if (err) goto out;
    ec_key_pair *kp = session_signed_pre_key_get_key_pair(spk);
    err = e2ee_err_from_sg(public_key_bytes(ec_key_pair_get_public(kp), out->signed_prekey));
    if (err) goto out;
    if (session_signed_pre_key_get_signature_len(spk) != VN_E2EE_SIG_LEN) {
        err = VN_ESTORE;
        goto out;
    }
    memcpy(out->signed_prekey_sig, session_signed_pre_key_get_signature(spk), VN_E2EE_SIG_LEN);
    out->signed_prekey_id = spk_id;
    out->has_prekey = false;
out:
    SIGNAL_UNREF(spk);
    return err;
}

vn_err vn_e2ee_generate_prekeys(vn_e2ee *self, uint32_t count, vn_prekey_pub **out)
{
    signal_protocol_key_helper_pre_key_list_node *head = NULL;
    signal_buffer **recs = NULL;
    vn_prekey_pub *pubs = NULL;
    uint32_t next = 1, i = 0;
    int rc;

    if (!out || count == 0) return VN_EINVAL;
    if (count > VN_E2EE_MAX_PREKEY_BATCH) return VN_ETOOBIG;
    vn_err err = e2ee_get_u32(self, KEY(K_PREKEY_NEXT), &next);
    if (err == VN_ENOTFOUND) {
        next = 1;
        err = VN_OK;
    }
    if (err) return err;
    if (next == 0 || next > ID_WRAP) next = 1;
    pubs = calloc(count, sizeof *pubs);
    recs = calloc(count, sizeof *recs);
    if (!pubs || !recs) {
        err = VN_ENOMEM;
        goto out;
    }
    rc = signal_protocol_key_helper_generate_pre_keys(&head, next, count, self->ctx);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }
    /* Serialize everything before the transaction so that only a write can
     * fail inside it. */
    i = 0;
    for (signal_protocol_key_helper_pre_key_list_node *n = head; n && i < count;
         n = signal_protocol_key_helper_key_list_next(n), i++) {
        session_pre_key *pk = signal_protocol_key_helper_key_list_element(n);
        pubs[i].id = session_pre_key_get_id(pk);
        rc =
            public_key_bytes(ec_key_pair_get_public(session_pre_key_get_key_pair(pk)), pubs[i].key);
        if (rc >= 0) rc = session_pre_key_serialize(&recs[i], pk);
        if (rc < 0) {
            err = e2ee_err_from_sg(rc);
            goto out;
        }
    }
    if (i != count) {
        err = VN_EINTERNAL;
        goto out;
    }

    err = vn_kv_begin(self->kv);
    if (err) goto out;
    for (i = 0; i < count && !err; i++)
        err = e2ee_err_from_sg(e2ee_store_id_record(
            self, DB_PREKEY, pubs[i].id, signal_buffer_data(recs[i]), signal_buffer_len(recs[i])));
    if (!err) err = e2ee_put_u32(self, KEY(K_PREKEY_NEXT), id_after(next, count));
    err = e2ee_txn_end(self, err);

out:
    if (recs)
        for (i = 0; i < count; i++)
            signal_buffer_bzero_free(recs[i]);
    free(recs);
    signal_protocol_key_helper_key_list_free(head);
    if (err) {
        free(pubs);
        return err;
    }
    *out = pubs;
    return VN_OK;
}

vn_err vn_e2ee_prekey_count(vn_e2ee *self, uint32_t *count)
{
    size_t n = 0;
    if (!count) return VN_EINVAL;
    vn_err err = vn_kv_count(self->kv, dbi(self, DB_PREKEY), &n);
    if (err) return err;
    *count = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    return VN_OK;
}

/* Signed prekeys made before a cutoff, other than the two kept whatever
 * their age (the current one and the one being made). */
struct old_spks {
    vn_e2ee *self;    /* for libsignal's context */
    uint64_t cutoff;  /* made before this */
    uint32_t keep[2]; /* never these */
    uint32_t ids[64]; /* found (a rotation a week: far more than enough) */
    size_t n;         /* how many */
};

static vn_err old_spk_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct old_spks *w = ud;
    session_signed_pre_key *spk = NULL;
    if (kl != 4) return VN_OK;
    uint32_t id = vn_be_get32(k);
    if (id == w->keep[0] || id == w->keep[1]) return VN_OK;
    /* One that does not parse is left alone rather than guessed at. */
    if (session_signed_pre_key_deserialize(&spk, v, vl, w->self->ctx) < 0) return VN_OK;
    uint64_t born = session_signed_pre_key_get_timestamp(spk);
    SIGNAL_UNREF(spk);
    if (born < w->cutoff) w->ids[w->n++] = id;
    *stop = w->n == sizeof w->ids / sizeof w->ids[0];
    return VN_OK;
}

/* Removes signed prekeys older than VN_E2EE_SPK_KEEP_MS at now_ms, except
 * cur and fresh; runs inside the caller's transaction. */
static vn_err retire_old_spks(vn_e2ee *self, uint64_t now_ms, uint32_t cur, uint32_t fresh)
{
    struct old_spks w = {self,
                         now_ms > VN_E2EE_SPK_KEEP_MS ? now_ms - VN_E2EE_SPK_KEEP_MS : 0,
                         {cur, fresh},
                         {0},
                         0};
    vn_err err = vn_kv_each(self->kv, dbi(self, DB_SPK), NULL, 0, old_spk_cb, &w);
    for (size_t i = 0; !err && i < w.n; i++)
        err = e2ee_err_from_sg(e2ee_remove_id_record(self, DB_SPK, w.ids[i]));
    return err;
}

vn_err vn_e2ee_rotate_signed_prekey(vn_e2ee *self, uint64_t now_ms, uint64_t max_age_ms,
                                    bool *rotated)
{
    session_signed_pre_key *cur = NULL, *fresh = NULL;
    ratchet_identity_key_pair *pair = NULL;
    signal_buffer *rec = NULL;
    uint32_t cur_id = 0, new_id = 0;
    int rc;

    if (!rotated) return VN_EINVAL;
    *rotated = false;
    vn_err err = e2ee_get_u32(self, KEY(K_SPK_CUR), &cur_id);
    if (!err) err = load_spk(self, cur_id, &cur);
    if (err) goto out;
    uint64_t born = session_signed_pre_key_get_timestamp(cur);
    /* A clock that went backwards makes the key look new, not ancient. */
    if (now_ms <= born || now_ms - born <= max_age_ms) goto out;

    err = e2ee_get_u32(self, KEY(K_SPK_NEXT), &new_id);
    if (err == VN_ENOTFOUND) {
        new_id = id_after(cur_id, 1);
        err = VN_OK;
    }
    if (err) goto out;
    rc = signal_protocol_identity_get_key_pair(self->store, &pair);
    if (rc >= 0)
        rc = signal_protocol_key_helper_generate_signed_pre_key(&fresh, pair, new_id, now_ms,
                                                                self->ctx);
    if (rc >= 0) rc = session_signed_pre_key_serialize(&rec, fresh);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }

    /* Older keys stay for VN_E2EE_SPK_KEEP_MS: a peer may have fetched a
     * bundle long before its first message (a session prepared by verify,
     * a message waiting in its outbox or on the server), and that message
     * names the key of the bundle. Keeping exactly one previous key lost
     * such messages after two rotations. */
    err = vn_kv_begin(self->kv);
    if (err) goto out;
    err = e2ee_err_from_sg(e2ee_store_id_record(self, DB_SPK, new_id, signal_buffer_data(rec),
                                                signal_buffer_len(rec)));
    if (!err) err = retire_old_spks(self, now_ms, cur_id, new_id);
    if (!err) err = e2ee_put_u32(self, KEY(K_SPK_PREV), cur_id);
    if (!err) err = e2ee_put_u32(self, KEY(K_SPK_CUR), new_id);
    if (!err) err = e2ee_put_u32(self, KEY(K_SPK_NEXT), id_after(new_id, 1));
    err = e2ee_txn_end(self, err);
    if (!err) *rotated = true;

out:
    signal_buffer_bzero_free(rec);
    SIGNAL_UNREF(fresh);
    SIGNAL_UNREF(pair);
    SIGNAL_UNREF(cur);
    return err;
}

/* ---- sessions ---------------------------------------------------------------- */

static bool peer_ok(const char *peer)
{
    return vn_account_valid(peer);
}

static signal_protocol_address peer_address(const char *peer)
{
    signal_protocol_address a = {peer, VN_ACCOUNT_HEX, DEVICE_ID};
    return a;
}

vn_err vn_e2ee_start_session(vn_e2ee *self, const char *peer, const vn_bundle *bundle)
{
    ec_public_key *identity = NULL, *spk = NULL, *prekey = NULL;
    session_pre_key_bundle *sb = NULL;
    session_builder *builder = NULL;
    int rc;

    if (!peer_ok(peer) || !bundle) return VN_EINVAL;
    signal_protocol_address addr = peer_address(peer);
    rc = curve_decode_point(&identity, bundle->identity_key, VN_E2EE_KEY_LEN, self->ctx);
    if (rc >= 0) rc = curve_decode_point(&spk, bundle->signed_prekey, VN_E2EE_KEY_LEN, self->ctx);
    if (rc >= 0 && bundle->has_prekey)
        rc = curve_decode_point(&prekey, bundle->prekey, VN_E2EE_KEY_LEN, self->ctx);
    if (rc < 0) goto out;
    /* libsignal checks trust before the signature, which would let a
     * forged bundle leave a pending key; check the signature first. */
    rc = curve_verify_signature(identity, bundle->signed_prekey, VN_E2EE_KEY_LEN,
                                bundle->signed_prekey_sig, VN_E2EE_SIG_LEN);
    if (rc == 0) rc = SG_ERR_INVALID_KEY;
    if (rc < 0) goto out;
    rc = session_pre_key_bundle_create(
        &sb, bundle->registration_id, DEVICE_ID, bundle->has_prekey ? bundle->prekey_id : 0, prekey,
        bundle->signed_prekey_id, spk, bundle->signed_prekey_sig, VN_E2EE_SIG_LEN, identity);
    if (rc < 0) goto out;
    rc = session_builder_create(&builder, self->store, &addr, self->ctx);
    if (rc < 0) goto out;
    vn_err err = vn_kv_begin(self->kv);
    if (err) {
        rc = err;
        goto out;
    }
    rc = session_builder_process_pre_key_bundle(builder, sb);
    rc = e2ee_txn_end(self, e2ee_err_from_sg(rc));

out:
    session_builder_free(builder);
    SIGNAL_UNREF(sb);
    SIGNAL_UNREF(prekey);
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(identity);
    return e2ee_err_from_sg(rc);
}

bool vn_e2ee_has_session(vn_e2ee *self, const char *peer)
{
    if (!peer_ok(peer)) return false;
    signal_protocol_address addr = peer_address(peer);
    return e2ee_contains_session(&addr, self) == 1;
}

vn_err vn_e2ee_encrypt(vn_e2ee *self, const char *peer, const uint8_t *pt, size_t ptlen,
                       uint8_t **ct, size_t *ctlen, bool *prekey_msg)
{
    session_cipher *cipher = NULL;
    ciphertext_message *msg = NULL;
    int rc;

    if (!peer_ok(peer) || (!pt && ptlen) || !ct || !ctlen || !prekey_msg) return VN_EINVAL;
    if (ptlen > VN_E2EE_MAX_MSG) return VN_ETOOBIG;
    /* libsignal would "encrypt" with an empty record; refuse clearly. */
    if (!vn_e2ee_has_session(self, peer)) return VN_ENOSESSION;
    signal_protocol_address addr = peer_address(peer);
    rc = session_cipher_create(&cipher, self->store, &addr, self->ctx);
    if (rc >= 0) rc = session_cipher_encrypt(cipher, pt, ptlen, &msg);
    if (rc < 0) goto out;
    signal_buffer *ser = ciphertext_message_get_serialized(msg);
    size_t len = signal_buffer_len(ser);
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        rc = SG_ERR_NOMEM;
        goto out;
    }
    memcpy(copy, signal_buffer_data(ser), len);
    *ct = copy;
    *ctlen = len;
    *prekey_msg = ciphertext_message_get_type(msg) == CIPHERTEXT_PREKEY_TYPE;

out:
    SIGNAL_UNREF(msg);
    session_cipher_free(cipher);
    return e2ee_err_from_sg(rc);
}

vn_err vn_e2ee_decrypt(vn_e2ee *self, const char *peer, bool prekey_msg, const uint8_t *ct,
                       size_t ctlen, uint8_t **pt, size_t *ptlen)
{
    pre_key_signal_message *pkm = NULL;
    signal_message *sm = NULL;
    session_cipher *cipher = NULL;
    signal_buffer *plain = NULL;
    vn_err err;
    int rc;

    if (!peer_ok(peer) || !ct || !pt || !ptlen) return VN_EINVAL;
    if (ctlen > VN_E2EE_MAX_MSG) return VN_ETOOBIG;
    if (prekey_msg)
        rc = pre_key_signal_message_deserialize(&pkm, ct, ctlen, self->ctx);
    else
        rc = signal_message_deserialize(&sm, ct, ctlen, self->ctx);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }
    signal_protocol_address addr = peer_address(peer);
    rc = session_cipher_create(&cipher, self->store, &addr, self->ctx);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }

    err = vn_kv_begin(self->kv);
    if (err) goto out;
    self->defer_identity = true;
    self->deferred = false;
    if (prekey_msg)
        rc = session_cipher_decrypt_pre_key_signal_message(cipher, pkm, NULL, &plain);
    else
        rc = session_cipher_decrypt_signal_message(cipher, sm, NULL, &plain);
    self->defer_identity = false;
    err = e2ee_err_from_sg(rc);
    /* The message authenticated: now the sender's key may be trusted. */
    if (!err && self->deferred)
        err = e2ee_err_from_sg(
            e2ee_peer_save_first(self, addr.name, addr.name_len, self->deferred_key));
    self->deferred = false;
    err = e2ee_finish_decrypt(self, err, plain, pt, ptlen);

out:
    signal_buffer_bzero_free(plain);
    session_cipher_free(cipher);
    SIGNAL_UNREF(sm);
    SIGNAL_UNREF(pkm);
    return err;
}

/* ---- verification ------------------------------------------------------------ */

vn_err vn_e2ee_safety_number(vn_e2ee *self, const char *peer, char *out, bool *pending)
{
    char account[VN_ACCOUNT_HEX + 1];
    uint8_t local_pub[VN_E2EE_KEY_LEN];
    ec_public_key *local = NULL, *remote = NULL;
    fingerprint_generator *gen = NULL;
    fingerprint *fp = NULL;
    peer_rec rec;
    int rc;

    if (!peer_ok(peer) || !out || !pending) return VN_EINVAL;
    vn_err err = e2ee_get_exact(self, DB_SELF, KEY(K_ACCOUNT), account, VN_ACCOUNT_HEX);
    if (err == VN_ENOTFOUND) return VN_EINVAL;
    if (err) return err;
    account[VN_ACCOUNT_HEX] = '\0';
    err = e2ee_peer_load(self, peer, VN_ACCOUNT_HEX, &rec);
    if (!err) err = e2ee_get_exact(self, DB_SELF, KEY(K_ID_PUB), local_pub, sizeof local_pub);
    if (err) return err;
    bool use_pending = rec.flags & PEER_PENDING;

    rc = curve_decode_point(&local, local_pub, sizeof local_pub, self->ctx);
    if (rc >= 0)
        rc = curve_decode_point(&remote, use_pending ? rec.pending : rec.key, VN_E2EE_KEY_LEN,
                                self->ctx);
    if (rc >= 0)
        rc = fingerprint_generator_create(&gen, FP_ITERATIONS, FP_SCANNABLE_VERSION, self->ctx);
    /* Both sides pass (own id, own key, peer id, peer key); libsignal sorts
     * the two halves, so both show the same 60 digits. */
    if (rc >= 0) rc = fingerprint_generator_create_for(gen, account, local, peer, remote, &fp);
    if (rc < 0) {
        err = e2ee_err_from_sg(rc);
        goto out;
    }
    const char *text = displayable_fingerprint_text(fingerprint_get_displayable(fp));
    if (!text || strlen(text) != VN_E2EE_SAFETY_LEN ||
        strspn(text, "0123456789") != VN_E2EE_SAFETY_LEN) {
        err = VN_EINTERNAL;
        goto out;
    }
    memcpy(out, text, VN_E2EE_SAFETY_LEN + 1);
    *pending = use_pending;

out:
    SIGNAL_UNREF(fp);
    fingerprint_generator_free(gen);
    SIGNAL_UNREF(remote);
    SIGNAL_UNREF(local);
    return err;
}

vn_err vn_e2ee_confirm_peer(vn_e2ee *self, const char *peer)
{
    peer_rec rec;

    if (!peer_ok(peer)) return VN_EINVAL;
    vn_err err = e2ee_peer_load(self, peer, VN_ACCOUNT_HEX, &rec);
    if (err) return err;
    err = vn_kv_begin(self->kv);
    if (err) return err;
    if (rec.flags & PEER_PENDING) {
        memcpy(rec.key, rec.pending, VN_E2EE_KEY_LEN);
        memset(rec.pending, 0, VN_E2EE_KEY_LEN);
        rec.flags &= (uint8_t)~PEER_PENDING;
        /* The old session's ratchet belongs to the old key; the next
         * message starts fresh from the new key's bundle or prekey message. */
        err = e2ee_delete_sessions_of(self, peer, VN_ACCOUNT_HEX, NULL);
    }
    rec.flags |= PEER_VERIFIED;
    if (!err) err = e2ee_peer_store(self, peer, VN_ACCOUNT_HEX, &rec);
    return e2ee_txn_end(self, err);
}

bool vn_e2ee_peer_verified(vn_e2ee *self, const char *peer)
{
    peer_rec rec;
    if (!peer_ok(peer) || e2ee_peer_load(self, peer, VN_ACCOUNT_HEX, &rec) != VN_OK) return false;
    return (rec.flags & PEER_VERIFIED) && !(rec.flags & PEER_PENDING);
}

vn_err e2ee_finish_decrypt(vn_e2ee *self, vn_err err, const signal_buffer *plain, uint8_t **pt,
                           size_t *ptlen)
{
    uint8_t *copy = NULL;
    size_t len = plain ? signal_buffer_len((signal_buffer *)plain) : 0;
    if (!err) {
        copy = malloc(len ? len : 1);
        if (!copy) {
            /* Committing now would advance the state past a message the
             * caller never sees. */
            vn_kv_abort(self->kv);
            return VN_ENOMEM;
        }
        memcpy(copy, signal_buffer_data((signal_buffer *)plain), len);
    }
    err = e2ee_txn_end(self, err);
    if (!err) {
        *pt = copy;
        *ptlen = len;
    } else if (copy) {
        explicit_bzero(copy, len);
        free(copy);
    }
    return err;
}
