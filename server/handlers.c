/* Request handlers. Each one checks its input completely before it writes,
 * writes only into the loop turn's open transaction, and returns either a
 * reply body or an error code with a message naming what was wrong.
 *
 * Replies are built from malloc'd parts so one vn__reply__free_unpacked()
 * frees them, whatever the handler put in. */
#include "server.h"

#include "quota.h"
#include "ratelimit.h"
#include "vn/cases.h"
#include "vn/groups.h"
#include "vn/frame.h"
#include "vn/pad.h"
#include "vn/sealed.h"
#include "vn/hex.h"
#include "vn/account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most one-time prekeys held per account. */
#define PREKEYS_MAX 1000
/* Byte budget of one Envelopes reply, below the frame limit. */
#define FETCH_BYTES_MAX (VN_FRAME_MAX_DEFAULT - 4096)

char *vn_dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static vn_err dup_bin(ProtobufCBinaryData *dst, const void *src, size_t len)
{
    dst->data = malloc(len ? len : 1);
    if (!dst->data) return VN_ENOMEM;
    memcpy(dst->data, src, len);
    dst->len = len;
    return VN_OK;
}

vn_err vn_reply_recorded(vn_outcome *out, const char *kind, const char *date)
{
    Vn__Recorded *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__recorded__init(body);
    out->reply->body_case = VN__REPLY__BODY_RECORDED;
    out->reply->recorded = body;
    body->kind = vn_dup_str(kind);
    body->date = vn_dup_str(date);
    return body->kind && body->date ? VN_OK : VN_ENOMEM;
}

void vn_outcome_clear(vn_outcome *out)
{
    if (out->reply) vn__reply__free_unpacked(out->reply, NULL);
    free(out->push_to);
    free(out->push_frame);
    memset(out, 0, sizeof *out);
}

vn_err vn_parse_id(vn_req *r, const char *hex, const char *field, uint8_t out[VN_ACCOUNT_LEN])
{
    if (!hex || !vn_account_valid(hex) || vn_hex_decode(hex, out, VN_ACCOUNT_LEN))
        return vn_fail(r, VN_EINVAL, "%s is not an id (32 hex characters)", field);
    return VN_OK;
}

/* The policy check shared by sends and bundle fetches. An unknown account
 * gets the same refusal as a forbidden one, so nobody can probe which
 * accounts exist. */
static vn_err may_message(vn_req *r, const uint8_t to[VN_ACCOUNT_LEN], const char *to_hex)
{
    vn_party from, dest;
    const char *rule = NULL;
    vn_err err = vn_lifecycle_party(r->store, r->peer->account, &from);
    if (err) return vn_fail(r, err, "cannot read your account: %s", vn_err_str(err));
    err = vn_lifecycle_party(r->store, to, &dest);
    if (err && err != VN_ENOACCOUNT)
        return vn_fail(r, err, "cannot read account: %s", vn_err_str(err));
    /* Members of one intervision group (and its facilitator) reach each
     * other for the group's sender keys and posts (docs/GROUPS.md). */
    if (err == VN_ENOACCOUNT || (vn_policy_message(&from, &dest, &rule) != VN_OK &&
                                 !vn_groups_share(r->store, from.account, dest.account)))
        return vn_fail(r, VN_EDENIED, "account %s is unknown or not in your care network: %s",
                       to_hex, vn_policy_rule(from.role));
    return VN_OK;
}

