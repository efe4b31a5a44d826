/* Anonymous first contact (core/store vn/intake.h): the redeem of the
 * programme's first-contact code into a visitor account, the bounds on a
 * visitor's messages and conversations, intake-desk (whom a visitor may
 * write to) and intake-list (the open first contacts, for intake staff),
 * and the purge of idle visitors. The server keeps no name, number or text
 * of a visitor: what it keeps is listed in docs/METADATA.md. */
#include "log.h"
#include "requests.h"
#include "server.h"
#include "vn/accounts.h"
#include "vn/day.h"
#include "vn/hex.h"
#include "vn/intake.h"
#include "vn/rand.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MS   86400000ULL
#define PAGE_MAX 200  /* contacts one intake-list reply holds */
#define LIST_MAX 4096 /* visitors one intake-list reads, at most */

static int32_t day_of(uint64_t ms)
{
    return (int32_t)(ms / DAY_MS);
}

vn_err vn_intake_redeem_code(vn_req *r, uint8_t account[VN_ACCOUNT_LEN], vn_role *role)
{
    uint64_t retry = 0;
    vn_err err = vn_intake_redeem(r->store, r->req->redeem->secret.data, r->peer->key, r->now,
                                  account, &retry);
    if (err == VN_EINVITE_BAD) return err;
    if (err == VN_ERATE) {
        r->retry_ms = retry;
        return vn_fail(r, err,
                       "rate limit: this first-contact code was used too often this hour; retry "
                       "after %llu ms",
                       (unsigned long long)retry);
    }
    if (err == VN_EEXISTS) return vn_fail(r, err, "this device is registered already");
    if (err) return vn_fail(r, err, "could not redeem the first-contact code: %s", vn_err_str(err));
    *role = VN_ROLE_VISITOR;
    return VN_OK;
}

/* Adds peer to v's conversations; VN_EDENIED if it has its maximum. */
static vn_err take_peer(vn_intake_visitor *v, const uint8_t peer[VN_ACCOUNT_LEN])
{
    if (vn_intake_visitor_has_peer(v, peer)) return VN_OK;
    if (v->npeers >= VN_INTAKE_PEERS_MAX) return VN_EDENIED;
    memcpy(v->peers[v->npeers++], peer, VN_ACCOUNT_LEN);
    return VN_OK;
}

vn_err vn_intake_on_send(vn_req *r, const uint8_t to[VN_ACCOUNT_LEN])
{
    const vn_peer *peer = r->peer;
    const uint8_t *visitor = NULL, *staff = NULL;
    vn_intake_visitor v;
    int32_t today = day_of(r->now);
    /* Only these two roles reach each other (core/rules policy.c). */
    if (peer->role == VN_ROLE_VISITOR) {
        visitor = peer->account;
        staff = to;
    } else if (peer->role == VN_ROLE_INTAKE) {
        visitor = to;
        staff = peer->account;
    } else {
        return VN_OK;
    }
    vn_err err = vn_intake_visitor_get(r->store, visitor, &v);
    if (err == VN_ENOTFOUND) return VN_OK; /* not a visitor (the policy refused it already) */
    if (err) return vn_fail(r, err, "cannot read the first contact: %s", vn_err_str(err));
    if (take_peer(&v, staff))
        return vn_fail(r, VN_EDENIED,
                       peer->role == VN_ROLE_VISITOR
                           ? "a first contact talks with at most %d intake staff: write to one "
                             "of them (vangnet intake write)"
                           : "this first contact already talks with %d intake staff; ask one of "
                             "them to answer",
                       VN_INTAKE_PEERS_MAX);
    if (peer->role == VN_ROLE_VISITOR) {
        size_t most = vn_server_cfg(r->srv)->visitor_messages;
        if (v.sent_day != today) {
            v.sent_day = today;
            v.sent_count = 0;
        }
        if (v.sent_count >= most) {
            r->retry_ms = ((uint64_t)today + 1) * DAY_MS - r->now;
            return vn_fail(r, VN_ERATE,
                           "rate limit: a first contact may send %zu messages a day; retry after "
                           "%llu ms",
                           most, (unsigned long long)r->retry_ms);
        }
        v.sent_count++;
    }
    v.last_day = today;
    if ((err = vn_intake_visitor_put(r->store, visitor, &v)))
        return vn_fail(r, err, "cannot keep the first contact: %s", vn_err_str(err));
    return VN_OK;
}

/* A for the visitor's first message: one intake staff member, at random. */
static vn_err pick_staff(vn_req *r, uint8_t out[VN_ACCOUNT_LEN])
{
    uint8_t(*staff)[VN_ACCOUNT_LEN] = NULL;
    size_t n = 0;
    uint32_t pick = 0;
    vn_err err = vn_accounts_with_role(r->store, VN_ROLE_INTAKE, &staff, &n);
    if (err) return vn_fail(r, err, "cannot find the intake staff: %s", vn_err_str(err));
    if (n == 0) {
        free(staff);
        return vn_fail(r, VN_ENOTFOUND, "the programme has no intake staff yet: try again later");
    }
    if ((err = vn_rand_bytes(&pick, sizeof pick))) {
        free(staff);
        return vn_fail(r, err, "no randomness: %s", vn_err_str(err));
    }
    memcpy(out, staff[pick % n], VN_ACCOUNT_LEN);
    free(staff);
    return VN_OK;
}

