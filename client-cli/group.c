/* An intervision group's conversation and session on this device: the
 * sender keys (through team.c), posting an event, and what a received
 * event does to the group's state. The server routes the sealed copies and
 * learns nothing of what they carry (docs/GROUPS.md). */
#include "group.h"

#include "vn/frame.h"
#include "vn/wallclock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool listed(const vn_acc *ids, size_t n, const char *a)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], a) == 0) return true;
    return false;
}

static bool in_roster(const vn_group *g, const char *a)
{
    return strcmp(g->facilitator, a) == 0 || listed(g->members, g->nmembers, a);
}

/* A person as this device names them: the contact name, else the start of
 * the account id. */
static const char *who(vn_client *c, const char *account, char *buf, size_t size)
{
    if (strcmp(account, c->account) == 0) return "you";
    if (vn_client_name_of(c, account, buf, size)) return buf;
    snprintf(buf, size, "%.8s", account);
    return buf;
}

static vn_err prepare_loaded(vn_client *c, vn_group *g)
{
    vn_acc roster[VN_GROUP_MAX + 1];
    size_t n = 0;
    vn_err err = vn_group_refresh(c, g);
    if (err) return err;
    if (strcmp(g->facilitator, c->account) != 0)
        memcpy(roster[n++], g->facilitator, sizeof roster[0]);
    for (size_t i = 0; i < g->nmembers; i++)
        if (strcmp(g->members[i], c->account) != 0)
            memcpy(roster[n++], g->members[i], sizeof roster[0]);
    return vn_senderkey_prepare(c, g->id, roster, n);
}

vn_err vn_group_prepare(vn_client *c, const char *id)
{
    vn_group *g = malloc(sizeof *g);
    if (!g) return VN_ENOMEM;
    vn_err err = vn_group_load(c, id, g);
    if (!err) err = prepare_loaded(c, g);
    free(g);
    return err;
}

/* The date (UTC) of ms as YYYY-MM-DD. */
static void day_of(uint64_t ms, char out[11])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Records the waiting attendance days as self-help contacts of our own
 * case (the date and the kind only, as `vangnet selfhelp record` does).
 * What the server does not take now stays for the next try. */
static vn_err flush_attendance(vn_client *c, vn_group *g, size_t *recorded)
{
    Vn__Reply *rep = NULL;
    char case_id[VN_ACCOUNT_HEX + 1], today[11];
    *recorded = 0;
    if (g->npending == 0) return VN_OK;
    Vn__Whoami w = VN__WHOAMI__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    vn_err err = vn_client_connect(c);
    if (!err) err = vn_conn_call(c->conn, &req, &rep);
    if (!err &&
        (rep->body_case != VN__REPLY__BODY_IDENTITY || !vn_account_valid(rep->identity->case_id)))
        err = VN_ENOTFOUND;
    if (!err) snprintf(case_id, sizeof case_id, "%s", rep->identity->case_id);
    vn_frame_reply_free(rep);
    day_of(vn_wallclock_ms(), today);
    while (!err && g->npending > 0) {
        Vn__Record r = VN__RECORD__INIT;
        r.case_id = case_id;
        r.kind = (char *)"selfhelp";
        /* Today is the server's today (its time zone); another day is named. */
        r.date = strcmp(g->pending[0], today) == 0 ? (char *)"" : g->pending[0];
        req = (Vn__Request)VN__REQUEST__INIT;
        req.body_case = VN__REQUEST__BODY_RECORD;
        req.record = &r;
        rep = NULL;
        err = vn_conn_call(c->conn, &req, &rep);
        vn_frame_reply_free(rep);
        if (err) break;
        memmove(g->pending[0], g->pending[1], (g->npending - 1) * sizeof g->pending[0]);
        g->npending--;
        ++*recorded;
    }
    return err;
}

static void add_done(vn_group *g, uint32_t turn)
{
    if (g->ndone < VN_IV_TURNS_MAX) g->done[g->ndone++] = turn;
}

/* The line a session's phase is announced with: its place, title, time
 * box, and what it asks of this device's user. */
static size_t phase_line(vn_client *c, const vn_group *g, char *line, size_t size)
{
    const vn_intervision_method *m = vn_group_method(g);
    char nb[80];
    if (!m || g->phase >= m->nphases) return (size_t)snprintf(line, size, "no phase");
    const vn_intervision_phase *ph = &m->phases[g->phase];
    int n = snprintf(line, size, "phase %u of %zu: %s (%u min). Asked of you: %s", g->phase + 1,
                     m->nphases, ph->title, g->minutes,
                     vn_intervision_asked(ph, vn_group_part(g, c->account)));
    if (n > 0 && (size_t)n < size && ph->speaker == VN_IV_TURNS && g->nturns > 0)
        n += snprintf(line + n, size - (size_t)n, ". First turn: %s",
                      who(c, g->turns[0], nb, sizeof nb));
    return n < 0 ? 0 : (size_t)n;
}

