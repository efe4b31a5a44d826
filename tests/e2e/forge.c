/* vn_forge: a message whose sender certificate lies. It joins a care
 * network with an invite code, as a device with a real Signal identity (in
 * a temporary store), starts a session with RECIPIENT and sends it TEXT
 * sealed under a certificate that names CLAIMED with the forger's own
 * identity key. The server never sees the certificate; the recipient must
 * not believe it.
 *
 *   vn_forge INVITE_CODE RECIPIENT CLAIMED TEXT [SIGNING_KEY_HEX]
 *
 * Without SIGNING_KEY_HEX the certificate is signed by a key of the
 * forger's own (the recipient refuses it as forged). With it, by that key:
 * the server's own (64 bytes as the store keeps it), as a compromised server
 * could (the recipient then sees CLAIMED's identity key change, and holds
 * the message until the user verifies). Prints the forger's account id and
 * exits 0 once the server accepted the message, 1 otherwise. */
#include "vn/conn.h"
#include "vn/e2ee.h"
#include "vn/kv.h"
#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/pad.h"
#include "vn/sealed.h"
#include "vn/hex.h"
#include "vn/wallclock.h"
#include "vn/account.h"
#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One request; the reply's body must be `want`. */
static int call(vn_conn *conn, Vn__Request *req, Vn__Reply__BodyCase want, Vn__Reply **rep)
{
    vn_err err = vn_conn_call(conn, req, rep);
    if (err || (*rep)->body_case != want) {
        fprintf(stderr, "vn_forge: request %d failed: %s %s\n", (int)req->body_case,
                vn_err_name(err), vn_conn_error(conn, NULL));
        return 1;
    }
    return 0;
}

/* Publishes this device's real bundle with a few one-time prekeys. */
static int publish(vn_conn *conn, vn_e2ee *e)
{
    vn_bundle b;
    vn_prekey_pub *pks = NULL;
    Vn__Reply *rep = NULL;
    if (vn_e2ee_public_bundle(e, &b) || vn_e2ee_generate_prekeys(e, 1, &pks)) return 1;
    Vn__PreKey pk = VN__PRE_KEY__INIT, *pkp[1] = {&pk};
    pk.id = pks[0].id;
    pk.key = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, pks[0].key};
    Vn__PublishKeys pub = VN__PUBLISH_KEYS__INIT;
    pub.registration_id = b.registration_id;
    pub.identity_key = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.identity_key};
    pub.signed_prekey_id = b.signed_prekey_id;
    pub.signed_prekey = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.signed_prekey};
    pub.signed_prekey_sig = (ProtobufCBinaryData){VN_E2EE_SIG_LEN, b.signed_prekey_sig};
    pub.n_prekeys = 1;
    pub.prekeys = pkp;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_PUBLISH_KEYS;
    req.publish_keys = &pub;
    int rc = call(conn, &req, VN__REPLY__BODY_KEYS_PUBLISHED, &rep);
    vn_frame_reply_free(rep);
    free(pks);
    return rc;
}

/* Starts a session with `to` from its bundle. */
static int start_session(vn_conn *conn, vn_e2ee *e, const char *to)
{
    Vn__Reply *rep = NULL;
    Vn__FetchBundle fb = VN__FETCH_BUNDLE__INIT;
    fb.account = (char *)to;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_FETCH_BUNDLE;
    req.fetch_bundle = &fb;
    int rc = call(conn, &req, VN__REPLY__BODY_BUNDLE, &rep);
    const Vn__Bundle *rb = rc ? NULL : rep->bundle;
    vn_bundle b = {.has_prekey = false};
    if (!rc &&
        (rb->identity_key.len != VN_E2EE_KEY_LEN || rb->signed_prekey.len != VN_E2EE_KEY_LEN ||
         rb->signed_prekey_sig.len != VN_E2EE_SIG_LEN))
        rc = 1;
    if (!rc) {
        b.registration_id = rb->registration_id;
        memcpy(b.identity_key, rb->identity_key.data, VN_E2EE_KEY_LEN);
        b.signed_prekey_id = rb->signed_prekey_id;
        memcpy(b.signed_prekey, rb->signed_prekey.data, VN_E2EE_KEY_LEN);
        memcpy(b.signed_prekey_sig, rb->signed_prekey_sig.data, VN_E2EE_SIG_LEN);
        if (rb->prekey && rb->prekey->key.len == VN_E2EE_KEY_LEN) {
            b.has_prekey = true;
            b.prekey_id = rb->prekey->id;
            memcpy(b.prekey, rb->prekey->key.data, VN_E2EE_KEY_LEN);
        }
        rc = vn_e2ee_start_session(e, to, &b) != VN_OK;
    }
    vn_frame_reply_free(rep);
    return rc;
}

