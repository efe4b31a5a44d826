/* Intervision groups (docs/GROUPS.md): creating a group, its invites,
 * joining, leaving and the member list. The server keeps a group's
 * existence, facilitator, cap and members, which routing their end-to-end
 * messages needs; a group's method, sessions, phases, presenter and every
 * word travel inside its sender-key conversation and never reach it. */
#include "server.h"

#include "vn/groups.h"
#include "vn/policy.h"
#include "vn/hex.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define GROUP_INVITE_TTL_DEFAULT (7ULL * 86400000)
#define GROUP_INVITE_TTL_MAX     (90ULL * 86400000)

/* One refusal for a group that does not exist and one the peer has no
 * part in, so nobody learns which group ids exist. */
#define NOT_YOURS "group %s is unknown or not yours"

static char *hex_of(const uint8_t id[VN_ACCOUNT_LEN])
{
    char hex[VN_ACCOUNT_HEX + 1];
    vn_hex_encode(id, VN_ACCOUNT_LEN, hex);
    return vn_dup_str(hex);
}

/* The group named by hex, if the peer runs it (need_facilitator) or is in
 * it (as member or facilitator). */
static vn_err own_group(vn_req *r, const char *hex, bool need_facilitator, vn_group_info *g)
{
    uint8_t id[VN_ACCOUNT_LEN];
    vn_err err = vn_parse_id(r, hex, "group", id);
    if (err) return err;
    err = vn_groups_get(r->store, id, g);
    if (err && err != VN_ENOTFOUND)
        return vn_fail(r, err, "cannot read group: %s", vn_err_str(err));
    bool runs = !err && memcmp(g->facilitator, r->peer->account, VN_ACCOUNT_LEN) == 0;
    bool in = runs || (!err && vn_groups_is_member(r->store, id, r->peer->account));
    if (!r->role_ok || !(need_facilitator ? runs : in))
        return vn_fail(r, VN_ENOTFOUND, NOT_YOURS, hex);
    return VN_OK;
}

/* Fills a GroupInfo (malloc'd parts) for g. */
static vn_err fill_info(vn_req *r, const vn_group_info *g, Vn__GroupInfo **out)
{
    uint8_t m[VN_GROUP_CAP_MAX][VN_ACCOUNT_LEN];
    size_t n = 0;
    vn_err err = vn_groups_members(r->store, g->id, m, VN_GROUP_CAP_MAX, &n);
    if (err) return vn_fail(r, err, "cannot read the group's members: %s", vn_err_str(err));
    Vn__GroupInfo *gi = malloc(sizeof *gi);
    if (!gi) return VN_ENOMEM;
    vn__group_info__init(gi);
    *out = gi;
    gi->group = hex_of(g->id);
    gi->facilitator = hex_of(g->facilitator);
    gi->cap = g->cap;
    if (n && !(gi->members = calloc(n, sizeof *gi->members))) return VN_ENOMEM;
    for (size_t i = 0; i < n; i++, gi->n_members++)
        if (!(gi->members[i] = hex_of(m[i]))) return VN_ENOMEM;
    return gi->group && gi->facilitator ? VN_OK : VN_ENOMEM;
}

static vn_err reply_info(vn_req *r, const vn_group_info *g)
{
    r->out->reply->body_case = VN__REPLY__BODY_GROUP_INFO;
    return fill_info(r, g, &r->out->reply->group_info);
}

vn_err vn_handle_group_new(vn_req *r)
{
    const Vn__GroupNew *q = r->req->group_new;
    vn_group_info g;
    uint32_t cap = q->cap ? q->cap : VN_GROUP_CAP_DEFAULT;
    if (cap > VN_GROUP_CAP_MAX)
        return vn_fail(r, VN_EINVAL, "a group has at most %d members, not %u", VN_GROUP_CAP_MAX,
                       cap);
    vn_err err = vn_groups_create(r->store, r->peer->account, (uint8_t)cap, &g);
    if (err == VN_ETOOBIG)
        return vn_fail(r, err, "you are in %d groups already; close one first",
                       VN_GROUPS_PER_ACCOUNT);
    if (err) return vn_fail(r, err, "cannot create the group: %s", vn_err_str(err));
    return reply_info(r, &g);
}

