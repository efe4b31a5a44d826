/* An intervision group's state on this device: kept in CDB_GROUPS as a
 * packed GroupLocal (sealed with the rest of the profile), read into a
 * plain vn_group and written back. */
#include "group.h"

#include "vn/frame.h"
#include "vn/wallclock.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

bool vn_group_known(vn_client *c, const char *id)
{
    return vn_account_valid(id) && vn_kv_has(c->kv, CDB_GROUPS, id, VN_ACCOUNT_HEX);
}

/* Copies up to max valid account ids from src into dst. */
static size_t take_ids(vn_acc *dst, size_t max, char **src, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++)
        if (vn_account_valid(src[i])) memcpy(dst[k++], src[i], VN_ACCOUNT_HEX + 1);
    return k;
}

static void take_bytes(uint8_t out[16], const ProtobufCBinaryData *b)
{
    memset(out, 0, 16);
    if (b->len == 16) memcpy(out, b->data, 16);
}

vn_err vn_group_load(vn_client *c, const char *id, vn_group *g)
{
    void *v = NULL;
    size_t n = 0;
    memset(g, 0, sizeof *g);
    if (!vn_account_valid(id)) return VN_EINVAL;
    vn_err err = vn_kv_get(c->kv, CDB_GROUPS, id, VN_ACCOUNT_HEX, &v, &n);
    if (err) return err;
    Vn__GroupLocal *l = vn__group_local__unpack(NULL, n, v);
    free(v);
    if (!l) return VN_ESTORE;
    memcpy(g->id, id, VN_ACCOUNT_HEX + 1);
    if (vn_account_valid(l->facilitator_account))
        memcpy(g->facilitator, l->facilitator_account, VN_ACCOUNT_HEX + 1);
    g->cap = l->cap;
    g->nmembers = take_ids(g->members, VN_GROUP_MAX, l->members, l->n_members);
    g->rules_accepted = l->rules_accepted;
    g->count_attendance = l->count_attendance;
    g->naccepted = take_ids(g->accepted, VN_GROUP_MAX, l->accepted, l->n_accepted);
    g->in_session = l->session.len == 16;
    take_bytes(g->session, &l->session);
    snprintf(g->method, sizeof g->method, "%s", l->method);
    if (vn_account_valid(l->presenter)) memcpy(g->presenter, l->presenter, VN_ACCOUNT_HEX + 1);
    g->nturns = take_ids(g->turns, VN_GROUP_MAX, l->turns, l->n_turns);
    g->phase = l->phase;
    g->minutes = l->minutes;
    g->phase_started_ms = l->phase_started_ms;
    g->session_started_ms = l->session_started_ms;
    for (size_t i = 0; i < l->n_turns_done && g->ndone < VN_IV_TURNS_MAX; i++)
        g->done[g->ndone++] = l->turns_done[i];
    g->attended = l->attended;
    g->sessions = l->sessions;
    g->has_plan = l->plan_ms != 0;
    snprintf(g->plan, sizeof g->plan, "%s", l->plan);
    g->plan_ms = l->plan_ms;
    take_bytes(g->plan_session, &l->plan_session);
    for (size_t i = 0; i < l->n_pending_attendance && g->npending < VN_GROUP_PENDING; i++)
        snprintf(g->pending[g->npending++], sizeof g->pending[0], "%s", l->pending_attendance[i]);
    int64_t at;
    if (vn_group_time_parse(l->next_at, &at)) {
        memcpy(g->next_at, l->next_at, sizeof g->next_at);
        vn_group_note_copy(g->next_note, l->next_note);
    }
    vn__group_local__free_unpacked(l, NULL);
    return VN_OK;
}

vn_err vn_group_save(vn_client *c, const vn_group *g)
{
    char *members[VN_GROUP_MAX], *accepted[VN_GROUP_MAX], *turns[VN_GROUP_MAX];
    char *pending[VN_GROUP_PENDING];
    Vn__GroupLocal l = VN__GROUP_LOCAL__INIT;
    l.group = (char *)g->id;
    l.facilitator = strcmp(g->facilitator, c->account) == 0;
    l.facilitator_account = (char *)g->facilitator;
    l.cap = g->cap;
    for (size_t i = 0; i < g->nmembers; i++)
        members[i] = (char *)g->members[i];
    l.members = members;
    l.n_members = g->nmembers;
    l.rules_accepted = g->rules_accepted;
    l.count_attendance = g->count_attendance;
    for (size_t i = 0; i < g->naccepted; i++)
        accepted[i] = (char *)g->accepted[i];
    l.accepted = accepted;
    l.n_accepted = g->naccepted;
    if (g->in_session) l.session = (ProtobufCBinaryData){16, (uint8_t *)g->session};
    l.method = (char *)g->method;
    l.presenter = (char *)g->presenter;
    for (size_t i = 0; i < g->nturns; i++)
        turns[i] = (char *)g->turns[i];
    l.turns = turns;
    l.n_turns = g->nturns;
    l.phase = g->phase;
    l.minutes = g->minutes;
    l.phase_started_ms = g->phase_started_ms;
    l.session_started_ms = g->session_started_ms;
    l.turns_done = (uint32_t *)g->done;
    l.n_turns_done = g->ndone;
    l.attended = g->attended;
    l.sessions = g->sessions;
    if (g->has_plan) {
        l.plan = (char *)g->plan;
        l.plan_ms = g->plan_ms;
        l.plan_session = (ProtobufCBinaryData){16, (uint8_t *)g->plan_session};
    }
    for (size_t i = 0; i < g->npending; i++)
        pending[i] = (char *)g->pending[i];
    l.pending_attendance = pending;
    l.n_pending_attendance = g->npending;
    l.next_at = (char *)g->next_at;
    l.next_note = (char *)g->next_note;
    size_t n = vn__group_local__get_packed_size(&l);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return VN_ENOMEM;
    vn__group_local__pack(&l, buf);
    vn_err err = vn_kv_put(c->kv, CDB_GROUPS, g->id, VN_ACCOUNT_HEX, buf, n);
    explicit_bzero(buf, n);
    free(buf);
    return err;
}

