/* The keys and prekeys tables. */
#include "vn/keys.h"

#include "sstore_internal.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define PREKEY_KEY_LEN (VN_ACCOUNT_LEN + 4) /* account, prekey id */

static vn_err count_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    (*(uint32_t *)ud)++;
    return VN_OK;
}

vn_err vn_keys_prekeys_held(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], uint32_t *n)
{
    *n = 0;
    return st_each(st, VN_DB_PREKEYS, account, VN_ACCOUNT_LEN, count_cb, n);
}

vn_err vn_keys_publish(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                       const Vn__PublishKeys *keys, uint32_t *left)
{
    Vn__Bundle b = VN__BUNDLE__INIT, *old = NULL;
    uint8_t *buf = NULL, *prev = NULL;
    size_t n;
    vn_err err;

    if (keys->identity_key.len != VN_KEYS_PUBLIC_LEN ||
        keys->signed_prekey.len != VN_KEYS_PUBLIC_LEN ||
        keys->signed_prekey_sig.len != VN_KEYS_SIG_LEN)
        return VN_EINVAL;
    for (size_t i = 0; i < keys->n_prekeys; i++)
        if (!keys->prekeys[i] || keys->prekeys[i]->key.len != VN_KEYS_PUBLIC_LEN) return VN_EINVAL;
    err = st_begin(st);
    if (err) return err;
    err = st_get(st, VN_DB_KEYS, account, VN_ACCOUNT_LEN, (void **)&prev, &n);
    if (err == VN_OK) {
        old = vn__bundle__unpack(NULL, n, prev);
        if (!old) {
            err = VN_ESTORE;
            goto out;
        }
        if (old->identity_key.len != VN_KEYS_PUBLIC_LEN ||
            memcmp(old->identity_key.data, keys->identity_key.data, VN_KEYS_PUBLIC_LEN) != 0) {
            err = VN_EDENIED;
            goto out;
        }
    } else if (err != VN_ENOTFOUND) {
        goto out;
    }
    b.registration_id = keys->registration_id;
    b.identity_key = keys->identity_key;
    b.signed_prekey_id = keys->signed_prekey_id;
    b.signed_prekey = keys->signed_prekey;
    b.signed_prekey_sig = keys->signed_prekey_sig;
    n = vn__bundle__get_packed_size(&b);
    buf = malloc(n);
    if (!buf) {
        err = VN_ENOMEM;
        goto out;
    }
    vn__bundle__pack(&b, buf);
    if ((err = st_put(st, VN_DB_KEYS, account, VN_ACCOUNT_LEN, buf, n))) goto out_aborted;
    /* A restored device lost the secret halves of prekeys published after
     * its backup: a peer must not be handed one of those. */
    if (keys->replace_prekeys && (err = st_del_prefix(st, VN_DB_PREKEYS, account, VN_ACCOUNT_LEN)))
        goto out_aborted;
    for (size_t i = 0; i < keys->n_prekeys; i++) {
        uint8_t k[PREKEY_KEY_LEN];
        memcpy(k, account, VN_ACCOUNT_LEN);
        vn_be_put32(k + VN_ACCOUNT_LEN, keys->prekeys[i]->id);
        err =
            st_put(st, VN_DB_PREKEYS, k, sizeof k, keys->prekeys[i]->key.data, VN_KEYS_PUBLIC_LEN);
        if (err) goto out_aborted;
    }
    err = vn_keys_prekeys_held(st, account, left);
    if (err) goto out;
    free(buf);
    if (old) vn__bundle__free_unpacked(old, NULL);
    free(prev);
    return st_commit(st);
out:
    /* Nothing was written: end our nesting level without discarding an
     * outer transaction's work. */
    st_commit(st);
out_aborted:
    free(buf);
    if (old) vn__bundle__free_unpacked(old, NULL);
    free(prev);
    return err;
}

struct first_prekey {
    uint8_t key[PREKEY_KEY_LEN];     /* db key of the first prekey found */
    uint8_t val[VN_KEYS_PUBLIC_LEN]; /* its public key */
    bool found;
};