/* The facilitator starts a session: its method, presenter, turns and
 * first phase; the presenter's last plan is looked back on. */
static void apply_start(vn_client *c, vn_group *g, const Vn__GroupEvent *ev, uint64_t sent_ms,
                        char *out, size_t cap)
{
    char pb[80];
    const vn_intervision_method *m = vn_intervision_method_find(ev->method);
    if (!m || ev->session.len != 16 || ev->n_turns > VN_GROUP_MAX ||
        !vn_account_valid(ev->presenter) || ev->minutes == 0 || ev->minutes > VN_IV_MINUTES_MAX) {
        snprintf(out, cap, "[group %.8s] a session start that is not valid was ignored", g->id);
        return;
    }
    g->in_session = true;
    memcpy(g->session, ev->session.data, 16);
    snprintf(g->method, sizeof g->method, "%s", m->key);
    memcpy(g->presenter, ev->presenter, VN_ACCOUNT_HEX + 1);
    g->nturns = 0;
    for (size_t i = 0; i < ev->n_turns; i++)
        if (vn_account_valid(ev->turns[i]))
            memcpy(g->turns[g->nturns++], ev->turns[i], sizeof g->turns[0]);
    g->phase = 0;
    g->minutes = ev->minutes;
    g->phase_started_ms = g->session_started_ms = sent_ms;
    g->ndone = 0;
    g->attended = false;
    g->sessions++;
    int n = snprintf(out, cap, "[group %.8s] session started: %s; presenter: %s. ", g->id, m->title,
                     who(c, g->presenter, pb, sizeof pb));
    if (n > 0 && (size_t)n < cap) n += (int)phase_line(c, g, out + n, cap - (size_t)n);
    /* The session opens by looking back on the last plan. */
    if (g->has_plan && n > 0 && (size_t)n < cap) {
        char day[11];
        day_of(g->plan_ms, day);
        snprintf(out + n, cap - (size_t)n,
                 "\n  Looking back: your action plan of %s (on this device only): %s", day,
                 g->plan);
    }
}

/* The facilitator moves the session to a phase. */
static void apply_phase(vn_client *c, vn_group *g, const Vn__GroupEvent *ev, uint64_t sent_ms,
                        char *out, size_t cap)
{
    const vn_intervision_method *m = vn_group_method(g);
    if (!m || ev->phase >= m->nphases || ev->minutes == 0 || ev->minutes > VN_IV_MINUTES_MAX) {
        snprintf(out, cap, "[group %.8s] a phase change that is not valid was ignored", g->id);
        return;
    }
    g->phase = ev->phase;
    g->minutes = ev->minutes;
    g->phase_started_ms = sent_ms;
    g->ndone = 0;
    int n = snprintf(out, cap, "[group %.8s] ", g->id);
    if (n > 0 && (size_t)n < cap) phase_line(c, g, out + n, cap - (size_t)n);
}

/* The facilitator ends the session: a member who took part and lets
 * attendance count records it (with what an earlier end could not). */
static void apply_end(vn_client *c, vn_group *g, bool self, char *out, size_t cap)
{
    g->in_session = false;
    int n = snprintf(out, cap, "[group %.8s] the session has ended", g->id);
    if (self) return;
    if (g->count_attendance && g->attended && g->npending < VN_GROUP_PENDING)
        day_of(g->session_started_ms, g->pending[g->npending++]);
    if (g->npending == 0) return;
    size_t rec = 0;
    vn_err err = flush_attendance(c, g, &rec);
    if (n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n,
                 rec ? "; your attendance was recorded as a self-help contact"
                     : "; your attendance will be recorded as a self-help contact (%s)",
                 vn_err_str(err));
}

/* A post: in a running session it is placed in its phase, and in a
 * turn-taking phase it fills its turn or is shown as out of turn. */