/* The signing key: the one given (hex), or a new one of our own. */
static int signing_key(const char *hex, uint8_t sec[VN_SEALED_SIGN_SEC_LEN])
{
    uint8_t pub[VN_SEALED_SIGN_PUB_LEN];
    if (!hex) return vn_sealed_signing_keypair(pub, sec) != VN_OK;
    return strlen(hex) != 2 * VN_SEALED_SIGN_SEC_LEN ||
           vn_hex_decode(hex, sec, VN_SEALED_SIGN_SEC_LEN) != VN_OK;
}

/* TEXT as a Signal message from this device to `to`, sealed under a
 * certificate for `claimed` with our identity key, and sent. */
static int send_forged(vn_conn *conn, vn_e2ee *e, const char *to, const char *claimed,
                       const char *text, const char *key_hex)
{
    uint8_t sec[VN_SEALED_SIGN_SEC_LEN], sig[VN_SEALED_SIG_LEN], id[VN_MSGID_LEN], pt[1024];
    uint8_t to_key[VN_E2EE_KEY_LEN], *ct = NULL, *cert = NULL, *box = NULL, *body = NULL;
    size_t ctlen = 0, certlen = 0, boxlen = 0, bodylen = 0;
    bool prekey = false;
    vn_bundle own;
    Vn__Reply *rep = NULL;
    vn_sender_cert c = {.expires_ms = vn_wallclock_ms() + 86400000};
    Vn__Content content = VN__CONTENT__INIT;
    content.text = (char *)text;
    content.sent_ms = vn_wallclock_ms();
    if (vn__content__get_packed_size(&content) > sizeof pt) return 1;
    size_t ptlen = vn__content__pack(&content, pt);
    snprintf(c.account, sizeof c.account, "%s", claimed);
    randombytes_buf(id, sizeof id);
    int rc = signing_key(key_hex, sec) || vn_e2ee_public_bundle(e, &own) ||
             start_session(conn, e, to) || vn_e2ee_peer_identity(e, to, to_key) ||
             vn_e2ee_encrypt(e, to, pt, ptlen, &ct, &ctlen, &prekey);
    if (!rc) memcpy(c.identity_key, own.identity_key, VN_E2EE_KEY_LEN);
    rc = rc || vn_sealed_cert_issue(sec, &c, &cert, &certlen, sig) ||
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
    if (!rc) rc = call(conn, &req, VN__REPLY__BODY_SENT, &rep);
    vn_frame_reply_free(rep);
    free(ct);
    free(cert);
    free(box);
    free(body);
    return rc;
}

/* Joins with the invite and sends the forged message (argv as in main). */
static int forge(vn_conn *conn, vn_e2ee *e, const vn_invite *inv, char **argv, int argc)
{
    Vn__Reply *rep = NULL;
    Vn__Redeem rd = VN__REDEEM__INIT;
    rd.secret = (ProtobufCBinaryData){sizeof inv->secret, (uint8_t *)inv->secret};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &rd;
    int rc = call(conn, &req, VN__REPLY__BODY_REDEEMED, &rep);
    if (!rc) {
        printf("%s\n", rep->redeemed->account);
        rc = vn_e2ee_set_account(e, rep->redeemed->account) != VN_OK;
    }
    vn_frame_reply_free(rep);
    if (!rc) rc = publish(conn, e);
    if (!rc) rc = send_forged(conn, e, argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
    return rc;
}

int main(int argc, char **argv)
{
    static const char *const dbs[] = {VN_E2EE_DBS};
    char dir[] = "/tmp/vn_forge_XXXXXX", cmd[64];
    vn_invite inv;
    uint8_t pub[32], sec[32];
    vn_conn *conn = NULL;
    vn_kv *kv = NULL;
    vn_e2ee *e = NULL;
    if ((argc != 5 && argc != 6) || vn_invite_decode(argv[1], &inv) || !vn_account_valid(argv[2]) ||
        !vn_account_valid(argv[3])) {
        fprintf(stderr, "usage: vn_forge INVITE_CODE RECIPIENT CLAIMED TEXT [SIGNING_KEY_HEX]\n");
        return 2;
    }
    if (sodium_init() < 0 || !mkdtemp(dir) || vn_kv_open(&kv, dir, dbs, VN_E2EE_NDBS, 0) ||
        vn_e2ee_open(&e, kv, 0) || vn_e2ee_create_identity(e) || vn_conn_curve_keypair(pub, sec) ||
        vn_conn_open(&conn, inv.endpoint, inv.server_key, pub, sec)) {
        fprintf(stderr, "vn_forge: cannot set up\n");
        return 2;
    }
    vn_conn_set_timeout(conn, 10000, 1000);
    int rc = forge(conn, e, &inv, argv, argc);
    vn_conn_close(&conn);
    vn_e2ee_close(&e);
    vn_kv_close(&kv);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) rc = 1;
    return rc;
}
