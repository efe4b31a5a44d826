/* End-to-end records of a case (test outcomes, clinical states,
 * medication exceptions, the history of an alert): sent to the people who
 * must know and kept on this device. The server never has them. */
#include "client.h"
#include "vn/frame.h"
#include "vn/rand.h"

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
