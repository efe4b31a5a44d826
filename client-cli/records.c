/* End-to-end records of a case (test outcomes, clinical states,
 * medication exceptions, the history of an alert): sent to the people who
 * must know and kept on this device. The server never has them. */
#include "client.h"
#include "vn/frame.h"
#include "vn/rand.h"

#include "report.h"

#include <string.h>

/* Queues content for account `to`, starting a session first if needed. */
static vn_err queue_to(vn_client *c, const char *to, const Vn__Content *content)
{
    vn_err err = VN_OK;
    if (strcmp(to, c->account) == 0) return VN_OK; /* kept locally already */
    if (!vn_e2ee_has_session(c->e2ee, to)) err = vn_client_start_session(c, to);
    return err ? err : vn_outbox_queue(c, to, NULL, content);
}

static bool is_medical_lead(vn_client *c)
{
    char role[32] = "";
    size_t n = 0;
    vn_client_cfg_get(c, "role", role, sizeof role - 1, &n);
    role[n] = '\0';
    return strcmp(role, "medical-lead") == 0;
}

/* The read of a case a record needs: a medical lead is not in the care
 * team and reads the whole case instead (which the participant's audit log
 * shows); everyone else reads the team roster. */
static void roster_request(bool lead, Vn__CaseShow *cs, Vn__Request *req, const char *case_id)
{
    cs->case_id = (char *)case_id;
    cs->team_only = !lead;
    req->body_case = VN__REQUEST__BODY_CASE_SHOW;
    req->case_show = cs;
}

/* The people of the case, for sending; prints the error on failure. */
static int roster(vn_client *c, bool lead, const char *case_id, Vn__Reply **rep)
{
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    roster_request(lead, &cs, &req, case_id);
    return vn_client_call(c, &req, VN__REPLY__BODY_CASE_INFO, "cannot read the case", rep);
}

vn_err vn_client_record_roster(vn_client *c, const char *case_id, Vn__Reply **rep)
{
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    roster_request(is_medical_lead(c), &cs, &req, case_id);
    vn_err err = vn_client_connect(c);
    if (!err) err = vn_conn_call(c->conn, &req, rep);
    if (!err && (*rep)->body_case != VN__REPLY__BODY_CASE_INFO) {
        vn_frame_reply_free(*rep);
        *rep = NULL;
        err = VN_EPROTO;
    }
    return err;
}

/* The role `who` has in the case, as the roster tells it, or NULL. */
static const char *role_in(const Vn__CaseInfo *ci, const char *who)
{
    if (ci->casemanager && strcmp(ci->casemanager, who) == 0) return "casemanager";
    for (size_t i = 0; i < ci->n_members; i++)
        if (ci->members[i]->account && strcmp(ci->members[i]->account, who) == 0)
            return ci->members[i]->role;
    for (size_t i = 0; i < ci->n_medical_leads; i++)
        if (strcmp(ci->medical_leads[i], who) == 0) return "medical-lead";
    return NULL;
}

bool vn_client_record_author_ok(const Vn__CaseInfo *ci, const Vn__RecordNote *rn, const char *from,
                                char *why, size_t size)
{
    const char *kind = rn->kind ? rn->kind : "";
    const char *role = role_in(ci, from);
    bool alert = strcmp(kind, "alert") == 0;
    const char *what = alert                             ? "alert histories"
                       : strcmp(kind, "test") == 0       ? "tests"
                       : strcmp(kind, "state") == 0      ? "clinical states"
                       : strcmp(kind, "medication") == 0 ? "medication exceptions"
                                                         : NULL;
    if (!what) {
        snprintf(why, size, "there is no kind of record called %.20s", kind);
        return false;
    }
    /* The casemanager records everything of its case; an alert is also
     * acknowledged by a buddy who took it or a medical lead it climbed to,
     * who then send its history. The participant records nothing. */
    if (ci->casemanager && strcmp(ci->casemanager, from) == 0) return true;
    if (alert && role && (strcmp(role, "buddy") == 0 || strcmp(role, "medical-lead") == 0))
        return true;
    snprintf(why, size, "%s may not record %s for case %.8s",
             !role                               ? "someone outside its care team"
             : strcmp(role, "participant") == 0  ? "the participant"
             : strcmp(role, "buddy") == 0        ? "a buddy"
             : strcmp(role, "naaste") == 0       ? "a naaste"
             : strcmp(role, "medical-lead") == 0 ? "a medical lead"
                                                 : "this sender",
             what, rn->case_id ? rn->case_id : "");
    return false;
}

