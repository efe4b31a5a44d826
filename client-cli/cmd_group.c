/* group: intervision and Balint groups (docs/GROUPS.md). The facilitator
 * creates a group and invites doctors; members accept the ground rules;
 * the facilitator runs sessions (method, phases, time boxes, turns) whose
 * every step travels end to end in the group's conversation. */
#include "args.h"
#include "group.h"

#include "vn/frame.h"
#include "vn/parse.h"
#include "vn/wallclock.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 16384 /* longest post, in bytes */

/* Loads GROUP (the first argument) into a new *g; on failure says why and
 * returns the exit code. */
int vn_group_open(vn_client *c, const vn_args *a, vn_group **g)
{
    const char *id = vn_args_pos(a, 0);
    *g = NULL;
    if (!vn_account_valid(id))
        return vn_args_invalid(c, a, "%s is not a group id (32 hex characters)", id);
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    if (!(*g = malloc(sizeof **g))) return vn_client_fail(c, VN_ENOMEM, "out of memory");
    vn_err err = vn_group_load(c, id, *g);
    if (!err) return EXIT_OK;
    free(*g);
    *g = NULL;
    if (err == VN_ENOTFOUND)
        return vn_client_fail(c, err, "this device is in no group %s (vangnet group list)", id);
    return vn_client_fail(c, err, "cannot read group %s: %s", id, vn_err_str(err));
}

static int post_failed(vn_client *c, vn_err err, const char *what)
{
    if (err == VN_EUNTRUSTED)
        return vn_client_fail(c, err,
                              "%s: an identity key has changed; compare safety numbers with "
                              "`vangnet verify`",
                              what);
    if (vn_err_is_retryable(err)) return EXIT_RETRY; /* the outbox said so */
    return vn_client_fail_call(c, err, what);
}

static int print_info(vn_client *c, const vn_group *g, const char *verb)
{
    if (c->json)
        printf("{\"group\": \"%s\", \"cap\": %u, \"members\": %zu}\n", g->id, g->cap, g->nmembers);
    else
        printf("%s group %s (cap %u members)\n", verb, g->id, g->cap);
    return EXIT_OK;
}

int vn_cmd_group_new(vn_client *c, const vn_args *a)
{
    const char *cap_s = vn_args_get(a, "--cap");
    uint64_t cap = 5;
    Vn__Reply *rep = NULL;
    if (cap_s && vn_parse_u64(cap_s, 1, VN_GROUP_MAX, &cap))
        return vn_args_invalid(c, a, "--cap must be a number of members from 1 to %d, not %s",
                               VN_GROUP_MAX, cap_s);
    Vn__GroupNew q = VN__GROUP_NEW__INIT;
    q.cap = (uint32_t)cap;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_GROUP_NEW;
    req.group_new = &q;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_GROUP_INFO, "cannot create the group", &rep);
    if (rc) return rc;
    vn_group *g = calloc(1, sizeof *g);
    vn_err err = g ? vn_group_take_info(g, rep->group_info) : VN_ENOMEM;
    vn_frame_reply_free(rep);
    if (!err) {
        g->rules_accepted = true; /* the facilitator sets them */
        err = vn_group_save(c, g);
    }
    rc = err ? vn_client_fail(c, err, "the group was made but cannot be kept here: %s",
                              vn_err_str(err))
             : print_info(c, g, "created");
    free(g);
    return rc;
}

int vn_cmd_group_invite(vn_client *c, const vn_args *a)
{
    const char *ttl = vn_args_get(a, "--ttl");
    uint64_t ttl_ms = 0;
    Vn__Reply *rep = NULL;
    if (ttl && (vn_parse_duration(ttl, &ttl_ms) || ttl_ms == 0))
        return vn_args_invalid(c, a, "--ttl must be a duration such as 2d, not %s", ttl);
    if (!vn_account_valid(vn_args_pos(a, 0)))
        return vn_args_invalid(c, a, "%s is not a group id (32 hex characters)", vn_args_pos(a, 0));
    Vn__GroupInvite q = VN__GROUP_INVITE__INIT;
    q.group = (char *)vn_args_pos(a, 0);
    q.ttl_ms = ttl_ms;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_GROUP_INVITE;
    req.group_invite = &q;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_GROUP_INVITED, "cannot invite", &rep);
    if (rc) return rc;
    vn_invite inv;
    char code[VN_INVITE_TEXT_MAX];
    size_t n;
    memset(&inv, 0, sizeof inv);
    vn_err err = rep->group_invited->secret.len == VN_INVITE_SECRET_LEN ? VN_OK : VN_EPROTO;
    if (!err) memcpy(inv.secret, rep->group_invited->secret.data, VN_INVITE_SECRET_LEN);
    if (!err) err = vn_client_endpoints(c, &inv.endpoints);
    if (!err) err = vn_client_cfg_get(c, "server_key", inv.server_key, 32, &n);
    if (!err) err = vn_invite_encode(&inv, code, sizeof code);
    explicit_bzero(&inv, sizeof inv);
    vn_frame_reply_free(rep);
    if (err) return vn_client_fail(c, err, "cannot build the invite code: %s", vn_err_str(err));
    if (c->json)
        printf("{\"invite\": \"%s\", \"group\": \"%s\"}\n", code, q.group);
    else
        printf("%s\n", code);
    explicit_bzero(code, sizeof code);
    return EXIT_OK;
}

