/* Writes the seed corpus of the fuzz targets: one small, valid example of
 * each message kind (and a few near misses), so the fuzzers start from
 * inputs that reach deep into the decoders.
 *
 *   fuzz_gen_seeds DIR     writes DIR/{request,reply,pad,invite}/NAME
 *
 * The output is committed under tests/fuzz/corpus; rerun this after the
 * protocol changes. Everything is deterministic (fixed bytes, no clock). */
#include "fuzz_sealed_keys.h"
#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/pad.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *out_dir;
static int failures;

static void put(const char *target, const char *name, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", out_dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) failures++;
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len) failures++;
    if (f && fclose(f) != 0) failures++;
}

static void put_request(const char *name, Vn__Request *req)
{
    uint8_t *buf;
    size_t len;
    if (!req->version) req->version = VN_PROTOCOL_VERSION;
    req->request_id = 42;
    if (vn_frame_request_encode(req, VN_FRAME_MAX_DEFAULT, &buf, &len) != VN_OK) {
        failures++;
        return;
    }
    put("request", name, buf, len);
    free(buf);
}

static void put_reply(const char *name, Vn__Reply *rep)
{
    uint8_t *buf;
    size_t len;
    rep->version = VN_PROTOCOL_VERSION;
    if (vn_frame_reply_encode(rep, VN_FRAME_MAX_DEFAULT * 2, &buf, &len) != VN_OK) {
        failures++;
        return;
    }
    put("reply", name, buf, len);
    free(buf);
}

static uint8_t bytes[8192]; /* a fixed pattern to take keys, ids and payloads from */
static char account[] = "0123456789abcdef0123456789abcdef";

static ProtobufCBinaryData bin(size_t off, size_t len)
{
    ProtobufCBinaryData b = {len, bytes + off};
    return b;
}

static void requests(const uint8_t *body, size_t body_len)
{
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Redeem rd = VN__REDEEM__INIT;
    rd.secret = bin(0, 32);
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &rd;
    put_request("redeem", &req);

    Vn__Send s = VN__SEND__INIT;
    s.to = account;
    s.id = bin(32, 16);
    s.body.data = (uint8_t *)body;
    s.body.len = body_len;
    req.body_case = VN__REQUEST__BODY_SEND;
    req.send = &s;
    put_request("send", &req);

    Vn__SenderCertGet scg = VN__SENDER_CERT_GET__INIT;
    req.body_case = VN__REQUEST__BODY_SENDER_CERT;
    req.sender_cert = &scg;
    put_request("sender_cert", &req);

    ProtobufCBinaryData ids[2] = {bin(32, 16), bin(48, 16)};
    Vn__Ack a = VN__ACK__INIT;
    a.n_ids = 2;
    a.ids = ids;
    req.body_case = VN__REQUEST__BODY_ACK;
    req.ack = &a;
    put_request("ack", &req);

    Vn__Fetch f = VN__FETCH__INIT;
    f.max = 10;
    req.body_case = VN__REQUEST__BODY_FETCH;
    req.fetch = &f;
    put_request("fetch", &req);

    Vn__Subscribe sb = VN__SUBSCRIBE__INIT;
    req.body_case = VN__REQUEST__BODY_SUBSCRIBE;
    req.subscribe = &sb;
    put_request("subscribe", &req);

    Vn__AuditRead ar = VN__AUDIT_READ__INIT;
    req.body_case = VN__REQUEST__BODY_AUDIT_READ;
    req.audit_read = &ar;
    put_request("audit_read", &req);

    Vn__Whoami w = VN__WHOAMI__INIT;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    put_request("whoami", &req);

    Vn__FetchBundle fb = VN__FETCH_BUNDLE__INIT;
    fb.account = account;
    req.body_case = VN__REQUEST__BODY_FETCH_BUNDLE;
    req.fetch_bundle = &fb;
    put_request("fetch_bundle", &req);

    Vn__PreKey pk1 = VN__PRE_KEY__INIT, pk2 = VN__PRE_KEY__INIT;
    Vn__PreKey *pks[2] = {&pk1, &pk2};
    pk1.id = 1;
    pk1.key = bin(100, 33);
    pk2.id = 2;
    pk2.key = bin(200, 33);
    Vn__PublishKeys pub = VN__PUBLISH_KEYS__INIT;
    pub.registration_id = 1234;
    pub.identity_key = bin(300, 33);
    pub.signed_prekey_id = 7;
    pub.signed_prekey = bin(400, 33);
    pub.signed_prekey_sig = bin(500, 64);
    pub.n_prekeys = 2;
    pub.prekeys = pks;
    req.body_case = VN__REQUEST__BODY_PUBLISH_KEYS;
    req.publish_keys = &pub;
    put_request("publish_keys", &req);

    req.version = 2; /* a future version: VN_EVERSION */
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    put_request("version2", &req);

    req.version = VN_PROTOCOL_VERSION; /* no body: VN_EPROTO */
    req.body_case = VN__REQUEST__BODY__NOT_SET;
    put_request("nobody", &req);
}