vn_err vn_handle_group_invite(vn_req *r)
{
    const Vn__GroupInvite *q = r->req->group_invite;
    vn_group_info g;
    uint8_t secret[VN_INVITE_SECRET_LEN], m[VN_GROUP_CAP_MAX][VN_ACCOUNT_LEN];
    size_t n = 0;
    uint64_t ttl = q->ttl_ms ? q->ttl_ms : GROUP_INVITE_TTL_DEFAULT;
    vn_err err = own_group(r, q->group, true, &g);
    if (err) return err;
    if (ttl > GROUP_INVITE_TTL_MAX)
        return vn_fail(r, VN_EINVAL, "an invite may be valid for at most 90 days");
    if ((err = vn_groups_members(r->store, g.id, m, VN_GROUP_CAP_MAX, &n)))
        return vn_fail(r, err, "cannot read the group's members: %s", vn_err_str(err));
    if (n >= g.cap)
        return vn_fail(r, VN_ETOOBIG, "group %s is full: it has its cap of %u members", q->group,
                       g.cap);
    if ((err = vn_groups_invite(r->store, g.id, r->now, ttl, secret)))
        return vn_fail(r, err, "cannot create the invite: %s", vn_err_str(err));
    Vn__GroupInvited *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__group_invited__init(body);
    r->out->reply->body_case = VN__REPLY__BODY_GROUP_INVITED;
    r->out->reply->group_invited = body;
    body->secret.data = malloc(sizeof secret);
    if (!body->secret.data) return VN_ENOMEM;
    memcpy(body->secret.data, secret, sizeof secret);
    body->secret.len = sizeof secret;
    explicit_bzero(secret, sizeof secret);
    body->group = vn_dup_str(q->group);
    body->expires_ms = r->now + ttl;
    return body->group ? VN_OK : VN_ENOMEM;
}

vn_err vn_handle_group_join(vn_req *r)
{
    const Vn__GroupJoin *q = r->req->group_join;
    vn_group_info g;
    if (!r->role_ok)
        return vn_fail(r, VN_EDENIED,
                       "a %s cannot join an intervision group: groups are for "
                       "the programme's doctors (participants)",
                       vn_role_name(r->peer->role));
    if (q->secret.len != VN_INVITE_SECRET_LEN)
        return vn_fail(r, VN_EINVITE_BAD, "invite secret must be %d bytes", VN_INVITE_SECRET_LEN);
    vn_err err = vn_groups_redeem(r->store, q->secret.data, r->peer->account, r->now, &g);
    if (err == VN_EINVITE_BAD || err == VN_ENOTFOUND)
        return vn_fail(r, VN_EINVITE_BAD,
                       "this group invite is not known to the server, or was used already");
    if (err == VN_EINVITE_EXPIRED)
        return vn_fail(r, err, "this group invite has expired; ask the facilitator for a new one");
    if (err == VN_EEXISTS) return vn_fail(r, err, "you are in this group already");
    if (err == VN_ETOOBIG)
        return vn_fail(r, err,
                       "the group is full (its cap is %u members), or you are in %d groups "
                       "already; ask the facilitator",
                       g.cap, VN_GROUPS_PER_ACCOUNT);
    if (err) return vn_fail(r, err, "cannot join the group: %s", vn_err_str(err));
    r->out->wrote = true;
    return reply_info(r, &g);
}

vn_err vn_handle_group_show(vn_req *r)
{
    vn_group_info g;
    vn_err err = own_group(r, r->req->group_show->group, false, &g);
    return err ? err : reply_info(r, &g);
}

vn_err vn_handle_group_leave(vn_req *r)
{
    const Vn__GroupLeave *q = r->req->group_leave;
    vn_group_info g;
    uint8_t who[VN_ACCOUNT_LEN];
    bool self = !q->account || !q->account[0];
    vn_err err = own_group(r, q->group, !self, &g);
    if (err) return err;
    if (self) {
        memcpy(who, r->peer->account, VN_ACCOUNT_LEN);
        if (memcmp(g.facilitator, who, VN_ACCOUNT_LEN) == 0)
            return vn_fail(r, VN_EDENIED,
                           "the facilitator does not leave their group; hand it over by "
                           "creating a new one");
    } else if ((err = vn_parse_id(r, q->account, "account", who))) {
        return err;
    }
    err = vn_groups_remove(r->store, g.id, who);
    if (err == VN_ENOTFOUND)
        return vn_fail(r, err, "%s is not a member of group %s", self ? "you are" : q->account,
                       q->group);
    if (err) return vn_fail(r, err, "cannot leave the group: %s", vn_err_str(err));
    Vn__GroupLeft *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__group_left__init(body);
    r->out->reply->body_case = VN__REPLY__BODY_GROUP_LEFT;
    r->out->reply->group_left = body;
    body->group = vn_dup_str(q->group);
    body->account = hex_of(who);
    return body->group && body->account ? VN_OK : VN_ENOMEM;
}

vn_err vn_handle_group_list(vn_req *r)
{
    uint8_t ids[VN_GROUPS_PER_ACCOUNT][VN_ACCOUNT_LEN];
    size_t n = 0;
    vn_group_info g;
    vn_err err = vn_groups_of(r->store, r->peer->account, ids, VN_GROUPS_PER_ACCOUNT, &n);
    if (err) return vn_fail(r, err, "cannot read your groups: %s", vn_err_str(err));
    Vn__GroupsView *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__groups_view__init(body);
    r->out->reply->body_case = VN__REPLY__BODY_GROUPS_VIEW;
    r->out->reply->groups_view = body;
    if (n && !(body->groups = calloc(n, sizeof *body->groups))) return VN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if ((err = vn_groups_get(r->store, ids[i], &g)))
            return vn_fail(r, err, "cannot read a group: %s", vn_err_str(err));
        if ((err = fill_info(r, &g, &body->groups[body->n_groups++]))) return err;
    }
    return VN_OK;
}
