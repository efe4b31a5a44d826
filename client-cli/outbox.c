/* The outbox: a message is encrypted and made durable here before it is
 * sent, and stays until the server has acknowledged it, so a crash or a
 * lost connection never loses one and never reuses a key. */
#include "client.h"
#include "sentlog.h"
#include "receipt.h"

#include "vn/frame.h"
#include "vn/pad.h"
#include "vn/sealed.h"
#include "vn/rand.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The sealed message for one recipient: ct sealed with our certificate to
 * peer's identity key, padded, as a Send with a fresh id, put in the
 * outbox (in the caller's transaction). */
static vn_err queue_sealed(vn_client *c, const char *peer, const uint8_t *cert, size_t certlen,
                           const uint8_t *sig, vn_sealed_kind kind, const char *case_id,
                           const uint8_t *ct, size_t ctlen, uint8_t id[VN_MSGID_LEN])
{
    uint8_t key[VN_E2EE_KEY_LEN], k[8], *sealed = NULL, *padded = NULL;
    uint8_t *packed = NULL;
    uint64_t seq;
    size_t slen, padlen, plen;
    vn_err err = vn_e2ee_peer_identity(c->e2ee, peer, key);
    if (err == VN_ENOTFOUND) err = VN_ENOSESSION;
    if (err || (err = vn_rand_bytes(id, VN_MSGID_LEN))) return err;
    if ((err = vn_sealed_seal(key, cert, certlen, sig, kind, case_id, ct, ctlen, &sealed, &slen)) ||
        (err = vn_pad_encode(sealed, slen, &padded, &padlen)))
        goto out;
    Vn__Send s = VN__SEND__INIT;
    s.to = (char *)peer;
    s.id = (ProtobufCBinaryData){VN_MSGID_LEN, id};
    s.body = (ProtobufCBinaryData){padlen, padded};
    plen = vn__send__get_packed_size(&s);
    if (!(packed = malloc(plen))) {
        err = VN_ENOMEM;
        goto out;
    }
    vn__send__pack(&s, packed);
    if ((err = vn_client_next_seq(c, CDB_OUTBOX, &seq))) goto out;
    vn_be_put64(k, seq);
    err = vn_kv_put(c->kv, CDB_OUTBOX, k, sizeof k, packed, plen);
out:
    free(sealed);
    free(padded);
    free(packed);
    return err;
}

/* The accounts that hold our current sender key for case_id (team.c keeps
 * that list): a team message is sealed to each of them. */
static vn_err team_holders(vn_client *c, const char *case_id, char (*acc)[VN_ACCOUNT_HEX + 1],
                           size_t max, size_t *n)
{
    char *holders = NULL;
    size_t len = 0;
    *n = 0;
    vn_err err = vn_kv_get(c->kv, CDB_TEAMS, case_id, VN_ACCOUNT_HEX, (void **)&holders, &len);
    if (err == VN_ENOTFOUND) return VN_ENOSESSION;
    for (size_t i = 0; !err && i + VN_ACCOUNT_HEX <= len && *n < max; i += VN_ACCOUNT_HEX) {
        memcpy(acc[*n], holders + i, VN_ACCOUNT_HEX);
        acc[(*n)++][VN_ACCOUNT_HEX] = '\0';
    }
    free(holders);
    return err;
}

/* A text message of ours goes into the conversation history with its
 * first copy's id (in the caller's transaction); keys, records and
 * signals are not conversation. */
static vn_err keep_sent(vn_client *c, const char *peer, const char *case_id,
                        const Vn__Content *content, const uint8_t id[VN_MSGID_LEN])
{
    if (!content->text || content->record || content->signal || content->sender_key.len ||
        content->receipt)
        return VN_OK;
    Vn__Received h = VN__RECEIVED__INIT;
    h.id = (ProtobufCBinaryData){VN_MSGID_LEN, (uint8_t *)id};
    h.from = c->account;
    h.to = case_id ? "" : (char *)peer;
    h.case_id = case_id ? (char *)case_id : "";
    h.time_ms = content->sent_ms;
    h.text = content->text;
    vn_err err = vn_client_keep_history(c, &h);
    /* Its delivery state, for `history` (receipt.h). */
    return err || case_id ? err : vn_receipt_note_queued(c, peer, id);
}

/* Encrypts content for peer (1:1) or for the care team of case_id (sender
 * key, then one sealed copy per team member: the sealed layer is per
 * recipient, so the server fans out nothing and learns no case), and
 * queues the Sends in the outbox, all in one transaction with the ratchet
 * step, the sequence numbers and the history entry, so a crash or a failed
 * write can neither lose the message, nor leave half of it, nor reuse a
 * key. */
vn_err vn_outbox_queue(vn_client *c, const char *peer, const char *case_id,
                       const Vn__Content *content)
{
    uint8_t *pt = NULL, *ct = NULL, cert[VN_SEALED_CERT_MAX], sig[VN_SEALED_SIG_LEN];
    uint8_t first_id[VN_MSGID_LEN] = {0}, id[VN_MSGID_LEN];
    char team[VN_TEAM_MAX][VN_ACCOUNT_HEX + 1];
    size_t ptlen, ctlen, certlen = 0, nteam = 0;
    bool prekey_msg = false;
    /* Before the transaction: this may ask the server for a certificate. */
    vn_err err = vn_client_sender_cert(c, cert, &certlen, sig);
    if (err) return err;
    ptlen = vn__content__get_packed_size(content);
    pt = malloc(ptlen ? ptlen : 1);
    if (!pt) return VN_ENOMEM;
    vn__content__pack(content, pt);
    if ((err = vn_kv_begin(c->kv))) goto out;
    if (case_id) {
        if (!(err = team_holders(c, case_id, team, VN_TEAM_MAX, &nteam)))
            err = vn_e2ee_group_encrypt(c->e2ee, case_id, pt, ptlen, &ct, &ctlen);
        for (size_t i = 0; !err && i < nteam; i++)
            err = queue_sealed(c, team[i], cert, certlen, sig, VN_SEALED_TEAM, case_id, ct, ctlen,
                               i == 0 ? first_id : id);
    } else {
        err = vn_e2ee_encrypt(c->e2ee, peer, pt, ptlen, &ct, &ctlen, &prekey_msg);
        if (!err)
            err = queue_sealed(c, peer, cert, certlen, sig,
                               prekey_msg ? VN_SEALED_PREKEY : VN_SEALED_WHISPER, NULL, ct, ctlen,
                               first_id);
    }
    if (!err) err = keep_sent(c, peer, case_id, content, first_id);
    if (err) goto out_abort;
    err = vn_kv_commit(c->kv);
    goto out;
out_abort:
    if (vn_kv_in_txn(c->kv)) vn_kv_abort(c->kv);
out:
    explicit_bzero(pt, ptlen ? ptlen : 1);
    free(pt);
    free(ct);
    return err;
}

struct outbox_item {
    uint8_t key[8]; /* outbox key */
    uint8_t *val;   /* packed Send */
    size_t len;
    bool found;
};

static vn_err first_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct outbox_item *it = ud;
    if (kl != 8 || !(it->val = malloc(vl ? vl : 1))) return VN_ENOMEM;
    memcpy(it->key, k, 8);
    memcpy(it->val, v, vl);
    it->len = vl;
    it->found = true;
    *stop = true;
    return VN_OK;
}

