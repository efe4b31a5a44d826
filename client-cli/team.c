/* Sender keys of a conversation with a roster: the care team of a case
 * (every current member holds our key, nobody who left does), and, through
 * the same code, an intervision group (group.c). */
#include "client.h"
#include "group.h"

#include "vn/frame.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

/* Team members from the server (the care team roster; not audited). */
static vn_err team_roster(vn_client *c, const char *case_id, char (*acc)[VN_ACCOUNT_HEX + 1],
                          size_t max, size_t *n)
{
    Vn__Reply *rep = NULL;
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    cs.case_id = (char *)case_id;
    cs.team_only = true;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_SHOW;
    req.case_show = &cs;
    vn_err err = vn_conn_call(c->conn, &req, &rep);
    if (err) return err;
    const Vn__CaseInfo *ci = rep->case_info;
    *n = 0;
    if (rep->body_case != VN__REPLY__BODY_CASE_INFO) err = VN_EPROTO;
    for (size_t i = 0; !err && i <= ci->n_members; i++) {
        const char *a = i < ci->n_members ? ci->members[i]->account : ci->casemanager;
        if (!vn_account_valid(a))
            err = VN_EPROTO;
        else if (strcmp(a, c->account) == 0)
            continue;
        else if (*n == max)
            err = VN_ETOOBIG;
        else
            memcpy(acc[(*n)++], a, VN_ACCOUNT_HEX + 1);
    }
    vn_frame_reply_free(rep);
    return err;
}

static bool listed(char (*acc)[VN_ACCOUNT_HEX + 1], size_t n, const char *a)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(acc[i], a, VN_ACCOUNT_HEX) == 0) return true;
    return false;
}

/* Makes sure every current team member holds our sender key for the case,
 * and that nobody who left does: if someone left, the key is replaced
 * before anything else is sent, so a removed member cannot read on. A
 * group's id (client-cli/group.h) is prepared from the group's roster the
 * same way. */
vn_err vn_team_prepare(vn_client *c, const char *case_id)
{
    char team[VN_TEAM_MAX][VN_ACCOUNT_HEX + 1];
    size_t nteam = 0;
    if (vn_group_known(c, case_id)) return vn_group_prepare(c, case_id);
    vn_err err = team_roster(c, case_id, team, VN_TEAM_MAX, &nteam);
    if (err) return err;
    return vn_senderkey_prepare(c, case_id, team, nteam);
}

vn_err vn_senderkey_prepare(vn_client *c, const char *id, char (*team)[VN_ACCOUNT_HEX + 1],
                            size_t nteam)
{
    char had[VN_TEAM_MAX][VN_ACCOUNT_HEX + 1];
    size_t nhad = 0, len = 0;
    uint8_t *dist = NULL;
    size_t dlen = 0;
    char *holders = NULL;
    vn_err err = VN_OK;
    if (vn_kv_get(c->kv, CDB_TEAMS, id, VN_ACCOUNT_HEX, (void **)&holders, &len) == VN_OK) {
        for (size_t i = 0; i + VN_ACCOUNT_HEX <= len && nhad < VN_TEAM_MAX; i += VN_ACCOUNT_HEX) {
            memcpy(had[nhad], holders + i, VN_ACCOUNT_HEX);
            had[nhad++][VN_ACCOUNT_HEX] = '\0';
        }
    }
    free(holders);
    bool someone_left = false;
    for (size_t i = 0; i < nhad; i++)
        if (!listed(team, nteam, had[i])) someone_left = true;
    /* Sessions first (network), then one transaction for keys and outbox. */
    for (size_t i = 0; i < nteam; i++) {
        if (vn_e2ee_has_session(c->e2ee, team[i])) continue;
        if ((err = vn_client_start_session(c, team[i]))) return err;
    }
    if ((err = vn_kv_begin(c->kv))) return err;
    if (someone_left) {
        if ((err = vn_e2ee_group_rotate(c->e2ee, id))) goto fail;
        nhad = 0;
    }
    if ((err = vn_e2ee_group_distribution(c->e2ee, id, &dist, &dlen))) goto fail;
    Vn__Content content = VN__CONTENT__INIT;
    content.sender_key = (ProtobufCBinaryData){dlen, dist};
    content.sender_key_case = (char *)id;
    content.text = (char *)"";
    for (size_t i = 0; i < nteam; i++) {
        if (listed(had, nhad, team[i])) continue;
        if ((err = vn_outbox_queue(c, team[i], NULL, &content))) goto fail;
        memcpy(had[nhad++], team[i], VN_ACCOUNT_HEX + 1);
    }
    char buf[VN_TEAM_MAX * VN_ACCOUNT_HEX];
    for (size_t i = 0; i < nhad; i++)
        memcpy(buf + i * VN_ACCOUNT_HEX, had[i], VN_ACCOUNT_HEX);
    if ((err = vn_kv_put(c->kv, CDB_TEAMS, id, VN_ACCOUNT_HEX, buf, nhad * VN_ACCOUNT_HEX)))
        goto out;
    err = vn_kv_commit(c->kv);
    goto out;
fail:
    if (vn_kv_in_txn(c->kv)) vn_kv_abort(c->kv);
out:
    free(dist);
    return err;
}