static vn_err first_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct first_prekey *f = ud;
    if (kl != sizeof f->key || vl != sizeof f->val) return VN_OK;
    memcpy(f->key, k, kl);
    memcpy(f->val, v, vl);
    f->found = true;
    *stop = true;
    return VN_OK;
}

static vn_err dup_bytes(ProtobufCBinaryData *dst, const ProtobufCBinaryData *src)
{
    dst->data = malloc(src->len ? src->len : 1);
    if (!dst->data) return VN_ENOMEM;
    memcpy(dst->data, src->data, src->len);
    dst->len = src->len;
    return VN_OK;
}

void vn_keys_bundle_clear(Vn__Bundle *b)
{
    free(b->identity_key.data);
    free(b->signed_prekey.data);
    free(b->signed_prekey_sig.data);
    if (b->prekey) free(b->prekey->key.data);
    free(b->prekey);
    b->identity_key.data = b->signed_prekey.data = b->signed_prekey_sig.data = NULL;
    b->prekey = NULL;
}

vn_err vn_keys_bundle_take(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], Vn__Bundle *out)
{
    uint8_t *raw = NULL;
    size_t n;
    struct first_prekey f = {.found = false};
    Vn__Bundle *b = NULL;
    vn_err err = st_begin(st);
    if (err) return err;
    err = st_get(st, VN_DB_KEYS, account, VN_ACCOUNT_LEN, (void **)&raw, &n);
    if (err) goto out;
    b = vn__bundle__unpack(NULL, n, raw);
    if (!b) {
        err = VN_ESTORE;
        goto out;
    }
    out->registration_id = b->registration_id;
    out->signed_prekey_id = b->signed_prekey_id;
    if ((err = dup_bytes(&out->identity_key, &b->identity_key)) ||
        (err = dup_bytes(&out->signed_prekey, &b->signed_prekey)) ||
        (err = dup_bytes(&out->signed_prekey_sig, &b->signed_prekey_sig)))
        goto out_clear;
    err = st_each(st, VN_DB_PREKEYS, account, VN_ACCOUNT_LEN, first_cb, &f);
    if (err) goto out_clear;
    if (f.found) {
        /* A one-time prekey is handed out once and then forgotten. */
        out->prekey = malloc(sizeof *out->prekey);
        if (!out->prekey) {
            err = VN_ENOMEM;
            goto out_clear;
        }
        vn__pre_key__init(out->prekey);
        out->prekey->id = vn_be_get32(f.key + VN_ACCOUNT_LEN);
        ProtobufCBinaryData src = {sizeof f.val, f.val};
        if ((err = dup_bytes(&out->prekey->key, &src))) goto out_clear;
        err = st_del(st, VN_DB_PREKEYS, f.key, sizeof f.key);
        if (err) {
            vn_keys_bundle_clear(out);
            goto out_aborted;
        }
    }
    vn__bundle__free_unpacked(b, NULL);
    free(raw);
    return st_commit(st);
out_clear:
    vn_keys_bundle_clear(out);
out:
    st_commit(st);
out_aborted:
    if (b) vn__bundle__free_unpacked(b, NULL);
    free(raw);
    return err;
}

vn_err vn_keys_identity(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                        uint8_t key[VN_KEYS_PUBLIC_LEN])
{
    uint8_t *raw = NULL;
    size_t n;
    vn_err err = st_get(st, VN_DB_KEYS, account, VN_ACCOUNT_LEN, (void **)&raw, &n);
    if (err) return err;
    Vn__Bundle *b = vn__bundle__unpack(NULL, n, raw);
    free(raw);
    if (!b) return VN_ESTORE;
    if (b->identity_key.len == VN_KEYS_PUBLIC_LEN)
        memcpy(key, b->identity_key.data, VN_KEYS_PUBLIC_LEN);
    else
        err = VN_ESTORE;
    vn__bundle__free_unpacked(b, NULL);
    return err;
}

vn_err vn_keys_delete(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN])
{
    vn_err err = st_begin(st);
    if (err) return err;
    if ((err = st_drop(st, VN_DB_KEYS, account, VN_ACCOUNT_LEN)) ||
        (err = st_del_prefix(st, VN_DB_PREKEYS, account, VN_ACCOUNT_LEN)))
        return err;
    return st_commit(st);
}