/* A rate-limit refusal says when to retry: wait that long if it fits in
 * the time this whole command may spend waiting (--timeout), else give up. */
static bool wait_for_rate(vn_client *c)
{
    uint64_t retry = 0;
    vn_conn_error(c->conn, &retry);
    if (retry == 0) retry = 100;
    if (c->rate_waited_ms + retry > (uint64_t)c->timeout_ms) return false;
    struct timespec ts = {(time_t)(retry / 1000), (long)(retry % 1000) * 1000000};
    nanosleep(&ts, NULL);
    c->rate_waited_ms += retry;
    return true;
}

/* Sends everything in the outbox, oldest first, stopping at the first
 * transient failure so order per recipient holds. A message the server
 * refuses for good (the recipient is not in one's care network any more)
 * would block the queue forever: it is dropped and reported in *f. */
vn_err vn_outbox_send(vn_client *c, vn_flushed *f)
{
    vn_err err = VN_OK;
    memset(f, 0, sizeof *f);
    for (;;) {
        struct outbox_item it = {.found = false};
        Vn__Reply *rep = NULL;
        err = vn_kv_each(c->kv, CDB_OUTBOX, NULL, 0, first_cb, &it);
        if (err || !it.found) {
            free(it.val);
            return err;
        }
        Vn__Send *s = vn__send__unpack(NULL, it.len, it.val);
        free(it.val);
        if (!s) return VN_ESTORE;
        if ((err = vn_client_connect(c))) {
            vn__send__free_unpacked(s, NULL);
            return err;
        }
        Vn__Request req = VN__REQUEST__INIT;
        req.body_case = VN__REQUEST__BODY_SEND;
        req.send = s;
        err = vn_conn_call(c->conn, &req, &rep);
        /* Kept to learn if it expires undelivered (sentlog.h); best effort. */
        if (!err) vn_sentlog_note(c, s->to, s->id.data, s->id.len);
        if (!err || !vn_err_is_retryable(err))
            vn_receipt_note_sent(c, s->id.data, s->id.len, err != VN_OK);
        vn__send__free_unpacked(s, NULL);
        vn_frame_reply_free(rep);
        if (err == VN_ERATE && wait_for_rate(c)) continue;
        /* Kept until the server says it is stored or why it never will be. */
        if (err && vn_err_is_retryable(err)) return err;
        if (err) {
            f->refused++;
            f->refusal = err;
            snprintf(f->why, sizeof f->why, "%s", vn_conn_error(c->conn, NULL));
        } else {
            f->sent++;
        }
        if ((err = vn_kv_del(c->kv, CDB_OUTBOX, it.key, 8)) && err != VN_ENOTFOUND) return err;
    }
}