static void apply_post(vn_client *c, vn_group *g, const char *from, const Vn__GroupEvent *ev,
                       const char *text, bool this_session, char *out, size_t cap)
{
    const char *flag = "";
    char where[160] = "";
    bool self = strcmp(from, c->account) == 0;
    if (strcmp(from, g->facilitator) != 0 && !self && !listed(g->accepted, g->naccepted, from))
        flag = " (has not accepted the ground rules)";
    if (self) g->attended = g->attended || this_session;
    const vn_intervision_method *m = vn_group_method(g);
    if (this_session && m && ev->phase < m->nphases) {
        const vn_intervision_phase *ph = &m->phases[ev->phase];
        vn_intervision_part part = vn_group_part(g, from);
        const char *why = NULL;
        bool now = ev->phase == g->phase;
        if (ph->speaker == VN_IV_TURNS && part == VN_IV_MEMBER) {
            uint32_t mine = vn_group_turn_of(g, from);
            if (now && vn_intervision_turn_valid(ev->turn, mine, g->done, g->ndone)) {
                add_done(g, ev->turn);
                snprintf(where, sizeof where, ", %s, turn %u of %zu", ph->title, ev->turn,
                         g->nturns);
            } else {
                snprintf(where, sizeof where, ", %s, OUT OF TURN", ph->title);
            }
        } else if (vn_intervision_may_post(ph, part, 0, 0, &why) != VN_OK) {
            snprintf(where, sizeof where, ", %s, OUT OF TURN: %s", ph->title, why);
        } else {
            snprintf(where, sizeof where, ", %s%s", ph->title, now ? "" : " (an earlier phase)");
        }
    }
    snprintf(out, cap, "[group %.8s%s]%s %s", g->id, where, flag, text ? text : "");
}

/* The facilitator sets the next session: kept, and told as one line. */
static void apply_schedule(vn_group *g, bool by_facilitator, const Vn__GroupEvent *ev, char *out,
                           size_t cap)
{
    int64_t at;
    if (!by_facilitator) {
        snprintf(out, cap, "[group %.8s] a schedule not from its facilitator was ignored", g->id);
        return;
    }
    if (!vn_group_time_parse(ev->next_at, &at)) {
        snprintf(out, cap, "[group %.8s] a schedule with no valid time was ignored", g->id);
        return;
    }
    memcpy(g->next_at, ev->next_at, sizeof g->next_at);
    vn_group_note_copy(g->next_note, ev->next_note);
    snprintf(out, cap, "[group %.8s] next session on %.10s %.5s%s%s%s", g->id, g->next_at,
             g->next_at + 11, g->next_note[0] ? " (" : "", g->next_note,
             g->next_note[0] ? ")" : "");
}

/* Applies ev, sent by `from` at sent_ms, to g; line (may be NULL) gets
 * what it means for this device's user. Steps that only the facilitator
 * may take are ignored from anyone else, and a session's steps only count
 * in that session. */
static void apply(vn_client *c, vn_group *g, const char *from, const Vn__GroupEvent *ev,
                  const char *text, uint64_t sent_ms, char *line, size_t size)
{
    char nb[80], tag[200];
    char *out = line ? line : tag;
    size_t cap = line ? size : sizeof tag;
    bool self = strcmp(from, c->account) == 0;
    bool by_facilitator = strcmp(from, g->facilitator) == 0;
    bool this_session =
        g->in_session && ev->session.len == 16 && memcmp(ev->session.data, g->session, 16) == 0;
    bool steps = ev->kind == VN_GEV_START || ev->kind == VN_GEV_PHASE || ev->kind == VN_GEV_END;
    if (steps && (!by_facilitator || (ev->kind != VN_GEV_START && !this_session))) {
        snprintf(out, cap,
                 "[group %.8s] a session step not from its facilitator, or of another "
                 "session, was ignored",
                 g->id);
        return;
    }
    switch (ev->kind) {
    case VN_GEV_RULES:
        if (!listed(g->accepted, g->naccepted, from) && g->naccepted < VN_GROUP_MAX)
            memcpy(g->accepted[g->naccepted++], from, sizeof g->accepted[0]);
        snprintf(out, cap, "[group %.8s] %s accepted the ground rules", g->id,
                 who(c, from, nb, sizeof nb));
        return;
    case VN_GEV_START:
        /* A schedule that has come is done with; a later one stays. */
        if (g->next_at[0] && !vn_group_next_upcoming(g)) g->next_at[0] = g->next_note[0] = '\0';
        apply_start(c, g, ev, sent_ms, out, cap);
        return;
    case VN_GEV_PHASE:
        apply_phase(c, g, ev, sent_ms, out, cap);
        return;
    case VN_GEV_END:
        apply_end(c, g, self, out, cap);
        return;
    case VN_GEV_SCHEDULE:
        apply_schedule(g, by_facilitator, ev, out, cap);
        return;
    default:
        apply_post(c, g, from, ev, text, this_session, out, cap);
    }
}