vn_err vn_handle_redeem(vn_req *r)
{
    const vn_peer *peer = r->peer;
    const Vn__Redeem *rd = r->req->redeem;
    vn_outcome *out = r->out;
    uint8_t account[VN_ACCOUNT_LEN];
    char hex[VN_ACCOUNT_HEX + 1];
    vn_role role;
    vn_err err;
    if (peer->registered) {
        /* A resent redeem whose first reply was lost: the device proves its
         * key through CURVE, so it may learn its own account again. */
        memcpy(account, peer->account, VN_ACCOUNT_LEN);
        role = peer->role;
    } else {
        if (rd->secret.len != VN_INVITE_SECRET_LEN)
            return vn_fail(r, VN_EINVITE_BAD, "invite secret must be %d bytes",
                           VN_INVITE_SECRET_LEN);
        err = vn_lifecycle_redeem(r->store, rd->secret.data, peer->key, r->now, account, &role);
        /* Not an invite: perhaps the programme's first-contact code. */
        if (err == VN_EINVITE_BAD && (err = vn_intake_redeem_code(r, account, &role)) &&
            err != VN_EINVITE_BAD)
            return err;
        if (err == VN_EINVITE_USED)
            return vn_fail(r, err, "this invite code was already redeemed; ask for a new one");
        if (err == VN_EINVITE_EXPIRED)
            return vn_fail(r, err, "this invite code has expired; ask for a new one");
        if (err == VN_EINVITE_BAD)
            return vn_fail(r, err, "this invite code is not known to the server");
        if (err == VN_EEXISTS)
            return vn_fail(r, err,
                           "this device is registered already, or the case already has its "
                           "participant");
        if (err == VN_ETOOBIG)
            return vn_fail(r, err, "the case has its maximum of %d members", VN_CASE_MEMBERS_MAX);
        if (err == VN_EDENIED) return vn_fail(r, err, "the case of this invite is closed");
        if (err) return vn_fail(r, err, "could not redeem invite: %s", vn_err_str(err));
        out->wrote = true;
        vn_server_count(r->srv, VN_LOG_REGISTERED);
    }
    Vn__Redeemed *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__redeemed__init(body);
    vn_hex_encode(account, VN_ACCOUNT_LEN, hex);
    body->account = vn_dup_str(hex);
    body->role = vn_dup_str(vn_role_name(role));
    out->reply->body_case = VN__REPLY__BODY_REDEEMED;
    out->reply->redeemed = body;
    return body->account && body->role ? VN_OK : VN_ENOMEM;
}

vn_err vn_handle_whoami(vn_req *r)
{
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    Vn__Identity *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__identity__init(body);
    body->account = vn_dup_str(peer->account_hex);
    body->role = vn_dup_str(vn_role_name(peer->role));
    body->server_time_ms = r->now;
    uint8_t case_id[VN_ACCOUNT_LEN];
    char hex[VN_ACCOUNT_HEX + 1] = "";
    char cm_hex[VN_ACCOUNT_HEX + 1] = "";
    vn_case_info ci;
    if (vn_cases_of(r->store, peer->account, case_id) == VN_OK) {
        vn_hex_encode(case_id, VN_ACCOUNT_LEN, hex);
        if (vn_cases_get(r->store, case_id, &ci) == VN_OK)
            vn_hex_encode(ci.casemanager, VN_ACCOUNT_LEN, cm_hex);
    }
    body->case_id = vn_dup_str(hex);
    body->casemanager = vn_dup_str(cm_hex);
    if (!body->casemanager) return VN_ENOMEM;
    out->reply->body_case = VN__REPLY__BODY_IDENTITY;
    out->reply->identity = body;
    return body->account && body->role && body->case_id ? VN_OK : VN_ENOMEM;
}