static void replies(const uint8_t *body, size_t body_len)
{
    Vn__Reply rep = VN__REPLY__INIT;
    rep.request_id = 42;

    Vn__Error e = VN__ERROR__INIT;
    e.code = VN_ERATE;
    e.message = "rate limit exceeded; retry later";
    e.retry_after_ms = 1500;
    rep.body_case = VN__REPLY__BODY_ERROR;
    rep.error = &e;
    put_reply("error", &rep);

    Vn__Redeemed rd = VN__REDEEMED__INIT;
    rd.account = account;
    rd.role = "participant";
    rep.body_case = VN__REPLY__BODY_REDEEMED;
    rep.redeemed = &rd;
    put_reply("redeemed", &rep);

    Vn__Sent sent = VN__SENT__INIT;
    sent.id = bin(32, 16);
    sent.time_ms = 1700000000000ULL;
    rep.body_case = VN__REPLY__BODY_SENT;
    rep.sent = &sent;
    put_reply("sent", &rep);

    Vn__Envelope e1 = VN__ENVELOPE__INIT, e2 = VN__ENVELOPE__INIT;
    Vn__Envelope *envs[2] = {&e1, &e2};
    e1.id = bin(32, 16);
    e1.time_ms = 1700000040000ULL;
    e1.body.data = (uint8_t *)body;
    e1.body.len = body_len;
    e2 = e1;
    e2.id = bin(48, 16);
    Vn__Envelopes ev = VN__ENVELOPES__INIT;
    ev.n_envelopes = 2;
    ev.envelopes = envs;
    ev.more = 1;
    rep.body_case = VN__REPLY__BODY_ENVELOPES;
    rep.envelopes = &ev;
    put_reply("envelopes", &rep);
    rep.request_id = 0; /* the same as a push */
    ev.n_envelopes = 1;
    ev.more = 0;
    put_reply("push", &rep);
    rep.request_id = 42;

    Vn__SenderCert sc = VN__SENDER_CERT__INIT;
    sc.cert = bin(64, 80);
    sc.signature = bin(144, 64);
    sc.server_key = bin(208, 32);
    rep.body_case = VN__REPLY__BODY_SENDER_CERT;
    rep.sender_cert = &sc;
    put_reply("sender_cert", &rep);

    Vn__Acked ak = VN__ACKED__INIT;
    ak.count = 2;
    rep.body_case = VN__REPLY__BODY_ACKED;
    rep.acked = &ak;
    put_reply("acked", &rep);

    Vn__Subscribed sb = VN__SUBSCRIBED__INIT;
    sb.waiting = 3;
    rep.body_case = VN__REPLY__BODY_SUBSCRIBED;
    rep.subscribed = &sb;
    put_reply("subscribed", &rep);

    Vn__Identity id = VN__IDENTITY__INIT;
    id.account = account;
    id.role = "buddy";
    id.server_time_ms = 1700000000000ULL;
    rep.body_case = VN__REPLY__BODY_IDENTITY;
    rep.identity = &id;
    put_reply("identity", &rep);

    Vn__KeysPublished kp = VN__KEYS_PUBLISHED__INIT;
    kp.prekeys_left = 99;
    rep.body_case = VN__REPLY__BODY_KEYS_PUBLISHED;
    rep.keys_published = &kp;
    put_reply("keys_published", &rep);

    Vn__PreKey pk = VN__PRE_KEY__INIT;
    pk.id = 5;
    pk.key = bin(100, 33);
    Vn__Bundle bu = VN__BUNDLE__INIT;
    bu.account = account;
    bu.registration_id = 1234;
    bu.identity_key = bin(300, 33);
    bu.signed_prekey_id = 7;
    bu.signed_prekey = bin(400, 33);
    bu.signed_prekey_sig = bin(500, 64);
    bu.prekey = &pk;
    rep.body_case = VN__REPLY__BODY_BUNDLE;
    rep.bundle = &bu;
    put_reply("bundle", &rep);

    /* The audit log: boxes sealed to the participant, as long as a sealed
     * AuditRecord (79 bytes), and one disclosure. */
    Vn__AuditEntry ae[2] = {VN__AUDIT_ENTRY__INIT, VN__AUDIT_ENTRY__INIT},
                   *aes[2] = {&ae[0], &ae[1]};
    uint64_t disclosed = 1800000000000ULL;
    ae[0].box = bin(600, 79);
    ae[1].box = bin(700, 79);
    Vn__AuditLog al = VN__AUDIT_LOG__INIT;
    al.n_entries = 2;
    al.entries = aes;
    al.n_disclosures_ms = 1;
    al.disclosures_ms = &disclosed;
    rep.body_case = VN__REPLY__BODY_AUDIT_LOG;
    rep.audit_log = &al;
    put_reply("audit_log", &rep);
}

