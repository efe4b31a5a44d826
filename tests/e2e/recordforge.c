/* vn_recordforge: a record from someone who may not author it. It joins
 * the network with an invite code as an honest device (a real Signal
 * identity in a temporary store, a real sender certificate from the
 * server), and sends RECIPIENT one end-to-end message whose content is a
 * RecordNote: a test result, a clinical state, a medication exception or
 * an alert history, as only the case's casemanager (and for alerts a buddy
 * or medical lead) may send. Nothing about the message is forged but its
 * meaning: the recipient's client must show it as an ordinary message of
 * its real sender and never keep it as a record.
 *
 *   vn_recordforge INVITE_CODE RECIPIENT CASE DATE KIND RESULT [confirmed]
 *
 * A casemanager invite first gets a case of its own, so the sender is the
 * casemanager of another case. Prints the sender's account id and exits 0
 * once the server accepted the message, 1 otherwise, 2 on bad usage. */
#include "vn/conn.h"
#include "vn/e2ee.h"
#include "vn/kv.h"
#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/pad.h"
#include "vn/sealed.h"
#include "vn/wallclock.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What to send, from the command line. */
typedef struct job {
    const char *to;    /* the recipient's account */
    Vn__RecordNote rn; /* the record */
} job;

/* Sends req and checks the reply's body; says which request failed. */
static int ask(vn_conn *conn, Vn__Request *req, Vn__Reply__BodyCase want, Vn__Reply **rep)
{
    vn_err err = vn_conn_call(conn, req, rep);
    if (!err && (*rep)->body_case == want) return 0;
    fprintf(stderr, "vn_recordforge: request %d failed: %s %s\n", (int)req->body_case,
            vn_err_name(err), vn_conn_error(conn, NULL));
    return 1;
}

/* Redeems the invite; a casemanager also opens a case of its own. */
static int enrol(vn_conn *conn, vn_e2ee *e, const vn_invite *inv)
{
    Vn__Reply *rep = NULL;
    Vn__Redeem rd = VN__REDEEM__INIT;
    rd.secret = (ProtobufCBinaryData){sizeof inv->secret, (uint8_t *)inv->secret};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &rd;
    int rc = ask(conn, &req, VN__REPLY__BODY_REDEEMED, &rep);
    bool cm = !rc && strcmp(rep->redeemed->role, "casemanager") == 0;
    if (!rc) {
        printf("%s\n", rep->redeemed->account);
        rc = vn_e2ee_set_account(e, rep->redeemed->account) != VN_OK;
    }
    vn_frame_reply_free(rep);
    rep = NULL;
    if (rc || !cm) return rc;
    Vn__CaseNew cn = VN__CASE_NEW__INIT;
    Vn__Request nreq = VN__REQUEST__INIT;
    nreq.body_case = VN__REQUEST__BODY_CASE_NEW;
    nreq.case_new = &cn;
    rc = ask(conn, &nreq, VN__REPLY__BODY_CASE_INFO, &rep);
    vn_frame_reply_free(rep);
    return rc;
}

/* Publishes the device's identity and signed prekey (no one-time prekeys:
 * nobody starts a session with it). */
static int publish(vn_conn *conn, vn_e2ee *e)
{
    vn_bundle b;
    Vn__Reply *rep = NULL;
    if (vn_e2ee_public_bundle(e, &b)) return 1;
    Vn__PublishKeys pub = VN__PUBLISH_KEYS__INIT;
    pub.registration_id = b.registration_id;
    pub.identity_key = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.identity_key};
    pub.signed_prekey_id = b.signed_prekey_id;
    pub.signed_prekey = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.signed_prekey};
    pub.signed_prekey_sig = (ProtobufCBinaryData){VN_E2EE_SIG_LEN, b.signed_prekey_sig};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_PUBLISH_KEYS;
    req.publish_keys = &pub;
    int rc = ask(conn, &req, VN__REPLY__BODY_KEYS_PUBLISHED, &rep);
    vn_frame_reply_free(rep);
    return rc;
}

/* The recipient's bundle as the session needs it; 1 if it is malformed. */
static int to_bundle(const Vn__Bundle *rb, vn_bundle *b)
{
    if (rb->identity_key.len != VN_E2EE_KEY_LEN || rb->signed_prekey.len != VN_E2EE_KEY_LEN ||
        rb->signed_prekey_sig.len != VN_E2EE_SIG_LEN)
        return 1;
    b->registration_id = rb->registration_id;
    memcpy(b->identity_key, rb->identity_key.data, VN_E2EE_KEY_LEN);
    b->signed_prekey_id = rb->signed_prekey_id;
    memcpy(b->signed_prekey, rb->signed_prekey.data, VN_E2EE_KEY_LEN);
    memcpy(b->signed_prekey_sig, rb->signed_prekey_sig.data, VN_E2EE_SIG_LEN);
    b->has_prekey = rb->prekey && rb->prekey->key.len == VN_E2EE_KEY_LEN;
    if (b->has_prekey) {
        b->prekey_id = rb->prekey->id;
        memcpy(b->prekey, rb->prekey->key.data, VN_E2EE_KEY_LEN);
    }
    return 0;
}