vn_err vn_handle_publish_keys(vn_req *r)
{
    const Vn__PublishKeys *k = r->req->publish_keys;
    vn_outcome *out = r->out;
    uint32_t left = 0;
    if (k->identity_key.len != 33 || k->signed_prekey.len != 33 || k->signed_prekey_sig.len != 64)
        return vn_fail(r, VN_EINVAL,
                       "identity key and signed prekey must be 33 bytes, signature 64");
    if (k->n_prekeys > 200)
        return vn_fail(r, VN_ETOOBIG, "at most 200 prekeys per request (got %zu)", k->n_prekeys);
    for (size_t i = 0; i < k->n_prekeys; i++)
        if (k->prekeys[i]->key.len != 33)
            return vn_fail(r, VN_EINVAL, "prekey %u must be 33 bytes", k->prekeys[i]->id);
    uint32_t held = 0;
    vn_err err = vn_keys_prekeys_held(r->store, r->peer->account, &held);
    if (err) return vn_fail(r, err, "cannot read keys: %s", vn_err_str(err));
    /* A device needs about a hundred; more is a way to fill the store. */
    if (held + k->n_prekeys > PREKEYS_MAX)
        return vn_fail(r, VN_ETOOBIG, "at most %d one-time prekeys are held per account",
                       PREKEYS_MAX);
    if (k->n_prekeys && vn_quota_store_full(vn_server_quota(r->srv), vn_sstore_kv(r->store),
                                            vn_server_mono_ms(r->srv)))
        return vn_fail(r, VN_EFULL, "the server's storage is full; try again later");
    err = vn_keys_publish(r->store, r->peer->account, k, &left);
    if (err == VN_EDENIED)
        return vn_fail(r, err,
                       "identity key differs from the one this account registered; an account's "
                       "identity cannot change");
    if (err) return vn_fail(r, err, "could not store keys: %s", vn_err_str(err));
    Vn__KeysPublished *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__keys_published__init(body);
    body->prekeys_left = left;
    body->server_time_ms = r->now;
    out->reply->body_case = VN__REPLY__BODY_KEYS_PUBLISHED;
    out->reply->keys_published = body;
    return VN_OK;
}

/* Every bundle handed out spends one of the target's one-time prekeys, so
 * fetching is limited per (fetcher, target): a session needs one bundle,
 * a fresh device a few. The pair limiter serves, under a key of its own,
 * with a fetch costing a fifth of a pair's burst. */
#define BUNDLES_PER_BURST 5

static vn_err bundle_rate(vn_req *r, const uint8_t target[VN_ACCOUNT_LEN])
{
    uint8_t key[1 + 2 * VN_ACCOUNT_LEN] = {'b'};
    uint64_t retry = 0;
    double cost = vn_server_cfg(r->srv)->pair_burst / BUNDLES_PER_BURST;
    memcpy(key + 1, r->peer->account, VN_ACCOUNT_LEN);
    memcpy(key + 1 + VN_ACCOUNT_LEN, target, VN_ACCOUNT_LEN);
    vn_err err = vn_ratelimit_take(vn_server_rl_pair(r->srv), key, sizeof key, cost,
                                   vn_server_mono_ms(r->srv), &retry);
    if (err != VN_ERATE) return err;
    r->retry_ms = retry;
    return vn_fail(r, VN_ERATE,
                   "rate limit: too many key bundles of this account (each spends one of its "
                   "one-time prekeys); retry after %llu ms",
                   (unsigned long long)retry);
}

vn_err vn_handle_fetch_bundle(vn_req *r)
{
    const Vn__FetchBundle *f = r->req->fetch_bundle;
    vn_outcome *out = r->out;
    uint8_t target[VN_ACCOUNT_LEN];
    vn_err err = vn_parse_id(r, f->account, "account", target);
    if (err) return err;
    /* Keys only of people one may talk to: accounts cannot be enumerated. */
    if ((err = may_message(r, target, f->account))) return err;
    if ((err = bundle_rate(r, target))) return err;
    Vn__Bundle *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__bundle__init(body);
    out->reply->body_case = VN__REPLY__BODY_BUNDLE;
    out->reply->bundle = body;
    err = vn_keys_bundle_take(r->store, target, body);
    if (err == VN_ENOTFOUND)
        return vn_fail(r, VN_ENOTFOUND, "account %s has not published keys yet", f->account);
    if (err) return vn_fail(r, err, "could not read keys: %s", vn_err_str(err));
    body->account = vn_dup_str(f->account);
    return body->account ? VN_OK : VN_ENOMEM;
}

/* Abuse limits: every bucket is checked before any is taken, so a refusal
 * costs nothing and what was accepted before is untouched. */
