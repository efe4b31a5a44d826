#include "vn/role.h"

#include <string.h>

/* Indexed by role; a gap (a number not in use) is NULL. */
static const char *const names[] = {
    [VN_ROLE_NONE] = "none",
    [VN_ROLE_PARTICIPANT] = "participant",
    [VN_ROLE_CASEMANAGER] = "casemanager",
    [VN_ROLE_BUDDY] = "buddy",
    [VN_ROLE_NAASTE] = "naaste",
    [VN_ROLE_MEDICAL_LEAD] = "medical-lead",
    [VN_ROLE_ADMIN] = "admin",
    [VN_ROLE_INTAKE] = "intake",
    [VN_ROLE_VISITOR] = "visitor",
    [VN_ROLE_FACILITATOR] = "facilitator",
};

const char *vn_role_name(vn_role role)
{
    if ((int)role < 0 || (size_t)role >= sizeof names / sizeof names[0] || !names[role])
        return "none";
    return names[role];
}

vn_err vn_role_parse(const char *name, vn_role *out)
{
    for (size_t i = 1; name && i < sizeof names / sizeof names[0]; i++) {
        if (names[i] && strcmp(name, names[i]) == 0) {
            *out = (vn_role)i;
            return VN_OK;
        }
    }
    return VN_EINVAL;
}