/* Packed SealedContent, as a recipient finds it inside the box: valid ones
 * under a certificate the fuzz target's server key signed, and near
 * misses (expired, signed by another key, a team message without a case). */
static void put_sealed(const char *name, const uint8_t sec[64], uint64_t expires, uint32_t kind,
                       const char *case_id)
{
    uint8_t cert[256], sig[64], out[1024];
    vn_fuzz_sealed_keys k;
    if (vn_fuzz_sealed_keys_make(&k) != 0) {
        failures++;
        return;
    }
    Vn__CertBody cb = VN__CERT_BODY__INIT;
    cb.account = account;
    cb.identity_key = (ProtobufCBinaryData){33, k.id_pub};
    cb.expires_ms = expires;
    size_t clen = vn__cert_body__pack(&cb, cert);
    crypto_sign_detached(sig, NULL, cert, clen, sec ? sec : k.sign_sec);
    Vn__SealedContent sc = VN__SEALED_CONTENT__INIT;
    sc.cert = (ProtobufCBinaryData){clen, cert};
    sc.cert_sig = (ProtobufCBinaryData){sizeof sig, sig};
    sc.kind = kind;
    sc.case_id = (char *)case_id;
    sc.ciphertext = bin(0, 120);
    if (vn__sealed_content__get_packed_size(&sc) > sizeof out) {
        failures++;
        return;
    }
    put("sealed", name, out, vn__sealed_content__pack(&sc, out));
}

static void sealed(void)
{
    uint8_t other[64];
    memcpy(other, bytes, sizeof other);
    put_sealed("whisper", NULL, VN_FUZZ_SEALED_NOW + 1, 2, "");
    put_sealed("prekey", NULL, VN_FUZZ_SEALED_NOW + 1, 1, "");
    put_sealed("team", NULL, VN_FUZZ_SEALED_NOW + 1, 3, account);
    put_sealed("expired", NULL, VN_FUZZ_SEALED_NOW - 1, 2, "");
    put_sealed("forged", other, VN_FUZZ_SEALED_NOW + 1, 2, "");
    put_sealed("team_no_case", NULL, VN_FUZZ_SEALED_NOW + 1, 3, "");
}

static void pads(void)
{
    static const size_t sizes[] = {0, 1, 100, 252, 253, 300, 1000, 2000, 5000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint8_t *body;
        size_t len;
        char name[32];
        if (vn_pad_encode(bytes, sizes[i], &body, &len) != VN_OK) {
            failures++;
            continue;
        }
        snprintf(name, sizeof name, "payload%zu", sizes[i]);
        put("pad", name, body, len);
        if (i == 2) { /* near misses: padding not zero, length past the end */
            body[len - 1] = 1;
            put("pad", "bad_padding", body, len);
            body[len - 1] = 0;
            body[2] = 0xff;
            put("pad", "bad_length", body, len);
        }
        free(body);
    }
}