static vn_err rate_check(vn_req *r, uint8_t (*to)[VN_ACCOUNT_LEN], size_t nto, size_t bytes)
{
    const vn_peer *peer = r->peer;
    vn_server *srv = r->srv;
    uint64_t now = vn_server_mono_ms(srv), retry = 0, worst = 0;
    uint8_t pair[2 * VN_ACCOUNT_LEN];
    const char *what = NULL;
    memcpy(pair, peer->account, VN_ACCOUNT_LEN);
    for (int take = 0; take < 2; take++) {
        vn_err (*op)(struct vn_ratelimit *, const void *, size_t, double, uint64_t, uint64_t *) =
            take ? vn_ratelimit_take : vn_ratelimit_check;
        if (op(vn_server_rl_account(srv), peer->account, VN_ACCOUNT_LEN, 1, now, &retry)) {
            what = "you are sending too many messages";
            worst = retry;
        }
        for (size_t i = 0; i < nto; i++) {
            memcpy(pair + VN_ACCOUNT_LEN, to[i], VN_ACCOUNT_LEN);
            if (op(vn_server_rl_pair(srv), pair, sizeof pair, 1, now, &retry)) {
                what = "too many messages to this recipient";
                worst = retry > worst ? retry : worst;
            }
            if (op(vn_server_rl_inbound(srv), to[i], VN_ACCOUNT_LEN, (double)bytes, now, &retry)) {
                what = "the recipient's inbound budget is used up";
                worst = retry > worst ? retry : worst;
            }
        }
        if (what) break;
    }
    if (!what) return VN_OK;
    r->retry_ms = worst;
    return vn_fail(r, VN_ERATE, "rate limit: %s; retry after %llu ms", what,
                   (unsigned long long)worst);
}

/* Stores env for `to` within the quotas (quota.h): the sender's count
 * and the recipient's mailbox are charged in this request's transaction,
 * with the envelope. */
static vn_err put_within_quota(vn_req *r, const uint8_t to[VN_ACCOUNT_LEN], const Vn__Envelope *env,
                               bool *dup, uint64_t *t)
{
    vn_quota *q = vn_server_quota(r->srv);
    vn_quota_send qs = {
        .from = r->peer->account,
        .to = to,
        .now = r->now,
        .mono_ms = vn_server_mono_ms(r->srv),
    };
    vn_err err = vn_quota_send_put(q, r->store, vn_sstore_kv(r->store), &qs, env, dup, t);
    if (err == VN_EFULL && qs.over != VN_QUOTA_NONE) {
        r->retry_ms = qs.retry_ms;
        vn_quota_refusal(q, &qs, r->msg, r->msgsize);
        return err;
    }
    return err ? vn_fail(r, err, "could not store message: %s", vn_err_str(err)) : VN_OK;
}

