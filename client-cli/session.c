/* A command's conversation with the server: the connection with the
 * pinned server key, one request and its reply, key upkeep, and a first
 * session with a peer. */
#include "client.h"

#include "vn/frame.h"
#include "vn/sealed.h"
#include "vn/wallclock.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define PREKEY_LOW     10  /* refill when the server holds fewer */
#define PREKEY_BATCH   100 /* how many a device keeps on the server */
#define SPK_MAX_AGE_MS (7ULL * 86400000)

vn_err vn_client_endpoints(vn_client *c, vn_endpoints *eps)
{
    char list[VN_ENDPOINTS_TEXT_MAX] = {0};
    size_t n = 0;
    memset(eps, 0, sizeof *eps);
    vn_err err = vn_client_cfg_get(c, "endpoint", list, sizeof list - 1, &n);
    if (err) return err;
    list[n] = '\0';
    return vn_invite_endpoints_parse(list, eps, NULL, 0) ? VN_ESTORE : VN_OK;
}

vn_err vn_client_set_endpoints(vn_client *c, const vn_endpoints *eps)
{
    char list[VN_ENDPOINTS_TEXT_MAX];
    vn_err err = vn_invite_endpoints_join(eps, list, sizeof list);
    /* endpoint_last stays: it counts only while it is in the list. */
    if (!err) err = vn_client_cfg_put(c, "endpoint", list, strlen(list));
    return err;
}

/* The endpoint to start at: the one that last answered, if still listed. */
static size_t first_endpoint(vn_client *c, const vn_endpoints *eps)
{
    char last[VN_ENDPOINT_MAX + 1] = {0};
    size_t n = 0;
    if (vn_client_cfg_get(c, "endpoint_last", last, VN_ENDPOINT_MAX, &n)) return 0;
    last[n] = '\0';
    int at = vn_invite_endpoints_find(eps, last);
    return at < 0 ? 0 : (size_t)at;
}

void vn_client_remember_endpoint(vn_client *c)
{
    vn_endpoints eps;
    const char *ep = c->conn && c->kv ? vn_conn_endpoint(c->conn) : NULL;
    if (!ep || vn_client_endpoints(c, &eps)) return;
    int at = vn_invite_endpoints_find(&eps, ep);
    /* A hint for the next run: failing to store it costs only time. */
    if (at >= 0 && (size_t)at != first_endpoint(c, &eps))
        (void)vn_client_cfg_put(c, "endpoint_last", ep, strlen(ep));
}

vn_err vn_client_connect(vn_client *c)
{
    vn_endpoints eps;
    uint8_t server_key[32], pub[32], sec[32];
    size_t n;
    if (c->conn) return VN_OK;
    vn_err err = vn_client_endpoints(c, &eps);
    if (err) return err;
    if ((err = vn_client_cfg_get(c, "server_key", server_key, 32, &n)) ||
        (err = vn_client_cfg_get(c, "curve_pub", pub, 32, &n)) ||
        (err = vn_client_cfg_get(c, "curve_sec", sec, 32, &n)))
        goto out;
    err = vn_conn_open_list(&c->conn, &eps, first_endpoint(c, &eps), server_key, pub, sec);
    if (!err) vn_conn_set_timeout(c->conn, c->timeout_ms, 1000);
out:
    explicit_bzero(sec, sizeof sec);
    return err;
}

int vn_client_call(vn_client *c, Vn__Request *req, Vn__Reply__BodyCase want, const char *what,
                   Vn__Reply **rep)
{
    *rep = NULL;
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    vn_err err = vn_client_connect(c);
    if (err) return vn_client_fail(c, err, "%s: cannot connect: %s", what, vn_err_str(err));
    if ((err = vn_conn_call(c->conn, req, rep))) return vn_client_fail_call(c, err, what);
    if ((*rep)->body_case != want) {
        vn_frame_reply_free(*rep);
        *rep = NULL;
        return vn_client_fail(c, VN_EPROTO, "%s: unexpected reply from the server", what);
    }
    return EXIT_OK;
}

vn_err vn_client_start_session(vn_client *c, const char *peer)
{
    Vn__Reply *rep = NULL;
    vn_bundle b;
    vn_err err = vn_client_connect(c);
    if (err) return err;
    Vn__FetchBundle fb = VN__FETCH_BUNDLE__INIT;
    fb.account = (char *)peer;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_FETCH_BUNDLE;
    req.fetch_bundle = &fb;
    if ((err = vn_conn_call(c->conn, &req, &rep))) return err;
    const Vn__Bundle *rb = rep->bundle;
    if (rep->body_case != VN__REPLY__BODY_BUNDLE || rb->identity_key.len != VN_E2EE_KEY_LEN ||
        rb->signed_prekey.len != VN_E2EE_KEY_LEN || rb->signed_prekey_sig.len != VN_E2EE_SIG_LEN ||
        (rb->prekey && rb->prekey->key.len != VN_E2EE_KEY_LEN)) {
        err = VN_EPROTO;
        goto out;
    }
    memset(&b, 0, sizeof b);
    b.registration_id = rb->registration_id;
    memcpy(b.identity_key, rb->identity_key.data, VN_E2EE_KEY_LEN);
    b.signed_prekey_id = rb->signed_prekey_id;
    memcpy(b.signed_prekey, rb->signed_prekey.data, VN_E2EE_KEY_LEN);
    memcpy(b.signed_prekey_sig, rb->signed_prekey_sig.data, VN_E2EE_SIG_LEN);
    if (rb->prekey) {
        b.has_prekey = true;
        b.prekey_id = rb->prekey->id;
        memcpy(b.prekey, rb->prekey->key.data, VN_E2EE_KEY_LEN);
    }
    err = vn_e2ee_start_session(c->e2ee, peer, &b);
out:
    vn_frame_reply_free(rep);
    return err;
}