int vn_client_send_record(vn_client *c, const Vn__RecordNote *rn, bool to_casemanager,
                          const char *failed)
{
    Vn__Reply *rep = NULL;
    uint8_t id[16];
    bool lead = is_medical_lead(c); /* a role read once per record */
    int rc = roster(c, lead, rn->case_id, &rep);
    if (rc) return rc;
    Vn__Content content = VN__CONTENT__INIT;
    content.text = "";
    content.record = (Vn__RecordNote *)rn;
    vn_err err = vn_rand_bytes(id, sizeof id);
    if (!err) err = vn_client_keep_record(c, rn, id);
    const Vn__CaseInfo *ci = rep->case_info;
    /* A medical lead writes to casemanagers only: the casemanager passes
     * it on. */
    for (size_t i = 0; !err && !lead && i < ci->n_members; i++)
        if (strcmp(ci->members[i]->role, "participant") == 0)
            err = queue_to(c, ci->members[i]->account, &content);
    /* The medical leads are listed to the casemanager only. */
    for (size_t i = 0; !err && i < ci->n_medical_leads; i++)
        err = queue_to(c, ci->medical_leads[i], &content);
    if (!err && (to_casemanager || lead) && ci->casemanager && ci->casemanager[0])
        err = queue_to(c, ci->casemanager, &content);
    vn_frame_reply_free(rep);
    if (!err) err = vn_outbox_flush(c);
    return err ? vn_client_fail_call(c, err, failed) : EXIT_OK;
}

/* The record kinds of which a case has one per day: a new one replaces
 * the earlier (vn_client_keep_record), as a correction. */
static bool one_per_day(const char *kind)
{
    return kind && (strcmp(kind, "test") == 0 || strcmp(kind, "state") == 0 ||
                    strcmp(kind, "medication") == 0);
}

struct previous {
    const char *kind;      /* the kind looked for */
    Vn__RecordNote *found; /* the last record of that kind under the prefix */
};

static vn_err previous_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct previous *p = ud;
    (void)k;
    (void)kl;
    (void)stop;
    Vn__RecordNote *r = vn__record_note__unpack(NULL, vl, v);
    if (!r) return VN_OK;
    /* The prefix ends with the kind: "state" must not take a "states". */
    if (r->kind && strcmp(r->kind, p->kind) == 0) {
        if (p->found) vn__record_note__free_unpacked(p->found, NULL);
        p->found = r;
        return VN_OK;
    }
    vn__record_note__free_unpacked(r, NULL);
    return VN_OK;
}

vn_err vn_client_record_previous(vn_client *c, const char *case_id, const char *date,
                                 const char *kind, Vn__RecordNote **prev)
{
    char key[VN_ACCOUNT_HEX + 10 + 32];
    *prev = NULL;
    if (!one_per_day(kind) || !case_id || !date) return VN_ENOTFOUND;
    int n = snprintf(key, sizeof key, "%.32s%.10s%.31s", case_id, date, kind);
    if (n < 0 || (size_t)n >= sizeof key) return VN_EINVAL;
    struct previous p = {kind, NULL};
    vn_err err = vn_kv_each(c->kv, CDB_RECORDS, key, (size_t)n, previous_cb, &p);
    if (err) {
        if (p.found) vn__record_note__free_unpacked(p.found, NULL);
        return err;
    }
    *prev = p.found;
    return p.found ? VN_OK : VN_ENOTFOUND;
}

const char *vn_client_record_outcome(const Vn__RecordNote *rn, char *out, size_t size)
{
    const char *result = rn->result ? rn->result : "";
    if (rn->kind && strcmp(rn->kind, "test") == 0) {
        vn_test_state s = vn_test_state_of(result, rn->confirmed);
        if (s != VN_TEST_NONE) result = vn_test_state_name(s);
    }
    snprintf(out, size, "%s", result);
    return out;
}

void vn_client_record_line(const Vn__RecordNote *rn, char *line, size_t size)
{
    const char *kind = rn->kind ? rn->kind : "", *result = rn->result ? rn->result : "";
    const char *shown = result, *after = "";
    char now[64];
    if (strcmp(kind, "test") == 0) {
        /* A positive is not a result until it is confirmed: every reader
         * sees which it is. */
        vn_test_state s = vn_test_state_of(result, rn->confirmed);
        if (s == VN_TEST_POSITIVE_PENDING) {
            shown = "positive";
            after = " (pending confirmation: not a result until the casemanager confirms it)";
        } else if (s == VN_TEST_POSITIVE_CONFIRMED) {
            shown = "positive";
            after = " (confirmed)";
        }
    } else if (rn->confirmed) {
        after = " (confirmed)";
    }
    int o =
        snprintf(line, size, "[record] %s %s: %s%s", kind, rn->date ? rn->date : "", shown, after);
    if (o < 0 || (size_t)o >= size) return;
    if (rn->corrects && rn->corrects[0]) {
        int w = snprintf(line + o, size - (size_t)o, " (correction: %s -> %s)", rn->corrects,
                         vn_client_record_outcome(rn, now, sizeof now));
        if (w < 0 || (size_t)w >= size - (size_t)o) return;
        o += w;
    }
    if (rn->note && rn->note[0]) snprintf(line + o, size - (size_t)o, " - %s", rn->note);
}