vn_err vn_handle_send(vn_req *r)
{
    const Vn__Send *s = r->req->send;
    vn_outcome *out = r->out;
    uint8_t to[1][VN_ACCOUNT_LEN];
    bool dup = false;
    uint64_t t = 0;
    const vn_server_config *cfg = vn_server_cfg(r->srv);
    if (s->id.len != VN_MSGID_LEN)
        return vn_fail(r, VN_EINVAL, "message id must be %d bytes", VN_MSGID_LEN);
    if (s->body.len > VN_BODY_MAX || s->body.len + 1024 > cfg->frame_max)
        return vn_fail(r, VN_ETOOBIG, "message body of %zu bytes exceeds the limit", s->body.len);
    /* The server cannot read bodies, but it can insist they are padded, so
     * no client leaks exact lengths to its disk. */
    if (s->body.len < 4 || vn_pad_bucket(s->body.len - 4) != s->body.len)
        return vn_fail(r, VN_EPROTO, "message body of %zu bytes is not padded to a size bucket",
                       s->body.len);
    /* The sender is known here, from the connection, and the policy is
     * checked with it; it is then forgotten: the envelope does not name it. */
    vn_err err = vn_parse_id(r, s->to, "recipient", to[0]);
    if (err || (err = may_message(r, to[0], s->to))) return err;
    if ((err = vn_intake_on_send(r, to[0]))) return err; /* a visitor's bounds */
    if (vn_server_nearly_full(r->srv)) {
        r->retry_ms = 60000;
        return vn_fail(r, VN_EFULL,
                       "the server's storage is full: the message waits on your device and is "
                       "sent when there is room");
    }
    if ((err = rate_check(r, to, 1, s->body.len))) return err;

    Vn__Envelope env = VN__ENVELOPE__INIT;
    env.id = s->id;
    env.time_ms = vn_mailbox_time(r->now);
    env.body = s->body;
    if ((err = put_within_quota(r, to[0], &env, &dup, &t))) return err;
    Vn__Sent *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__sent__init(body);
    out->reply->body_case = VN__REPLY__BODY_SENT;
    out->reply->sent = body;
    body->time_ms = t;
    if ((err = dup_bin(&body->id, s->id.data, s->id.len))) return err;
    /* A retried send is stored (and was pushed) the first time already. */
    if (dup) return VN_OK;
    if (!(out->push_to = malloc(sizeof *out->push_to))) return VN_ENOMEM;
    memcpy(out->push_to[out->npush++], to[0], VN_ACCOUNT_LEN);

    /* Prepare the push now; the loop sends it only after the commit. */
    Vn__Envelope *penv[1] = {&env};
    Vn__Envelopes envs = VN__ENVELOPES__INIT;
    envs.n_envelopes = 1;
    envs.envelopes = penv;
    Vn__Reply push = VN__REPLY__INIT;
    push.version = VN_PROTOCOL_VERSION;
    push.request_id = 0;
    push.body_case = VN__REPLY__BODY_ENVELOPES;
    push.envelopes = &envs;
    return vn_frame_reply_encode(&push, cfg->frame_max * 2, &out->push_frame, &out->push_len);
}

struct fetch_ctx {
    Vn__Envelopes *envs; /* reply being filled */
    size_t cap;          /* allocated slots */
    size_t bytes;        /* packed size so far */
    bool full;           /* stopped on the byte budget */
};

static vn_err fetch_one(void *ud, const Vn__Envelope *e)
{
    struct fetch_ctx *c = ud;
    size_t sz = vn__envelope__get_packed_size(e) + 8;
    if (c->envs->n_envelopes > 0 && c->bytes + sz > FETCH_BYTES_MAX) {
        c->full = true;
        return 1; /* stop: the rest comes with the next fetch */
    }
    if (c->envs->n_envelopes == c->cap) return VN_EINTERNAL;
    /* A deep copy through the wire form: the reply owns it, whatever
     * fields the envelope has (a notice or a body). */
    size_t n = vn__envelope__get_packed_size(e);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return VN_ENOMEM;
    vn__envelope__pack(e, buf);
    Vn__Envelope *d = vn__envelope__unpack(NULL, n, buf);
    free(buf);
    if (!d) return VN_ENOMEM;
    c->envs->envelopes[c->envs->n_envelopes++] = d;
    vn_err err = VN_OK;
    c->bytes += sz;
    return err;
}

vn_err vn_handle_fetch(vn_req *r)
{
    const Vn__Fetch *f = r->req->fetch;
    vn_outcome *out = r->out;
    size_t max = f->max == 0 || f->max > VN_FETCH_MAX ? VN_FETCH_MAX : f->max;
    bool more = false;
    Vn__Envelopes *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__envelopes__init(body);
    out->reply->body_case = VN__REPLY__BODY_ENVELOPES;
    out->reply->envelopes = body;
    body->envelopes = calloc(max, sizeof *body->envelopes);
    if (!body->envelopes) return VN_ENOMEM;
    struct fetch_ctx c = {body, max, 0, false};
    vn_err err = vn_mailbox_fetch(r->store, r->peer->account, max, fetch_one, &c, &more);
    if (err == 1) err = VN_OK;
    if (err) return vn_fail(r, err, "could not read mailbox: %s", vn_err_str(err));
    body->more = more || c.full;
    return VN_OK;
}

