#include "vn/policy.h"
#include "vn/account.h"

#include <string.h>

const char *vn_policy_rule(vn_role role)
{
    switch (role) {
    case VN_ROLE_PARTICIPANT:
        return "a participant may message their own casemanager, buddies and naasten";
    case VN_ROLE_CASEMANAGER:
        return "a casemanager may message the participants, buddies and naasten of their own "
               "cases, and medical leads";
    case VN_ROLE_BUDDY:
        return "a buddy may message the participant, the casemanager and the other buddies of "
               "their own case";
    case VN_ROLE_NAASTE:
        return "a naaste may message only the casemanager of their case";
    case VN_ROLE_MEDICAL_LEAD:
        return "a medical lead may message casemanagers";
    case VN_ROLE_ADMIN:
        return "an admin has no message access";
    case VN_ROLE_INTAKE:
        return "intake staff may message anonymous first contacts (visitors)";
    case VN_ROLE_VISITOR:
        return "an anonymous first contact may message only the programme's intake staff";
    case VN_ROLE_FACILITATOR:
        return "a facilitator may message only the members of their own groups";
    default:
        return "this account has no role that may send messages";
    }
}

static bool same_case(const vn_party *a, const vn_party *b)
{
    return a->in_case && b->in_case && a->case_open && b->case_open &&
           memcmp(a->case_id, b->case_id, VN_ACCOUNT_LEN) == 0;
}

/* Is cm the casemanager of member's (open) case? */
static bool manages(const vn_party *cm, const vn_party *member)
{
    return cm->role == VN_ROLE_CASEMANAGER && member->in_case && member->case_open &&
           memcmp(member->case_cm, cm->account, VN_ACCOUNT_LEN) == 0;
}

static bool allowed(const vn_party *f, const vn_party *t)
{
    if (memcmp(f->account, t->account, VN_ACCOUNT_LEN) == 0) return false;
    switch (f->role) {
    case VN_ROLE_PARTICIPANT:
        return manages(t, f) ||
               ((t->role == VN_ROLE_BUDDY || t->role == VN_ROLE_NAASTE) && same_case(f, t));
    case VN_ROLE_CASEMANAGER:
        return t->role == VN_ROLE_MEDICAL_LEAD ||
               ((t->role == VN_ROLE_PARTICIPANT || t->role == VN_ROLE_BUDDY ||
                 t->role == VN_ROLE_NAASTE) &&
                manages(f, t));
    case VN_ROLE_BUDDY:
        return manages(t, f) ||
               ((t->role == VN_ROLE_PARTICIPANT || t->role == VN_ROLE_BUDDY) && same_case(f, t));
    case VN_ROLE_NAASTE:
        return manages(t, f);
    case VN_ROLE_MEDICAL_LEAD:
        return t->role == VN_ROLE_CASEMANAGER;
    /* First contact: no case, no names; the two reach each other only. How
     * many intake staff one visitor talks with is bounded by the server
     * (vn/intake.h), which knows the visitor's conversations. */
    case VN_ROLE_INTAKE:
        return t->role == VN_ROLE_VISITOR;
    case VN_ROLE_VISITOR:
        return t->role == VN_ROLE_INTAKE;
    default:
        return false;
    }
}

vn_err vn_policy_message(const vn_party *from, const vn_party *to, const char **rule)
{
    if (rule) *rule = vn_policy_rule(from->role);
    return allowed(from, to) ? VN_OK : VN_EDENIED;
}

bool vn_policy_in_team(vn_role role)
{
    return role == VN_ROLE_PARTICIPANT || role == VN_ROLE_CASEMANAGER || role == VN_ROLE_BUDDY;
}

bool vn_policy_group_member(vn_role role)
{
    return role == VN_ROLE_PARTICIPANT;
}

bool vn_policy_group_facilitator(vn_role role)
{
    return role == VN_ROLE_FACILITATOR || role == VN_ROLE_CASEMANAGER;
}