vn_err vn_client_publish_keys(vn_client *c, uint32_t count, uint32_t *left, uint64_t *server_ms)
{
    vn_bundle b;
    vn_prekey_pub *pks = NULL;
    Vn__PreKey *pk = NULL, **pkp = NULL;
    Vn__Reply *rep = NULL;
    vn_err err = vn_e2ee_public_bundle(c->e2ee, &b);
    if (err) return err;
    if (count > 0) {
        /* The new prekeys are durable locally before the server learns of
         * them, so a crash never leaves the server handing out keys we lost. */
        if ((err = vn_e2ee_generate_prekeys(c->e2ee, count, &pks))) return err;
        pk = calloc(count, sizeof *pk);
        pkp = calloc(count, sizeof *pkp);
        if (!pk || !pkp) {
            err = VN_ENOMEM;
            goto out;
        }
        for (uint32_t i = 0; i < count; i++) {
            vn__pre_key__init(&pk[i]);
            pk[i].id = pks[i].id;
            pk[i].key.data = pks[i].key;
            pk[i].key.len = VN_E2EE_KEY_LEN;
            pkp[i] = &pk[i];
        }
    }
    Vn__PublishKeys pub = VN__PUBLISH_KEYS__INIT;
    pub.registration_id = b.registration_id;
    pub.identity_key = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.identity_key};
    pub.signed_prekey_id = b.signed_prekey_id;
    pub.signed_prekey = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.signed_prekey};
    pub.signed_prekey_sig = (ProtobufCBinaryData){VN_E2EE_SIG_LEN, b.signed_prekey_sig};
    pub.n_prekeys = count;
    pub.prekeys = pkp;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_PUBLISH_KEYS;
    req.publish_keys = &pub;
    if ((err = vn_client_connect(c))) goto out;
    err = vn_conn_call(c->conn, &req, &rep);
    if (!err && rep->body_case != VN__REPLY__BODY_KEYS_PUBLISHED) err = VN_EPROTO;
    if (!err && left) *left = rep->keys_published->prekeys_left;
    if (!err && server_ms) *server_ms = rep->keys_published->server_time_ms;
out:
    vn_frame_reply_free(rep);
    free(pkp);
    free(pk);
    free(pks);
    return err;
}

vn_err vn_client_maintain_keys(vn_client *c)
{
    bool rotated = false;
    uint32_t left = 0;
    uint64_t now = 0;
    /* Publishing with no new prekeys tells us how many remain, and the
     * server's time, by which key ages are kept. */
    vn_err err = vn_client_publish_keys(c, 0, &left, &now);
    if (err) return err;
    if ((err = vn_e2ee_rotate_signed_prekey(c->e2ee, now, SPK_MAX_AGE_MS, &rotated))) return err;
    if (left < PREKEY_LOW || rotated)
        err = vn_client_publish_keys(c, left < PREKEY_LOW ? PREKEY_BATCH - left : 0, &left, NULL);
    return err;
}

int vn_client_own_case(vn_client *c, char case_id[VN_ACCOUNT_HEX + 1], char cm[VN_ACCOUNT_HEX + 1])
{
    Vn__Reply *rep = NULL;
    Vn__Whoami w = VN__WHOAMI__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_IDENTITY, "cannot find your case", &rep);
    if (rc) return rc;
    if (!vn_account_valid(rep->identity->case_id)) {
        rc = vn_client_fail(c, VN_ENOTFOUND, "you are not in a case");
    } else {
        snprintf(case_id, VN_ACCOUNT_HEX + 1, "%s", rep->identity->case_id);
        if (cm) snprintf(cm, VN_ACCOUNT_HEX + 1, "%s", rep->identity->casemanager);
    }
    vn_frame_reply_free(rep);
    return rc;
}

int vn_client_roster(vn_client *c, const char *case_id, Vn__Reply **rep)
{
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    cs.case_id = (char *)case_id;
    cs.team_only = true;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_SHOW;
    req.case_show = &cs;
    return vn_client_call(c, &req, VN__REPLY__BODY_CASE_INFO, "cannot read the case", rep);
}

/* ---- sealed sender: the server's signing key and our certificate ---- */