vn_err vn_group_post(vn_client *c, vn_group *g, Vn__GroupEvent *ev, const char *text)
{
    vn_err err = prepare_loaded(c, g);
    if (err) return err;
    ev->group = g->id;
    Vn__Content content = VN__CONTENT__INIT;
    content.group_event = ev;
    content.text = (char *)text;
    content.sent_ms = vn_wallclock_ms();
    if ((err = vn_outbox_queue(c, NULL, g->id, &content))) return err;
    apply(c, g, c->account, ev, text, content.sent_ms, NULL, 0);
    if ((err = vn_group_save(c, g))) return err;
    return vn_outbox_flush(c);
}

vn_err vn_group_receive(vn_client *c, const char *from, const char *id, const Vn__Content *content,
                        char *line, size_t size)
{
    vn_group *g = malloc(sizeof *g);
    if (!g) return VN_ENOMEM;
    vn_err err = vn_group_load(c, id, g);
    /* A plain team-style message (vangnet send --case GROUP) is a post in
     * the phase now, claiming no turn: its sender's client checked nothing,
     * so it is placed (and marked out of turn) here. */
    Vn__GroupEvent plain = VN__GROUP_EVENT__INIT;
    const Vn__GroupEvent *ev = content->group_event ? content->group_event : &plain;
    if (err) goto out;
    plain.kind = VN_GEV_POST;
    if (g->in_session) {
        plain.session = (ProtobufCBinaryData){sizeof g->session, g->session};
        plain.phase = g->phase;
    }
    /* Someone new since the roster was read: ask the server once. */
    if (!in_roster(g, from)) vn_group_refresh(c, g);
    if (!in_roster(g, from) || (ev->group && ev->group[0] && strcmp(ev->group, id) != 0))
        snprintf(line, size, "[group %.8s: not from a member of the group, ignored] %s", id,
                 content->text ? content->text : "");
    else
        apply(c, g, from, ev, content->text, content->sent_ms, line, size);
    err = vn_group_save(c, g);
out:
    free(g);
    return err;
}

int vn_group_join_code(vn_client *c, const vn_invite *inv)
{
    Vn__Reply *rep = NULL;
    uint8_t pinned[32];
    size_t n = 0;
    char acc[VN_ACCOUNT_HEX + 1];
    memcpy(acc, c->account, sizeof acc);
    if (vn_client_cfg_get(c, "server_key", pinned, sizeof pinned, &n) || n != 32 ||
        memcmp(pinned, inv->server_key, 32) != 0)
        return vn_client_fail(c, VN_EEXISTS,
                              "this profile has already joined as %s; use another --profile "
                              "(the code is for another server)",
                              acc);
    Vn__GroupJoin gj = VN__GROUP_JOIN__INIT;
    gj.secret = (ProtobufCBinaryData){VN_INVITE_SECRET_LEN, (uint8_t *)inv->secret};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_GROUP_JOIN;
    req.group_join = &gj;
    vn_err err = vn_client_connect(c);
    if (!err) err = vn_conn_call(c->conn, &req, &rep);
    if (err == VN_EINVITE_BAD || err == VN_EDENIED) {
        /* Not a group invite this account can use: most likely a second
         * try of the join that made this profile. */
        char why[256];
        snprintf(why, sizeof why, "%s", vn_conn_error(c->conn, NULL));
        return vn_client_fail(c, VN_EEXISTS,
                              "this profile has already joined as %s; use another --profile "
                              "(as a group invite: %s)",
                              acc, why);
    }
    if (err) return vn_client_fail_call(c, err, "cannot join the group");
    vn_group *g = calloc(1, sizeof *g);
    if (!g) {
        vn_frame_reply_free(rep);
        return vn_client_fail(c, VN_ENOMEM, "out of memory");
    }
    if (rep->body_case != VN__REPLY__BODY_GROUP_INFO) err = VN_EPROTO;
    if (!err && vn_group_load(c, rep->group_info->group, g) == VN_ENOTFOUND)
        memset(g, 0, sizeof *g);
    if (!err) err = vn_group_take_info(g, rep->group_info);
    vn_frame_reply_free(rep);
    if (!err) err = vn_group_save(c, g);
    int rc = EXIT_OK;
    if (err) {
        rc = vn_client_fail(c, err, "joined the group, but cannot keep it: %s", vn_err_str(err));
    } else if (c->json) {
        printf("{\"group\": \"%s\", \"cap\": %u, \"members\": %zu, \"rules_accepted\": false, "
               "\"ground_rules\": ",
               g->id, g->cap, g->nmembers);
        vn_json_str(stdout, vn_intervision_ground_rules());
        printf("}\n");
    } else {
        printf("joined group %s (%zu of at most %u members)\n\nThe ground rules of the "
               "group:\n%s\nAccept them before you post: vangnet group accept-rules %s\n",
               g->id, g->nmembers, g->cap, vn_intervision_ground_rules(), g->id);
    }
    free(g);
    return rc;
}