vn_err vn_group_forget(vn_client *c, const char *id)
{
    vn_err err = vn_kv_begin(c->kv);
    if (err) return err;
    if ((err = vn_e2ee_group_rotate(c->e2ee, id)) ||
        ((err = vn_kv_del(c->kv, CDB_TEAMS, id, VN_ACCOUNT_HEX)) && err != VN_ENOTFOUND) ||
        ((err = vn_kv_del(c->kv, CDB_GROUPS, id, VN_ACCOUNT_HEX)) && err != VN_ENOTFOUND)) {
        if (vn_kv_in_txn(c->kv)) vn_kv_abort(c->kv);
        return err;
    }
    return vn_kv_commit(c->kv);
}

vn_err vn_group_take_info(vn_group *g, const Vn__GroupInfo *gi)
{
    if (!vn_account_valid(gi->group) || !vn_account_valid(gi->facilitator) ||
        gi->n_members > VN_GROUP_MAX)
        return VN_EPROTO;
    memcpy(g->id, gi->group, VN_ACCOUNT_HEX + 1);
    memcpy(g->facilitator, gi->facilitator, VN_ACCOUNT_HEX + 1);
    g->cap = gi->cap;
    g->nmembers = take_ids(g->members, VN_GROUP_MAX, gi->members, gi->n_members);
    return g->nmembers == gi->n_members ? VN_OK : VN_EPROTO;
}

vn_err vn_group_refresh(vn_client *c, vn_group *g)
{
    Vn__Reply *rep = NULL;
    Vn__GroupShow gs = VN__GROUP_SHOW__INIT;
    gs.group = g->id;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_GROUP_SHOW;
    req.group_show = &gs;
    vn_err err = vn_client_connect(c);
    if (!err) err = vn_conn_call(c->conn, &req, &rep);
    if (!err && rep->body_case != VN__REPLY__BODY_GROUP_INFO) err = VN_EPROTO;
    if (!err) err = vn_group_take_info(g, rep->group_info);
    vn_frame_reply_free(rep);
    return err ? err : vn_group_save(c, g);
}

const vn_intervision_method *vn_group_method(const vn_group *g)
{
    return g->in_session ? vn_intervision_method_find(g->method) : NULL;
}

vn_intervision_part vn_group_part(const vn_group *g, const char *account)
{
    if (strcmp(account, g->facilitator) == 0) return VN_IV_FACILITATOR;
    if (strcmp(account, g->presenter) == 0) return VN_IV_PRESENTER_PART;
    return VN_IV_MEMBER;
}

uint32_t vn_group_turn_of(const vn_group *g, const char *account)
{
    for (size_t i = 0; i < g->nturns; i++)
        if (strcmp(g->turns[i], account) == 0) return (uint32_t)(i + 1);
    return 0;
}

bool vn_group_time_parse(const char *s, int64_t *out_s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd";
    if (!s || strlen(s) != sizeof shape - 1) return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i]) return false;
    int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8), h = atoi(s + 11), mi = atoi(s + 14);
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_isdst = -1};
    time_t t = mktime(&tm);
    /* mktime moves 30 February to March and 25:00 to the next day: a
     * time it had to move is not a real one (nor one in a DST gap). */
    if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
        tm.tm_hour != h || tm.tm_min != mi)
        return false;
    *out_s = (int64_t)t;
    return true;
}

bool vn_group_next_upcoming(const vn_group *g)
{
    int64_t at;
    return vn_group_time_parse(g->next_at, &at) && at * 1000 > (int64_t)vn_wallclock_ms();
}

void vn_group_note_copy(char *out, const char *note)
{
    size_t n = note ? strlen(note) : 0;
    if (n > VN_GROUP_NOTE_MAX) {
        n = VN_GROUP_NOTE_MAX;
        /* Not in the middle of a UTF-8 character. */
        while (n > 0 && ((unsigned char)note[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)note[i];
        bool c1 = b == 0xC2 && i + 1 < n && (unsigned char)note[i + 1] >= 0x80 &&
                  (unsigned char)note[i + 1] <= 0x9F;
        if (c1) {
            out[i] = out[i + 1] = '?';
            i++;
            continue;
        }
        out[i] = b < 0x20 || b == 0x7F ? '?' : (char)b;
    }
    out[n] = '\0';
}
