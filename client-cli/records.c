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

/* The people of the case. A medical lead is not in the care team and
 * reads the whole case instead (which the participant's audit log shows). */
static int roster(vn_client *c, const char *case_id, Vn__Reply **rep)
{
    if (!is_medical_lead(c)) return vn_client_roster(c, case_id, rep);
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    cs.case_id = (char *)case_id;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_SHOW;
    req.case_show = &cs;
    return vn_client_call(c, &req, VN__REPLY__BODY_CASE_INFO, "cannot read the case", rep);
}

int vn_client_send_record(vn_client *c, const Vn__RecordNote *rn, bool to_casemanager,
                          const char *failed)
{
    Vn__Reply *rep = NULL;
    uint8_t id[16];
    int rc = roster(c, rn->case_id, &rep);
    if (rc) return rc;
    Vn__Content content = VN__CONTENT__INIT;
    content.text = "";
    content.record = (Vn__RecordNote *)rn;
    vn_err err = vn_rand_bytes(id, sizeof id);
    if (!err) err = vn_client_keep_record(c, rn, id);
    const Vn__CaseInfo *ci = rep->case_info;
    /* A medical lead writes to casemanagers only: the casemanager passes
     * it on. */
    bool lead = is_medical_lead(c);
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