vn_err vn_handle_ack(vn_req *r)
{
    const Vn__Ack *a = r->req->ack;
    vn_outcome *out = r->out;
    uint32_t n = 0;
    if (a->n_ids > 1024)
        return vn_fail(r, VN_ETOOBIG, "at most 1024 ids per ack (got %zu)", a->n_ids);
    for (size_t i = 0; i < a->n_ids; i++)
        if (a->ids[i].len != VN_MSGID_LEN)
            return vn_fail(r, VN_EINVAL, "message id %zu is not %d bytes", i, VN_MSGID_LEN);
    /* Acking twice (a resent ack) is fine: the envelope is gone either way. */
    const uint8_t *ids[1024];
    size_t deleted = 0;
    for (size_t i = 0; i < a->n_ids; i++)
        ids[i] = a->ids[i].data;
    Vn__Acked *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__acked__init(body);
    vn_err err = vn_mailbox_ack_many(r->store, r->peer->account, ids, a->n_ids, &deleted);
    if (err) {
        free(body);
        return vn_fail(r, err, "could not delete message: %s", vn_err_str(err));
    }
    n = (uint32_t)deleted;
    body->count = n;
    out->wrote = n > 0;
    out->reply->body_case = VN__REPLY__BODY_ACKED;
    out->reply->acked = body;
    return VN_OK;
}

vn_err vn_handle_subscribe(vn_req *r)
{
    const vn_peer *peer = r->peer;
    vn_outcome *out = r->out;
    size_t waiting = 0;
    vn_err err = vn_server_subscribe(r->srv, peer->account, peer->route, peer->route_len);
    if (err) return err;
    err = vn_mailbox_count(r->store, peer->account, &waiting);
    if (err) return err;
    Vn__Subscribed *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__subscribed__init(body);
    body->waiting = (uint32_t)waiting;
    out->reply->body_case = VN__REPLY__BODY_SUBSCRIBED;
    out->reply->subscribed = body;
    return VN_OK;
}

/* A sender certificate lives a week; clients fetch a fresh one well before
 * it runs out (client-cli/session.c), and a recipient judges it by the
 * time its envelope was stored, so a message waiting in a mailbox is not
 * refused later. */
#define SENDER_CERT_TTL_MS (7ULL * 86400000)

vn_err vn_handle_sender_cert(vn_req *r)
{
    uint8_t pub[VN_META_SIGN_PUB_LEN], sec[VN_META_SIGN_SEC_LEN], *cert = NULL;
    uint8_t sig[VN_SEALED_SIG_LEN];
    size_t len = 0;
    bool made = false;
    vn_sender_cert c = {.expires_ms = r->now + SENDER_CERT_TTL_MS};
    vn_err err = vn_keys_identity(r->store, r->peer->account, c.identity_key);
    if (err == VN_ENOTFOUND)
        return vn_fail(r, err, "publish your keys first: a certificate names your identity key");
    if (err) return vn_fail(r, err, "cannot read your keys: %s", vn_err_str(err));
    memcpy(c.account, r->peer->account_hex, sizeof c.account);
    if ((err = vn_meta_signing_key(r->store, pub, sec, &made)))
        return vn_fail(r, err, "cannot read the signing key: %s", vn_err_str(err));
    /* The first certificate ever made the key: it must be durable before
     * a client pins it. */
    if (made) r->out->wrote = true;
    err = vn_sealed_cert_issue(sec, &c, &cert, &len, sig);
    explicit_bzero(sec, sizeof sec);
    if (err) return vn_fail(r, err, "cannot sign a certificate: %s", vn_err_str(err));
    Vn__SenderCert *body = malloc(sizeof *body);
    if (!body) {
        free(cert);
        return VN_ENOMEM;
    }
    vn__sender_cert__init(body);
    r->out->reply->body_case = VN__REPLY__BODY_SENDER_CERT;
    r->out->reply->sender_cert = body;
    body->cert = (ProtobufCBinaryData){len, cert};
    if ((err = dup_bin(&body->signature, sig, sizeof sig))) return err;
    return dup_bin(&body->server_key, pub, sizeof pub);
}
