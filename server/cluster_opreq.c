/* The messages of an operator's write (cluster_opreq.h). */
#include "cluster_opreq.h"

#include "vn/be.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define KDF_CONTEXT "vnclustr"                   /* as cluster_nats.c's names: id 2 here */
#define REQ_SIGNED  (1 + 8 + VN_OPREQ_NONCE_LEN) /* the head the MAC covers */
#define ANS_SIGNED  (1 + 1 + 8)

void vn_opreq_keys_derive(const uint8_t store_key[32], vn_opreq_keys *k)
{
    uint8_t op[32], h[16];
    char hex[2 * sizeof h + 1];
    crypto_kdf_derive_from_key(op, sizeof op, 2, KDF_CONTEXT, store_key);
    crypto_generichash(k->mac, sizeof k->mac, (const uint8_t *)"mac", 3, op, sizeof op);
    crypto_generichash(h, sizeof h, (const uint8_t *)"subject", 7, op, sizeof op);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(k->subject, sizeof k->subject, "vn.op.%s", hex);
    sodium_memzero(op, sizeof op);
}

static void mac(const vn_opreq_keys *k, const char *a, const char *b, const uint8_t *head,
                size_t hlen, const uint8_t *body, size_t blen, uint8_t out[VN_OPREQ_MAC_LEN])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, k->mac, sizeof k->mac);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)a, strlen(a) + 1);
    if (b) crypto_auth_hmacsha256_update(&st, (const uint8_t *)b, strlen(b) + 1);
    crypto_auth_hmacsha256_update(&st, head, hlen);
    if (blen) crypto_auth_hmacsha256_update(&st, body, blen);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

void vn_opreq_seal(const vn_opreq_keys *k, const char *subject, const char *reply, uint64_t time_ms,
                   const uint8_t nonce[VN_OPREQ_NONCE_LEN], const uint8_t *ws, size_t len,
                   uint8_t *out)
{
    out[0] = VN_OPREQ_VERSION;
    vn_be_put64(out + 1, time_ms);
    memcpy(out + 9, nonce, VN_OPREQ_NONCE_LEN);
    if (len) memmove(out + VN_OPREQ_HEAD, ws, len);
    mac(k, subject, reply, out, REQ_SIGNED, out + VN_OPREQ_HEAD, len, out + REQ_SIGNED);
}

vn_err vn_opreq_open(const vn_opreq_keys *k, const char *subject, const char *reply,
                     const uint8_t *d, size_t n, vn_opreq *out)
{
    uint8_t want[VN_OPREQ_MAC_LEN];
    if (!d || n <= VN_OPREQ_HEAD || d[0] != VN_OPREQ_VERSION) return VN_EPROTO;
    mac(k, subject, reply, d, REQ_SIGNED, d + VN_OPREQ_HEAD, n - VN_OPREQ_HEAD, want);
    if (sodium_memcmp(want, d + REQ_SIGNED, VN_OPREQ_MAC_LEN) != 0) return VN_EDENIED;
    *out = (vn_opreq){.time_ms = vn_be_get64(d + 1),
                      .nonce = d + 9,
                      .ws = d + VN_OPREQ_HEAD,
                      .len = n - VN_OPREQ_HEAD};
    return VN_OK;
}

bool vn_opreq_in_window(uint64_t t, uint64_t now)
{
    return t + VN_OPREQ_SKEW_MS >= now && t <= now + VN_OPREQ_SKEW_MS;
}

size_t vn_opreq_answer(const vn_opreq_keys *k, const char *reply, int status, uint64_t seq,
                       const char *text, uint8_t *out)
{
    size_t tlen = text ? strlen(text) : 0;
    if (tlen > VN_OPREQ_TEXT_MAX) tlen = VN_OPREQ_TEXT_MAX;
    out[0] = VN_OPREQ_VERSION;
    out[1] = (uint8_t)status;
    vn_be_put64(out + 2, seq);
    if (tlen) memcpy(out + VN_OPREQ_ANS_HEAD, text, tlen);
    mac(k, reply, NULL, out, ANS_SIGNED, out + VN_OPREQ_ANS_HEAD, tlen, out + ANS_SIGNED);
    return VN_OPREQ_ANS_HEAD + tlen;
}

vn_err vn_opreq_read_answer(const vn_opreq_keys *k, const char *reply, const uint8_t *d, size_t n,
                            int *status, uint64_t *seq, const char **text, size_t *tlen)
{
    uint8_t want[VN_OPREQ_MAC_LEN];
    if (!d || n < VN_OPREQ_ANS_HEAD || d[0] != VN_OPREQ_VERSION || d[1] > VN_OPREQ_REFUSED)
        return VN_EPROTO;
    mac(k, reply, NULL, d, ANS_SIGNED, d + VN_OPREQ_ANS_HEAD, n - VN_OPREQ_ANS_HEAD, want);
    if (sodium_memcmp(want, d + ANS_SIGNED, VN_OPREQ_MAC_LEN) != 0) return VN_EPROTO;
    *status = d[1];
    *seq = vn_be_get64(d + 2);
    *text = (const char *)d + VN_OPREQ_ANS_HEAD;
    *tlen = n - VN_OPREQ_ANS_HEAD;
    return VN_OK;
}

bool vn_opreq_seen_has(const vn_opreq_seen *s, const uint8_t nonce[VN_OPREQ_NONCE_LEN])
{
    for (size_t i = 0; i < s->n; i++)
        if (sodium_memcmp(s->nonce[i], nonce, VN_OPREQ_NONCE_LEN) == 0) return true;
    return false;
}

void vn_opreq_seen_add(vn_opreq_seen *s, const uint8_t nonce[VN_OPREQ_NONCE_LEN])
{
    memcpy(s->nonce[s->next], nonce, VN_OPREQ_NONCE_LEN);
    s->next = (s->next + 1) % VN_OPREQ_SEEN_MAX;
    if (s->n < VN_OPREQ_SEEN_MAX) s->n++;
}