static int start_session(vn_conn *conn, vn_e2ee *e, const char *to)
{
    Vn__Reply *rep = NULL;
    vn_bundle b = {.has_prekey = false};
    Vn__FetchBundle fb = VN__FETCH_BUNDLE__INIT;
    fb.account = (char *)to;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_FETCH_BUNDLE;
    req.fetch_bundle = &fb;
    int rc = ask(conn, &req, VN__REPLY__BODY_BUNDLE, &rep);
    if (!rc) rc = to_bundle(rep->bundle, &b) || vn_e2ee_start_session(e, to, &b) != VN_OK;
    vn_frame_reply_free(rep);
    return rc;
}

/* The server's certificate for this account, as an honest client gets it. */
static int sender_cert(vn_conn *conn, uint8_t *cert, size_t *len, uint8_t sig[VN_SEALED_SIG_LEN])
{
    Vn__Reply *rep = NULL;
    Vn__SenderCertGet g = VN__SENDER_CERT_GET__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_SENDER_CERT;
    req.sender_cert = &g;
    int rc = ask(conn, &req, VN__REPLY__BODY_SENDER_CERT, &rep);
    if (!rc) {
        const Vn__SenderCert *sc = rep->sender_cert;
        rc = sc->cert.len > VN_SEALED_CERT_MAX || sc->signature.len != VN_SEALED_SIG_LEN;
        if (!rc) {
            memcpy(cert, sc->cert.data, sc->cert.len);
            *len = sc->cert.len;
            memcpy(sig, sc->signature.data, VN_SEALED_SIG_LEN);
        }
    }
    vn_frame_reply_free(rep);
    return rc;
}

/* The record as one sealed, padded Signal message to j->to, sent. */
static int send_record(vn_conn *conn, vn_e2ee *e, const job *j)
{
    uint8_t cert[VN_SEALED_CERT_MAX], sig[VN_SEALED_SIG_LEN], id[VN_MSGID_LEN], pt[1024];
    uint8_t to_key[VN_E2EE_KEY_LEN], *ct = NULL, *box = NULL, *body = NULL;
    size_t certlen = 0, ctlen = 0, boxlen = 0, bodylen = 0;
    bool prekey = false;
    Vn__Reply *rep = NULL;
    Vn__Content content = VN__CONTENT__INIT;
    content.text = "";
    content.record = (Vn__RecordNote *)&j->rn;
    content.sent_ms = vn_wallclock_ms();
    if (vn__content__get_packed_size(&content) > sizeof pt) return 1;
    size_t ptlen = vn__content__pack(&content, pt);
    randombytes_buf(id, sizeof id);
    int rc =
        sender_cert(conn, cert, &certlen, sig) || start_session(conn, e, j->to) ||
        vn_e2ee_peer_identity(e, j->to, to_key) ||
        vn_e2ee_encrypt(e, j->to, pt, ptlen, &ct, &ctlen, &prekey) ||
        vn_sealed_seal(to_key, cert, certlen, sig, prekey ? VN_SEALED_PREKEY : VN_SEALED_WHISPER,
                       NULL, ct, ctlen, &box, &boxlen) ||
        vn_pad_encode(box, boxlen, &body, &bodylen);
    Vn__Send s = VN__SEND__INIT;
    s.to = (char *)j->to;
    s.id = (ProtobufCBinaryData){sizeof id, id};
    s.body = (ProtobufCBinaryData){bodylen, body};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_SEND;
    req.send = &s;
    if (!rc) rc = ask(conn, &req, VN__REPLY__BODY_SENT, &rep);
    vn_frame_reply_free(rep);
    free(ct);
    free(box);
    free(body);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const dbs[] = {VN_E2EE_DBS};
    char dir[] = "/tmp/vn_recordforge_XXXXXX", cmd[64];
    vn_invite inv;
    uint8_t pub[32], sec[32];
    vn_conn *conn = NULL;
    vn_kv *kv = NULL;
    vn_e2ee *e = NULL;
    job j = {.rn = VN__RECORD_NOTE__INIT};
    if ((argc != 7 && argc != 8) || vn_invite_decode(argv[1], &inv) || !vn_account_valid(argv[2]) ||
        (argc == 8 && strcmp(argv[7], "confirmed") != 0)) {
        fprintf(stderr, "usage: vn_recordforge INVITE_CODE RECIPIENT CASE DATE KIND RESULT "
                        "[confirmed]\n");
        return 2;
    }
    j.to = argv[2];
    j.rn.case_id = argv[3];
    j.rn.date = argv[4];
    j.rn.kind = argv[5];
    j.rn.result = argv[6];
    j.rn.note = "";
    j.rn.confirmed = argc == 8;
    if (sodium_init() < 0 || !mkdtemp(dir) || vn_kv_open(&kv, dir, dbs, VN_E2EE_NDBS, 0) ||
        vn_e2ee_open(&e, kv, 0) || vn_e2ee_create_identity(e) || vn_conn_curve_keypair(pub, sec) ||
        vn_conn_open(&conn, inv.endpoint, inv.server_key, pub, sec)) {
        fprintf(stderr, "vn_recordforge: cannot set up\n");
        return 2;
    }
    vn_conn_set_timeout(conn, 10000, 1000);
    int rc = enrol(conn, e, &inv) || publish(conn, e) || send_record(conn, e, &j);
    vn_conn_close(&conn);
    vn_e2ee_close(&e);
    vn_kv_close(&kv);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) rc = 1;
    return rc;
}