/* Offline, a cached certificate is used only while more than this is left
 * of it, so a message queued now still goes out under a valid one. */
#define CERT_RENEW_MS (2ULL * 86400000)

/* Asks the server for a certificate; pins its signing key the first time
 * and refuses one signed by another key later (the CURVE channel already
 * authenticates the server: a changed key means a changed server). The
 * certificate must name this account and identity, and is cached. Its
 * expiry is the server's business (it is judged by the server's clock). */
static vn_err fetch_cert(vn_client *c)
{
    Vn__Reply *rep = NULL;
    Vn__SenderCertGet g = VN__SENDER_CERT_GET__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    uint8_t pinned[VN_SEALED_SIGN_PUB_LEN];
    vn_sender_cert sc;
    vn_bundle own;
    size_t n = 0;
    req.body_case = VN__REQUEST__BODY_SENDER_CERT;
    req.sender_cert = &g;
    vn_err err = vn_client_connect(c);
    if (err || (err = vn_conn_call(c->conn, &req, &rep))) return err;
    const Vn__SenderCert *r = rep->sender_cert;
    if (rep->body_case != VN__REPLY__BODY_SENDER_CERT ||
        r->server_key.len != VN_SEALED_SIGN_PUB_LEN || r->signature.len != VN_SEALED_SIG_LEN) {
        err = VN_EPROTO;
        goto out;
    }
    err = vn_client_cfg_get(c, "cert_server_key", pinned, sizeof pinned, &n);
    if (err == VN_ENOTFOUND) {
        memcpy(pinned, r->server_key.data, sizeof pinned);
        err = vn_client_cfg_put(c, "cert_server_key", pinned, sizeof pinned);
    } else if (!err && (n != sizeof pinned || memcmp(pinned, r->server_key.data, n) != 0)) {
        err = VN_EFORGED;
    }
    if (!err)
        err = vn_sealed_cert_verify(pinned, r->cert.data, r->cert.len, r->signature.data,
                                    r->signature.len, 0, &sc);
    if (!err && (err = vn_e2ee_public_bundle(c->e2ee, &own))) goto out;
    if (!err && (strcmp(sc.account, c->account) != 0 ||
                 memcmp(sc.identity_key, own.identity_key, VN_E2EE_KEY_LEN) != 0))
        err = VN_EFORGED;
    if (!err) err = vn_client_cfg_put(c, "sender_cert", r->cert.data, r->cert.len);
    if (!err) err = vn_client_cfg_put(c, "sender_cert_sig", r->signature.data, VN_SEALED_SIG_LEN);
out:
    vn_frame_reply_free(rep);
    return err;
}

/* Loads the cached certificate; VN_EEXPIRED if it is not valid at at_ms. */
static vn_err cached_cert(vn_client *c, uint64_t at_ms, uint8_t *cert, size_t *len, uint8_t *sig)
{
    uint8_t pinned[VN_SEALED_SIGN_PUB_LEN];
    vn_sender_cert sc;
    size_t n = 0;
    vn_err err = vn_client_cfg_get(c, "sender_cert", cert, VN_SEALED_CERT_MAX, len);
    if (!err) err = vn_client_cfg_get(c, "sender_cert_sig", sig, VN_SEALED_SIG_LEN, &n);
    if (!err) err = vn_client_cfg_get(c, "cert_server_key", pinned, sizeof pinned, &n);
    if (!err) err = vn_sealed_cert_verify(pinned, cert, *len, sig, VN_SEALED_SIG_LEN, at_ms, &sc);
    return err;
}

vn_err vn_client_sender_cert(vn_client *c, uint8_t *cert, size_t *len, uint8_t *sig)
{
    /* Once per run the server issues a fresh certificate: its expiry is
     * judged by the server's clock (the envelope's time), which this
     * device cannot read, so a certificate from this run is one the
     * server's clock agrees with. */
    if (!c->cert_fresh) {
        vn_err err = fetch_cert(c);
        if (!err) c->cert_fresh = true;
        /* Offline, the message may still be queued under the cached
         * certificate while it has some life left by our own clock. */
        if (err && err != VN_ETIMEOUT && err != VN_ETRANSPORT) return err;
        if (err) return cached_cert(c, vn_wallclock_ms() + CERT_RENEW_MS, cert, len, sig);
    }
    return cached_cert(c, 0, cert, len, sig);
}

vn_err vn_client_server_sign_key(vn_client *c, uint8_t *key)
{
    size_t n = 0;
    vn_err err = vn_client_cfg_get(c, "cert_server_key", key, VN_SEALED_SIGN_PUB_LEN, &n);
    if (err == VN_ENOTFOUND) {
        /* Never sent anything yet: the first certificate pins the key. */
        if ((err = fetch_cert(c))) return err;
        err = vn_client_cfg_get(c, "cert_server_key", key, VN_SEALED_SIGN_PUB_LEN, &n);
    }
    if (!err && n != VN_SEALED_SIGN_PUB_LEN) err = VN_ESTORE;
    return err;
}