vn_err vn_handle_intake_desk(vn_req *r)
{
    vn_intake_visitor v;
    char hex[VN_ACCOUNT_HEX + 1];
    vn_err err = vn_intake_visitor_get(r->store, r->peer->account, &v);
    if (err) return vn_fail(r, err, "cannot read this first contact: %s", vn_err_str(err));
    if (v.npeers == 0) {
        if ((err = pick_staff(r, v.peers[0]))) return err;
        v.npeers = 1;
        v.last_day = day_of(r->now);
        if ((err = vn_intake_visitor_put(r->store, r->peer->account, &v)))
            return vn_fail(r, err, "cannot keep the first contact: %s", vn_err_str(err));
        r->out->wrote = true;
    }
    Vn__IntakeDeskInfo *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__intake_desk_info__init(body);
    r->out->reply->body_case = VN__REPLY__BODY_INTAKE_DESK_INFO;
    r->out->reply->intake_desk_info = body;
    body->conversations_max = VN_INTAKE_PEERS_MAX;
    if (!(body->staff = calloc(v.npeers, sizeof *body->staff))) return VN_ENOMEM;
    for (size_t i = 0; i < v.npeers; i++) {
        vn_hex_encode(v.peers[i], VN_ACCOUNT_LEN, hex);
        if (!(body->staff[body->n_staff++] = vn_dup_str(hex))) return VN_ENOMEM;
    }
    return VN_OK;
}

struct listing {
    struct {
        uint8_t account[VN_ACCOUNT_LEN];
        vn_intake_visitor v;
    } * items;
    size_t n;
    bool truncated;
};

static vn_err list_cb(void *ud, const uint8_t account[VN_ACCOUNT_LEN], const vn_intake_visitor *v,
                      bool *stop)
{
    struct listing *l = ud;
    if (l->n == LIST_MAX) {
        l->truncated = *stop = true;
        return VN_OK;
    }
    memcpy(l->items[l->n].account, account, VN_ACCOUNT_LEN);
    l->items[l->n++].v = *v;
    return VN_OK;
}

/* Most recently active first; then by account, so pages are stable. */
static int by_activity(const void *a, const void *b)
{
    const vn_intake_visitor *va = (const void *)((const uint8_t *)a + VN_ACCOUNT_LEN);
    const vn_intake_visitor *vb = (const void *)((const uint8_t *)b + VN_ACCOUNT_LEN);
    if (va->last_day != vb->last_day) return va->last_day > vb->last_day ? -1 : 1;
    return memcmp(a, b, VN_ACCOUNT_LEN);
}

static vn_err fill_contact(vn_req *r, Vn__IntakeContact *c, const uint8_t account[VN_ACCOUNT_LEN],
                           const vn_intake_visitor *v)
{
    char hex[VN_ACCOUNT_HEX + 1], first[11], last[11], purge[11];
    uint64_t idle_days = vn_server_cfg(r->srv)->visitor_idle_ms / DAY_MS;
    vn__intake_contact__init(c);
    vn_hex_encode(account, VN_ACCOUNT_LEN, hex);
    vn_day_format(v->first_day, first);
    vn_day_format(v->last_day, last);
    vn_day_format(v->last_day + (int32_t)idle_days + 1, purge);
    c->conversations = v->npeers;
    if (!(c->account = vn_dup_str(hex)) || !(c->first_day = vn_dup_str(first)) ||
        !(c->last_day = vn_dup_str(last)) || !(c->purge_day = vn_dup_str(purge)))
        return VN_ENOMEM;
    return VN_OK;
}

vn_err vn_handle_intake_list(vn_req *r)
{
    struct listing l = {calloc(LIST_MAX, sizeof *l.items), 0, false};
    uint32_t offset = r->req->intake_list->offset;
    if (!l.items) return VN_ENOMEM;
    vn_err err = vn_intake_visitors_each(r->store, list_cb, &l);
    if (err) {
        free(l.items);
        return vn_fail(r, err, "cannot list the first contacts: %s", vn_err_str(err));
    }
    qsort(l.items, l.n, sizeof *l.items, by_activity);
    Vn__IntakeContacts *body = malloc(sizeof *body);
    if (!body) {
        free(l.items);
        return VN_ENOMEM;
    }
    vn__intake_contacts__init(body);
    r->out->reply->body_case = VN__REPLY__BODY_INTAKE_CONTACTS;
    r->out->reply->intake_contacts = body;
    body->total = (uint32_t)l.n;
    size_t from = offset < l.n ? offset : l.n, count = l.n - from;
    if (count > PAGE_MAX) count = PAGE_MAX;
    body->more = from + count < l.n || l.truncated;
    if (count && !(body->contacts = calloc(count, sizeof *body->contacts))) err = VN_ENOMEM;
    for (size_t i = 0; !err && i < count; i++) {
        Vn__IntakeContact *c = malloc(sizeof *c);
        if (!c) {
            err = VN_ENOMEM;
            break;
        }
        body->contacts[body->n_contacts++] = c;
        err = fill_contact(r, c, l.items[from + i].account, &l.items[from + i].v);
    }
    free(l.items);
    return err;
}

void vn_intake_sweep(vn_server *srv, uint64_t now)
{
    size_t n = 0;
    vn_err err =
        vn_intake_purge(vn_server_store(srv), now, vn_server_cfg(srv)->visitor_idle_ms, &n);
    if (err)
        vn_logl(VN_LEVEL_ERROR, "first-contact purge failed: %s", vn_err_str(err));
    else if (n)
        vn_log("purged %zu idle first contacts (visitors) with their keys and mail", n);
}