static void invites(void)
{
    vn_invite inv;
    char code[VN_INVITE_TEXT_MAX];
    memset(&inv, 0, sizeof inv);
    memcpy(inv.endpoint, "tcp://127.0.0.1:7700", sizeof "tcp://127.0.0.1:7700");
    memcpy(inv.server_key, bytes + 600, 32);
    memcpy(inv.secret, bytes + 700, 32);
    if (vn_invite_encode(&inv, code, sizeof code) != VN_OK) failures++;
    put("invite", "local", code, strlen(code));
    memset(inv.endpoint, 0, sizeof inv.endpoint);
    memset(inv.endpoint, 'x', VN_ENDPOINT_MAX);
    memcpy(inv.endpoint, "tcp://", 6);
    if (vn_invite_encode(&inv, code, sizeof code) != VN_OK) failures++;
    put("invite", "longest", code, strlen(code));
    put("invite", "prefix_only", "vn1-", 4);
    put("invite", "bad_char", "vn1-AAAA!AAA", 12);
    /* vn2: a cluster of three, and the longest code (four of 200). */
    memset(inv.endpoint, 0, sizeof inv.endpoint);
    inv.endpoints.n = 3;
    for (size_t k = 0; k < 3; k++)
        snprintf(inv.endpoints.ep[k], sizeof inv.endpoints.ep[k], "tcp://10.0.0.%zu:7700", k + 1);
    if (vn_invite_encode(&inv, code, sizeof code) != VN_OK) failures++;
    put("invite", "cluster3", code, strlen(code));
    inv.endpoints.n = VN_INVITE_ENDPOINTS_MAX;
    for (size_t k = 0; k < VN_INVITE_ENDPOINTS_MAX; k++) {
        memset(inv.endpoints.ep[k], (int)('a' + k), VN_ENDPOINT_MAX);
        memcpy(inv.endpoints.ep[k], "tcp://", 6);
        inv.endpoints.ep[k][VN_ENDPOINT_MAX] = '\0';
    }
    if (vn_invite_encode(&inv, code, sizeof code) != VN_OK) failures++;
    put("invite", "longest4", code, strlen(code));
    put("invite", "v2_prefix_only", "vn2-", 4);
}

static void put_content(const char *name, const Vn__Content *c)
{
    uint8_t out[4096];
    if (vn__content__get_packed_size(c) > sizeof out) {
        failures++;
        return;
    }
    put("content", name, out, vn__content__pack(c, out));
}

/* Contents as a peer's device may send them, with the text that a
 * terminal must never take for its own: escapes, line breaks, C1 controls,
 * bidirectional overrides, bytes that are not UTF-8. */
static void contents(void)
{
    static char nasty[] = "hoi\n[2027-01-01T00:00:00Z] server: fake\x1b[2J\r\xc2\x85\xe2\x80\xae"
                          "\xe2\x81\xa6\xe2\x80\xa8 end\xff\xfe";
    Vn__Content c = VN__CONTENT__INIT;
    c.text = nasty;
    c.sent_ms = 1796000000000;
    put_content("text", &c);
    Vn__Introduction iv = VN__INTRODUCTION__INIT;
    iv.name = nasty;
    iv.case_id = account;
    iv.role = "buddy";
    Vn__Content ci = VN__CONTENT__INIT;
    ci.introduction = &iv;
    put_content("introduction", &ci);
    Vn__TestInstructions ti = VN__TEST_INSTRUCTIONS__INIT;
    ti.case_id = account;
    ti.site = nasty;
    ti.hours = "8:00-10:00";
    ti.cutoff = "09:30";
    Vn__Content ct = VN__CONTENT__INIT;
    ct.instructions = &ti;
    put_content("instructions", &ct);
    char *turns[] = {account, nasty};
    Vn__GroupEvent ge = VN__GROUP_EVENT__INIT;
    ge.group = account;
    ge.kind = 3;
    ge.session = bin(0, 16);
    ge.method = "balint";
    ge.presenter = account;
    ge.n_turns = 2;
    ge.turns = turns;
    ge.next_note = nasty;
    Vn__Content cg = VN__CONTENT__INIT;
    cg.group_event = &ge;
    put_content("group_event", &cg);
    ProtobufCBinaryData ids[] = {bin(16, 16), bin(32, 16)};
    Vn__Receipt rc = VN__RECEIPT__INIT;
    rc.state = 4;
    rc.n_ids = 2;
    rc.ids = ids;
    Vn__Content cr = VN__CONTENT__INIT;
    cr.receipt = &rc;
    put_content("receipt", &cr);
    char *codes[] = {"P08", nasty};
    Vn__SignalReport sr = VN__SIGNAL_REPORT__INIT;
    sr.alert = account;
    sr.case_id = account;
    sr.kind = "sos";
    sr.n_codes = 2;
    sr.codes = codes;
    sr.note = nasty;
    Vn__Content cs = VN__CONTENT__INIT;
    cs.signal = &sr;
    put_content("signal", &cs);
}

int main(int argc, char **argv)
{
    uint8_t *body;
    size_t body_len;
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    out_dir = argv[1];
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "fuzz_gen_seeds: cannot create %s\n", out_dir);
        return 1;
    }
    for (size_t i = 0; i < sizeof bytes; i++)
        bytes[i] = (uint8_t)(i * 131 + 7);
    if (vn_pad_encode(bytes, 100, &body, &body_len) != VN_OK) return 1;
    requests(body, body_len);
    replies(body, body_len);
    free(body);
    pads();
    sealed();
    invites();
    contents();
    if (failures) fprintf(stderr, "fuzz_gen_seeds: %d files not written\n", failures);
    return failures ? 1 : 0;
}
