/* Team (group) messages over Signal sender keys: the sender key store in
 * e2ee_group and the vn_e2ee_group_* functions. */
#include "e2ee_internal.h"

#include <signal/curve.h>
#include <signal/group_cipher.h>
#include <signal/group_session_builder.h>
#include <signal/protocol.h>
#include <signal/sender_key.h>
#include <signal/sender_key_record.h>
#include <signal/sender_key_state.h>
#include <signal/signal_protocol.h>
#include <stdlib.h>
#include <string.h>

#include "vn/be.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

/* Our own sending key is stored under this sender name. No account id can
 * take it (those are 32 hex chars), so a distribution that some peer's
 * session hands us can never land on our sending record, whose private
 * signing key encrypt needs. */
#define SELF_NAME     "self"
#define SELF_NAME_LEN (sizeof SELF_NAME - 1)

/* How far ahead of its chain a receiver's key can jump; libsignal refuses
 * a message more than this many iterations ahead (group_cipher.c). */
#define MAX_SKIP 2000

/* Keys in e2ee_group: group id, NUL, sender name, NUL, big-endian device
 * id. All senders of one group share the prefix "group\0". */
#define GROUP_KEY_MAX (VN_ACCOUNT_HEX + 1 + VN_ACCOUNT_HEX + 1 + 4)

static int group_key(const signal_protocol_sender_key_name *n, uint8_t key[GROUP_KEY_MAX],
                     size_t *klen)
{
    const char *sender = n->sender.name;
    size_t slen = n->sender.name_len;

    if (!n->group_id || n->group_id_len != VN_ACCOUNT_HEX ||
        memchr(n->group_id, '\0', VN_ACCOUNT_HEX))
        return SG_ERR_INVAL;
    if (!sender || slen == 0 || slen > VN_ACCOUNT_HEX || memchr(sender, '\0', slen))
        return SG_ERR_INVAL;
    memcpy(key, n->group_id, VN_ACCOUNT_HEX);
    key[VN_ACCOUNT_HEX] = '\0';
    memcpy(key + VN_ACCOUNT_HEX + 1, sender, slen);
    key[VN_ACCOUNT_HEX + 1 + slen] = '\0';
    vn_be_put32(key + VN_ACCOUNT_HEX + 2 + slen, (uint32_t)n->sender.device_id);
    *klen = VN_ACCOUNT_HEX + 2 + slen + 4;
    return SG_SUCCESS;
}

/* ---- sender key store ------------------------------------------------- */

static int store_sender_key(const signal_protocol_sender_key_name *name, uint8_t *record,
                            size_t record_len, uint8_t *user_record, size_t user_record_len,
                            void *user_data)
{
    vn_e2ee *self = user_data;
    uint8_t key[GROUP_KEY_MAX];
    size_t klen;
    /* We never hand libsignal a user record, so there is none to keep. */
    int rc = group_key(name, key, &klen);
    if (rc < 0) return rc;
    return vn_kv_put(self->kv, dbi(self, DB_GROUP), key, klen, record, record_len);
}

static int load_sender_key(signal_buffer **record, signal_buffer **user_record,
                           const signal_protocol_sender_key_name *name, void *user_data)
{
    uint8_t key[GROUP_KEY_MAX];
    size_t klen;
    int rc = group_key(name, key, &klen);
    if (rc < 0) return rc;
    /* Records hold chain keys, and ours a private signing key. */
    return e2ee_load_buffer(user_data, DB_GROUP, key, klen, record);
}

vn_err e2ee_group_install(vn_e2ee *self)
{
    signal_protocol_sender_key_store sks = {
        .store_sender_key = store_sender_key,
        .load_sender_key = load_sender_key,
        .user_data = self,
    };
    if (signal_protocol_store_context_set_sender_key_store(self->store, &sks) < 0)
        return VN_EINTERNAL;
    return VN_OK;
}

/* ---- helpers ------------------------------------------------------------ */

/* Case ids have the same form as account ids: 32 lowercase hex chars. */
static bool group_ok(const char *group)
{
    return vn_account_valid(group);
}

/* The (group, sender, device) name of sender's key; sender NULL names our
 * own sending key. group and sender are borrowed and must outlive it. */
static signal_protocol_sender_key_name key_name(const char *group, const char *sender)
{
    signal_protocol_sender_key_name n = {
        group,
        VN_ACCOUNT_HEX,
        {sender ? sender : SELF_NAME, sender ? VN_ACCOUNT_HEX : SELF_NAME_LEN, DEVICE_ID}};
    return n;
}

