/* Announcements to the people a change in a case affects. The notices are
 * stored in the open transaction (vn_server_notify) and pushed once it
 * commits, so a change that is undone announces nothing. */
#include "announce.h"

#include "vn/hex.h"
#include "vn/policy.h"

#include <string.h>

/* A member of ci as the policy sees it while the case is open. */
static void party_of(const vn_case_info *ci, const vn_member *m, vn_party *p)
{
    memset(p, 0, sizeof *p);
    memcpy(p->account, m->account, VN_ACCOUNT_LEN);
    p->role = m->role;
    p->in_case = true;
    p->case_open = true;
    memcpy(p->case_id, ci->id, VN_ACCOUNT_LEN);
    memcpy(p->case_cm, ci->casemanager, VN_ACCOUNT_LEN);
}

vn_err vn_announce_audience_of(vn_server *srv, const vn_case_info *ci,
                               const uint8_t account[VN_ACCOUNT_LEN], vn_announce_audience *aud)
{
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t n = 0;
    const vn_member *leaver = NULL;
    vn_err err = vn_cases_members(vn_server_store(srv), ci->id, m, VN_CASE_MEMBERS_MAX, &n);
    if (err) return err;
    for (size_t i = 0; i < n && !leaver; i++)
        if (memcmp(m[i].account, account, VN_ACCOUNT_LEN) == 0) leaver = &m[i];
    if (!leaver) return VN_ENOTFOUND;
    memset(aud, 0, sizeof *aud);
    aud->ci = *ci;
    aud->role = leaver->role;
    memcpy(aud->to[aud->n++], ci->casemanager, VN_ACCOUNT_LEN);
    vn_party who, other;
    party_of(ci, leaver, &who);
    for (size_t i = 0; i < n; i++) {
        if (&m[i] == leaver) continue;
        party_of(ci, &m[i], &other);
        /* Either way round: a naaste hears that the participant left,
         * though only the participant may write to them. */
        if (vn_policy_message(&other, &who, NULL) == VN_OK ||
            vn_policy_message(&who, &other, NULL) == VN_OK)
            memcpy(aud->to[aud->n++], m[i].account, VN_ACCOUNT_LEN);
    }
    return VN_OK;
}

vn_err vn_announce_leaving(vn_server *srv, const vn_announce_audience *aud,
                           const uint8_t account[VN_ACCOUNT_LEN], const char *kind,
                           bool tell_leaver)
{
    char case_hex[VN_ACCOUNT_HEX + 1], who_hex[VN_ACCOUNT_HEX + 1];
    vn_hex_encode(aud->ci.id, VN_ACCOUNT_LEN, case_hex);
    vn_hex_encode(account, VN_ACCOUNT_LEN, who_hex);
    Vn__Notice n = VN__NOTICE__INIT;
    n.kind = (char *)kind;
    n.case_id = case_hex;
    /* A deleted account leaves no trace, not even in these notices: they
     * name its role only (the roster shows who is left). */
    n.account = strcmp(kind, "member-left") == 0 ? "" : who_hex;
    n.role = (char *)vn_role_name(aud->role);
    vn_err err = VN_OK;
    for (size_t i = 0; !err && i < aud->n; i++)
        err = vn_server_notify(srv, aud->to[i], &n);
    if (err || !tell_leaver) return err;
    n.kind = "removed-from-case";
    return vn_server_notify(srv, account, &n);
}

vn_err vn_announce_case(vn_server *srv, const vn_case_info *ci, const char *kind,
                        const uint8_t *previous, const char *until)
{
    char case_hex[VN_ACCOUNT_HEX + 1], cm_hex[VN_ACCOUNT_HEX + 1], prev_hex[VN_ACCOUNT_HEX + 1];
    vn_member m[VN_CASE_MEMBERS_MAX];
    size_t count = 0;
    vn_err err = vn_cases_members(vn_server_store(srv), ci->id, m, VN_CASE_MEMBERS_MAX, &count);
    if (err) return err;
    vn_hex_encode(ci->id, VN_ACCOUNT_LEN, case_hex);
    vn_hex_encode(ci->casemanager, VN_ACCOUNT_LEN, cm_hex);
    Vn__Notice n = VN__NOTICE__INIT;
    n.kind = (char *)kind;
    n.case_id = case_hex;
    n.account = cm_hex;
    n.role = (char *)vn_role_name(VN_ROLE_CASEMANAGER);
    if (previous) {
        vn_hex_encode(previous, VN_ACCOUNT_LEN, prev_hex);
        n.previous = prev_hex;
    }
    if (until) n.reopen_until = (char *)until;
    err = vn_server_notify(srv, ci->casemanager, &n);
    if (!err && previous && memcmp(previous, ci->casemanager, VN_ACCOUNT_LEN) != 0)
        err = vn_server_notify(srv, previous, &n);
    for (size_t i = 0; !err && i < count; i++)
        err = vn_server_notify(srv, m[i].account, &n);
    return err;
}