bool vn_outbox_report_refused(vn_client *c, const vn_flushed *f)
{
    if (f->refused == 0) return false;
    fprintf(stderr, "vangnet: %zu message%s refused by the server and not kept: %s\n", f->refused,
            f->refused == 1 ? " was" : "s were", f->why);
    return true;
}

static void report_queued(vn_client *c, vn_err err, const char *tail)
{
    size_t n = 0;
    const char *smsg = c->conn ? vn_conn_error(c->conn, NULL) : "";
    vn_kv_count(c->kv, CDB_OUTBOX, &n);
    /* As an error (JSON under --json), though the messages are safe. */
    vn_client_fail(c, err, "%zu message%s queued; will retry with the next send or inbox: %s%s", n,
                   n == 1 ? "" : "s",
                   err == VN_ETIMEOUT ? "no answer from the server in time"
                   : smsg[0]          ? smsg
                                      : vn_err_str(err),
                   tail);
}

void vn_outbox_report_queued(vn_client *c, vn_err err)
{
    report_queued(c, err, "");
}

void vn_outbox_report_stopped(vn_client *c, vn_err err, size_t lines)
{
    char tail[160];
    snprintf(tail, sizeof tail,
             ". Standard input was read up to line %zu; nothing after it was read or sent", lines);
    report_queued(c, err, tail);
}

vn_err vn_outbox_flush(vn_client *c)
{
    vn_flushed f;
    vn_err err = vn_outbox_send(c, &f);
    vn_outbox_report_refused(c, &f);
    if (err && vn_err_is_retryable(err)) vn_outbox_report_queued(c, err);
    return err;
}