/* A malloc'd copy of a libsignal message's serialized form. */
static int copy_serialized(ciphertext_message *m, uint8_t **out, size_t *len)
{
    signal_buffer *ser = ciphertext_message_get_serialized(m);
    size_t n = signal_buffer_len(ser);
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy) return SG_ERR_NOMEM;
    memcpy(copy, signal_buffer_data(ser), n);
    *out = copy;
    *len = n;
    return SG_SUCCESS;
}

/* ---- the API ---------------------------------------------------------------- */

vn_err vn_e2ee_group_distribution(vn_e2ee *self, const char *group, uint8_t **msg, size_t *len)
{
    group_session_builder *builder = NULL;
    sender_key_distribution_message *dm = NULL;
    int rc;

    if (!group_ok(group) || !msg || !len) return VN_EINVAL;
    signal_protocol_sender_key_name name = key_name(group, NULL);
    rc = group_session_builder_create(&builder, self->store, self->ctx);
    if (rc < 0) goto out;
    /* The key is created and stored only if there is none; the message
     * carries its current chain key and position either way. */
    vn_err err = vn_kv_begin(self->kv);
    if (err) {
        rc = err;
        goto out;
    }
    rc = group_session_builder_create_session(builder, &dm, &name);
    rc = e2ee_txn_end(self, e2ee_err_from_sg(rc));
    if (rc < 0) goto out;
    rc = copy_serialized((ciphertext_message *)dm, msg, len);

out:
    SIGNAL_UNREF(dm);
    group_session_builder_free(builder);
    return e2ee_err_from_sg(rc);
}

vn_err vn_e2ee_group_rotate(vn_e2ee *self, const char *group)
{
    uint8_t key[GROUP_KEY_MAX];
    size_t klen;

    if (!group_ok(group)) return VN_EINVAL;
    signal_protocol_sender_key_name name = key_name(group, NULL);
    if (group_key(&name, key, &klen) < 0) return VN_EINVAL;
    /* libsignal only ever creates a sending key when none is stored, so
     * dropping the record is what makes the next distribution a new key
     * (new id, chain and signing key) that removed members never get. */
    vn_err err = vn_kv_del(self->kv, dbi(self, DB_GROUP), key, klen);
    return err == VN_ENOTFOUND ? VN_OK : err;
}

/* Whether dm only repeats a key that record already holds: same key id and
 * signing key, starting at a point our chain can still reach. Processing it
 * would add a second state with the same id in front of ours; its chain
 * could start before where we are, and so accept messages we already
 * decrypted again, and it would hide the message keys we kept for
 * messages that are late. */
static bool already_held(sender_key_record *record, sender_key_distribution_message *dm)
{
    sender_key_state *state = NULL;
    uint32_t id = sender_key_distribution_message_get_id(dm);
    if (sender_key_record_get_sender_key_state_by_id(record, &state, id) < 0) return false;
    if (ec_public_key_compare(sender_key_state_get_signing_key_public(state),
                              sender_key_distribution_message_get_signature_key(dm)) != 0)
        return false;
    uint32_t ours = sender_chain_key_get_iteration(sender_key_state_get_chain_key(state));
    uint32_t theirs = sender_key_distribution_message_get_iteration(dm);
    return theirs <= ours || theirs - ours <= MAX_SKIP;
}

vn_err vn_e2ee_group_process(vn_e2ee *self, const char *group, const char *sender,
                             const uint8_t *msg, size_t len)
{
    sender_key_distribution_message *dm = NULL;
    sender_key_record *record = NULL;
    group_session_builder *builder = NULL;
    int rc;

    if (!group_ok(group) || !vn_account_valid(sender) || !msg) return VN_EINVAL;
    if (len > VN_E2EE_MAX_MSG) return VN_ETOOBIG;
    signal_protocol_sender_key_name name = key_name(group, sender);
    rc = sender_key_distribution_message_deserialize(&dm, msg, len, self->ctx);
    if (rc < 0) goto out;
    rc = signal_protocol_sender_key_load_key(self->store, &record, &name);
    if (rc < 0 || already_held(record, dm)) goto out;
    rc = group_session_builder_create(&builder, self->store, self->ctx);
    if (rc < 0) goto out;
    vn_err err = vn_kv_begin(self->kv);
    if (err) {
        rc = err;
        goto out;
    }
    /* libsignal puts the new key in front and keeps at most 5. */
    rc = group_session_builder_process_session(builder, &name, dm);
    rc = e2ee_txn_end(self, e2ee_err_from_sg(rc));

out:
    group_session_builder_free(builder);
    SIGNAL_UNREF(record);
    SIGNAL_UNREF(dm);
    return e2ee_err_from_sg(rc);
}

