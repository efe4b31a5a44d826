/* vn_policy: who may talk to whom (docs/ARCHITECTURE.md), as pure functions over what
 * the server knows of two accounts. Every refusal names the rule, so the
 * error a user sees says why. */
#ifndef VN_POLICY_H
#define VN_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/role.h"
#include "vn/account.h"

/* What the policy needs to know of one account. */
typedef struct vn_party {
    uint8_t account[VN_ACCOUNT_LEN]; /* the account */
    vn_role role;                    /* its role */
    bool in_case;                    /* member of a case (participant, buddy, naaste) */
    bool case_open;                  /* that case is not closed */
    uint8_t case_id[VN_ACCOUNT_LEN]; /* the case, if in_case */
    uint8_t case_cm[VN_ACCOUNT_LEN]; /* the case's casemanager, if in_case */
} vn_party;

/* May from send a 1:1 message to (or fetch the keys of) to? VN_OK or
 * VN_EDENIED; *rule (may be NULL) gets a sentence naming the rule for
 * from's role. The same refusal is given for an unknown account, so the
 * answer never tells whether an account exists. */
vn_err vn_policy_message(const vn_party *from, const vn_party *to, const char **rule);

/* The rule sentence for a role's messaging, as used in refusals. */
const char *vn_policy_rule(vn_role role);

/* Team chat of a case: its participant, casemanager and buddies (not
 * naasten, not the medical lead). */
bool vn_policy_in_team(vn_role role);

/* Intervision groups (docs/GROUPS.md): who may join one as a member (the
 * doctors of the programme: participants), and who may create and run one
 * (a facilitator, or a casemanager acting as one). Members of one group
 * and its facilitator may also reach each other 1:1, which handing out the
 * group's sender keys needs; the server checks that relation in its store,
 * since it is not a property of two accounts alone. */
bool vn_policy_group_member(vn_role role);
bool vn_policy_group_facilitator(vn_role role);

#endif