int vn_cmd_group_list(vn_client *c, const vn_args *a)
{
    (void)a;
    Vn__Reply *rep = NULL;
    Vn__GroupList q = VN__GROUP_LIST__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_GROUP_LIST;
    req.group_list = &q;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_GROUPS_VIEW, "cannot list groups", &rep);
    if (rc) return rc;
    const Vn__GroupsView *v = rep->groups_view;
    vn_group *g = malloc(sizeof *g);
    if (!g) {
        vn_frame_reply_free(rep);
        return vn_client_fail(c, VN_ENOMEM, "out of memory");
    }
    if (c->json) fputs("[", stdout);
    for (size_t i = 0; i < v->n_groups; i++) {
        const Vn__GroupInfo *gi = v->groups[i];
        bool mine = strcmp(gi->facilitator, c->account) == 0;
        if (!vn_account_valid(gi->group)) continue;
        /* The next session is known only here, on the members' devices. */
        bool next = vn_group_load(c, gi->group, g) == VN_OK && vn_group_next_upcoming(g);
        if (c->json) {
            printf("%s{\"group\": \"%s\", \"cap\": %u, \"members\": %zu, \"facilitator\": %s, "
                   "\"next_session\": ",
                   i ? ", " : "", gi->group, gi->cap, gi->n_members, mine ? "true" : "false");
            if (next)
                printf("\"%s\"}", g->next_at);
            else
                fputs("null}", stdout);
        } else {
            printf("%s  %zu of %u members%s", gi->group, gi->n_members, gi->cap,
                   mine ? "  (you facilitate)" : "");
            if (next) printf("  next session %.10s %.5s", g->next_at, g->next_at + 11);
            putchar('\n');
        }
    }
    if (c->json) fputs("]\n", stdout);
    vn_frame_reply_free(rep);
    free(g);
    return EXIT_OK;
}

int vn_cmd_group_accept_rules(vn_client *c, const vn_args *a)
{
    vn_group *g;
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    g->rules_accepted = true;
    vn_err err = vn_group_save(c, g);
    Vn__GroupEvent ev = VN__GROUP_EVENT__INIT;
    ev.kind = VN_GEV_RULES;
    /* Telling the group also hands our sender key to every member. */
    if (!err) err = vn_group_post(c, g, &ev, NULL);
    if (err)
        rc = post_failed(c, err, "accepted here, but the group could not be told");
    else if (c->json)
        printf("{\"group\": \"%s\", \"rules_accepted\": true}\n", g->id);
    else
        printf("you accepted the ground rules of group %s; you can now post\n", g->id);
    free(g);
    return rc;
}

int vn_cmd_group_send(vn_client *c, const vn_args *a)
{
    const char *text = vn_args_pos(a, 1);
    const char *why = NULL;
    char nb[80];
    vn_group *g;
    if (strlen(text) > TEXT_MAX)
        return vn_client_fail(c, VN_ETOOBIG, "the text is %zu bytes; the limit is %d", strlen(text),
                              TEXT_MAX);
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    Vn__GroupEvent ev = VN__GROUP_EVENT__INIT;
    ev.kind = VN_GEV_POST;
    const vn_intervision_method *m = vn_group_method(g);
    if (!g->rules_accepted) {
        rc = vn_client_fail(c, VN_EDENIED,
                            "accept the group's ground rules first: vangnet group accept-rules %s",
                            g->id);
        goto out;
    }
    if (m && g->phase < m->nphases) {
        const vn_intervision_phase *ph = &m->phases[g->phase];
        uint32_t mine = vn_group_turn_of(g, c->account);
        uint32_t now = vn_intervision_current_turn(g->done, g->ndone, (uint32_t)g->nturns);
        vn_intervision_part part = vn_group_part(g, c->account);
        if (vn_intervision_may_post(ph, part, mine, now, &why) != VN_OK) {
            if (now && ph->speaker == VN_IV_TURNS && part == VN_IV_MEMBER)
                rc = vn_client_fail(c, VN_EDENIED, "not posted: %s (now: %s)", why,
                                    vn_client_name_of(c, g->turns[now - 1], nb, sizeof nb)
                                        ? nb
                                        : g->turns[now - 1]);
            else
                rc = vn_client_fail(c, VN_EDENIED, "not posted: %s (%s)", why, ph->title);
            goto out;
        }
        ev.session = (ProtobufCBinaryData){16, g->session};
        ev.phase = g->phase;
        if (ph->speaker == VN_IV_TURNS && part == VN_IV_MEMBER) ev.turn = mine;
    }
    vn_err err = vn_group_post(c, g, &ev, text);
    if (err)
        rc = post_failed(c, err, "not sent");
    else if (c->json)
        printf("{\"sent\": 1, \"group\": \"%s\", \"turn\": %u}\n", g->id, ev.turn);
out:
    free(g);
    return rc;
}