vn_err vn_e2ee_group_encrypt(vn_e2ee *self, const char *group, const uint8_t *pt, size_t ptlen,
                             uint8_t **ct, size_t *ctlen)
{
    uint8_t key[GROUP_KEY_MAX];
    size_t klen;
    group_cipher *cipher = NULL;
    ciphertext_message *msg = NULL;
    int rc;

    if (!group_ok(group) || (!pt && ptlen) || !ct || !ctlen) return VN_EINVAL;
    if (ptlen > VN_E2EE_MAX_MSG) return VN_ETOOBIG;
    signal_protocol_sender_key_name name = key_name(group, NULL);
    if (group_key(&name, key, &klen) < 0) return VN_EINVAL;
    /* libsignal would report a missing key as an invalid key id; say
     * plainly that a distribution is needed first. */
    if (!vn_kv_has(self->kv, dbi(self, DB_GROUP), key, klen)) return VN_ENOSESSION;
    rc = group_cipher_create(&cipher, self->store, &name, self->ctx);
    if (rc < 0) goto out;
    vn_err err = vn_kv_begin(self->kv);
    if (err) {
        rc = err;
        goto out;
    }
    /* A message that is then lost (say, the copy below fails) only skips
     * one position of the chain; receivers cope with gaps. */
    rc = group_cipher_encrypt(cipher, pt, ptlen, &msg);
    rc = e2ee_txn_end(self, e2ee_err_from_sg(rc));
    if (rc < 0) goto out;
    rc = copy_serialized(msg, ct, ctlen);

out:
    SIGNAL_UNREF(msg);
    group_cipher_free(cipher);
    return e2ee_err_from_sg(rc);
}

/* Whether record holds the key that message was made with. libsignal
 * reports a missing key id as an invalid message (SG_ERR_INVALID_MESSAGE),
 * the same as a forgery; a member left out of a rotation should instead
 * learn that it lacks the key. The key id is not authenticated until the
 * signature is checked, so a message whose id was altered also lands here:
 * it names a key we do not have, which is true. */
static bool holds_key(sender_key_record *record, sender_key_message *m)
{
    sender_key_state *state = NULL;
    if (sender_key_record_is_empty(record)) return false;
    return sender_key_record_get_sender_key_state_by_id(record, &state,
                                                        sender_key_message_get_key_id(m)) == 0;
}

vn_err vn_e2ee_group_decrypt(vn_e2ee *self, const char *group, const char *sender,
                             const uint8_t *ct, size_t ctlen, uint8_t **pt, size_t *ptlen)
{
    sender_key_message *m = NULL;
    sender_key_record *record = NULL;
    group_cipher *cipher = NULL;
    signal_buffer *plain = NULL;
    vn_err err;
    int rc;

    if (!group_ok(group) || !vn_account_valid(sender) || !ct || !pt || !ptlen) return VN_EINVAL;
    if (ctlen > VN_E2EE_MAX_MSG) return VN_ETOOBIG;
    signal_protocol_sender_key_name name = key_name(group, sender);
    rc = sender_key_message_deserialize(&m, ct, ctlen, self->ctx);
    if (rc >= 0) rc = signal_protocol_sender_key_load_key(self->store, &record, &name);
    if (rc >= 0 && !holds_key(record, m)) rc = SG_ERR_NO_SESSION;
    if (rc >= 0) rc = group_cipher_create(&cipher, self->store, &name, self->ctx);
    err = e2ee_err_from_sg(rc);
    if (err) goto out;

    err = vn_kv_begin(self->kv);
    if (err) goto out;
    /* libsignal stores the advanced chain (and drops the used message key)
     * only after the message verified and decrypted. */
    err = e2ee_err_from_sg(group_cipher_decrypt(cipher, m, NULL, &plain));
    err = e2ee_finish_decrypt(self, err, plain, pt, ptlen);

out:
    signal_buffer_bzero_free(plain);
    group_cipher_free(cipher);
    SIGNAL_UNREF(record);
    SIGNAL_UNREF(m);
    return err;
}
