#include "testdevice.h"

#include "vn/frame.h"
#include "vn/pad.h"
#include "vn/sealed.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int td_open(test_device *d, const char *prog, const vn_invite *inv)
{
    static const char *const dbs[] = {VN_E2EE_DBS};
    uint8_t pub[32], sec[32];
    memset(d, 0, sizeof *d);
    d->prog = prog;
    snprintf(d->dir, sizeof d->dir, "/tmp/%s_XXXXXX", prog);
    if (sodium_init() < 0 || !mkdtemp(d->dir) || vn_kv_open(&d->kv, d->dir, dbs, VN_E2EE_NDBS, 0) ||
        vn_e2ee_open(&d->e, d->kv, 0) || vn_e2ee_create_identity(d->e) ||
        vn_conn_curve_keypair(pub, sec) ||
        vn_conn_open(&d->conn, inv->endpoint, inv->server_key, pub, sec)) {
        fprintf(stderr, "%s: cannot set up\n", prog);
        return 1;
    }
    vn_conn_set_timeout(d->conn, 10000, 1000);
    return 0;
}

int td_close(test_device *d)
{
    char cmd[96];
    vn_conn_close(&d->conn);
    vn_e2ee_close(&d->e);
    vn_kv_close(&d->kv);
    if (!d->dir[0] || strstr(d->dir, "XXXXXX")) return 0;
    snprintf(cmd, sizeof cmd, "rm -rf %s", d->dir);
    return system(cmd) != 0;
}

int td_call(test_device *d, Vn__Request *req, Vn__Reply__BodyCase want, Vn__Reply **rep)
{
    vn_err err = vn_conn_call(d->conn, req, rep);
    if (!err && (*rep)->body_case == want) return 0;
    fprintf(stderr, "%s: request %d failed: %s %s\n", d->prog, (int)req->body_case,
            vn_err_name(err), vn_conn_error(d->conn, NULL));
    return 1;
}

int td_redeem(test_device *d, const vn_invite *inv, bool *casemanager)
{
    Vn__Reply *rep = NULL;
    Vn__Redeem rd = VN__REDEEM__INIT;
    rd.secret = (ProtobufCBinaryData){sizeof inv->secret, (uint8_t *)inv->secret};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &rd;
    int rc = td_call(d, &req, VN__REPLY__BODY_REDEEMED, &rep);
    if (!rc) {
        printf("%s\n", rep->redeemed->account);
        if (casemanager) *casemanager = strcmp(rep->redeemed->role, "casemanager") == 0;
        rc = vn_e2ee_set_account(d->e, rep->redeemed->account) != VN_OK;
    }
    vn_frame_reply_free(rep);
    return rc;
}

int td_publish(test_device *d, bool with_prekey)
{
    vn_bundle b;
    vn_prekey_pub *pks = NULL;
    Vn__Reply *rep = NULL;
    if (vn_e2ee_public_bundle(d->e, &b)) return 1;
    if (with_prekey && vn_e2ee_generate_prekeys(d->e, 1, &pks)) return 1;
    Vn__PreKey pk = VN__PRE_KEY__INIT, *pkp[1] = {&pk};
    Vn__PublishKeys pub = VN__PUBLISH_KEYS__INIT;
    pub.registration_id = b.registration_id;
    pub.identity_key = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.identity_key};
    pub.signed_prekey_id = b.signed_prekey_id;
    pub.signed_prekey = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.signed_prekey};
    pub.signed_prekey_sig = (ProtobufCBinaryData){VN_E2EE_SIG_LEN, b.signed_prekey_sig};
    if (with_prekey) {
        pk.id = pks[0].id;
        pk.key = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, pks[0].key};
        pub.n_prekeys = 1;
        pub.prekeys = pkp;
    }
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_PUBLISH_KEYS;
    req.publish_keys = &pub;
    int rc = td_call(d, &req, VN__REPLY__BODY_KEYS_PUBLISHED, &rep);
    vn_frame_reply_free(rep);
    free(pks);
    return rc;
}

/* The bundle as the session needs it; 1 if it is malformed. */
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

int td_start_session(test_device *d, const char *to)
{
    Vn__Reply *rep = NULL;
    vn_bundle b = {.has_prekey = false};
    Vn__FetchBundle fb = VN__FETCH_BUNDLE__INIT;
    fb.account = (char *)to;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_FETCH_BUNDLE;
    req.fetch_bundle = &fb;
    int rc = td_call(d, &req, VN__REPLY__BODY_BUNDLE, &rep);
    if (!rc) rc = to_bundle(rep->bundle, &b) || vn_e2ee_start_session(d->e, to, &b) != VN_OK;
    vn_frame_reply_free(rep);
    return rc;
}

int td_send_sealed(test_device *d, const char *to, const uint8_t *cert, size_t certlen,
                   const uint8_t *sig, bool prekey, const uint8_t *ct, size_t ctlen)
{
    uint8_t to_key[VN_E2EE_KEY_LEN], id[VN_MSGID_LEN], *box = NULL, *body = NULL;
    size_t boxlen = 0, bodylen = 0;
    Vn__Reply *rep = NULL;
    randombytes_buf(id, sizeof id);
    int rc =
        vn_e2ee_peer_identity(d->e, to, to_key) ||
        vn_sealed_seal(to_key, cert, certlen, sig, prekey ? VN_SEALED_PREKEY : VN_SEALED_WHISPER,
                       NULL, ct, ctlen, &box, &boxlen) ||
        vn_pad_encode(box, boxlen, &body, &bodylen);
    Vn__Send s = VN__SEND__INIT;
    s.to = (char *)to;
    s.id = (ProtobufCBinaryData){sizeof id, id};
    s.body = (ProtobufCBinaryData){bodylen, body};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_SEND;
    req.send = &s;
    if (!rc) rc = td_call(d, &req, VN__REPLY__BODY_SENT, &rep);
    vn_frame_reply_free(rep);
    free(box);
    free(body);
    return rc;
}

/* The server's certificate for this account, as an honest client gets it. */
static int sender_cert(test_device *d, uint8_t *cert, size_t *len, uint8_t sig[VN_SEALED_SIG_LEN])
{
    Vn__Reply *rep = NULL;
    Vn__SenderCertGet g = VN__SENDER_CERT_GET__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_SENDER_CERT;
    req.sender_cert = &g;
    int rc = td_call(d, &req, VN__REPLY__BODY_SENDER_CERT, &rep);
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

int td_send_content(test_device *d, const char *to, const Vn__Content *content)
{
    uint8_t cert[VN_SEALED_CERT_MAX], sig[VN_SEALED_SIG_LEN], pt[1024], *ct = NULL;
    size_t certlen = 0, ctlen = 0;
    bool prekey = false;
    if (vn__content__get_packed_size(content) > sizeof pt) return 1;
    size_t ptlen = vn__content__pack(content, pt);
    int rc = sender_cert(d, cert, &certlen, sig) || td_start_session(d, to) ||
             vn_e2ee_encrypt(d->e, to, pt, ptlen, &ct, &ctlen, &prekey) ||
             td_send_sealed(d, to, cert, certlen, sig, prekey, ct, ctlen);
    free(ct);
    return rc;
}