int vn_cmd_group_leave(vn_client *c, const vn_args *a)
{
    const char *whom = vn_args_get(a, "--member");
    char acc[VN_ACCOUNT_HEX + 1] = "";
    Vn__Reply *rep = NULL;
    vn_group *g;
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    if (whom && vn_client_resolve(c, whom, acc)) {
        rc = vn_client_fail(c, VN_ENOACCOUNT, "%s is neither an account id nor a contact name",
                            whom);
        goto out;
    }
    Vn__GroupLeave q = VN__GROUP_LEAVE__INIT;
    q.group = g->id;
    q.account = acc;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_GROUP_LEAVE;
    req.group_leave = &q;
    rc = vn_client_call(c, &req, VN__REPLY__BODY_GROUP_LEFT,
                        whom ? "cannot remove the member" : "cannot leave the group", &rep);
    vn_frame_reply_free(rep);
    if (rc) goto out;
    vn_err err = VN_OK;
    if (whom) {
        /* Our key is replaced now, handed to everyone but the one removed. */
        err = vn_group_prepare(c, g->id);
        if (!err) err = vn_outbox_flush(c);
    } else {
        err = vn_group_forget(c, g->id);
    }
    if (err && !whom)
        rc = vn_client_fail(c, err, "left, but this device still holds the group: %s",
                            vn_err_str(err));
    else if (err)
        rc = post_failed(c, err, "removed, but the new group key is not yet handed out");
    else if (c->json)
        printf("{\"group\": \"%s\", \"left\": \"%s\"}\n", g->id, whom ? acc : c->account);
    else
        printf(whom ? "removed %s from group %s; the group key was renewed\n"
                    : "you left group %s%s\n",
               whom ? acc : g->id, whom ? g->id : "");
out:
    free(g);
    return rc;
}

int vn_cmd_group_count_attendance(vn_client *c, const vn_args *a)
{
    const char *v = vn_args_pos(a, 1);
    vn_group *g;
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    g->count_attendance = strcmp(v, "on") == 0;
    vn_err err = vn_group_save(c, g);
    if (err)
        rc = vn_client_fail(c, err, "cannot keep the setting: %s", vn_err_str(err));
    else if (c->json)
        printf("{\"group\": \"%s\", \"count_attendance\": %s}\n", g->id,
               g->count_attendance ? "true" : "false");
    else
        printf(g->count_attendance
                   ? "the sessions you take part in will count as your contract's self-help "
                     "contact (the date only reaches the server)\n"
                   : "sessions no longer count as self-help contacts\n");
    free(g);
    return rc;
}

int vn_cmd_group_plan(vn_client *c, const vn_args *a)
{
    const char *text = vn_args_pos(a, 1);
    vn_group *g;
    if (strlen(text) > VN_GROUP_PLAN_MAX)
        return vn_client_fail(c, VN_ETOOBIG, "the plan is %zu bytes; the limit is %d", strlen(text),
                              VN_GROUP_PLAN_MAX);
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    if (!g->in_session || strcmp(g->presenter, c->account) != 0) {
        rc = vn_client_fail(c, VN_EDENIED,
                            "only the presenter of the running session records an action plan");
        goto out;
    }
    g->has_plan = true;
    snprintf(g->plan, sizeof g->plan, "%s", text);
    g->plan_ms = vn_wallclock_ms();
    memcpy(g->plan_session, g->session, sizeof g->session);
    vn_err err = vn_group_save(c, g);
    if (err)
        rc = vn_client_fail(c, err, "cannot keep the plan: %s", vn_err_str(err));
    else if (c->json)
        printf("{\"group\": \"%s\", \"plan\": \"kept on this device\"}\n", g->id);
    else
        printf("your action plan is kept on this device only; the next session opens with it\n");
out:
    free(g);
    return rc;
}
