#include "vn/role.h"

#include <string.h>

static const char *const names[] = {"none",  "participant", "casemanager",
                                    "buddy", "naaste",      "medical-lead",
                                    "admin", "intake",      "visitor"};

const char *vn_role_name(vn_role role)
{
    if ((int)role < 0 || (size_t)role >= sizeof names / sizeof names[0]) return "none";
    return names[role];
}

vn_err vn_role_parse(const char *name, vn_role *out)
{
    for (size_t i = 1; name && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (vn_role)i;
            return VN_OK;
        }
    }
    return VN_EINVAL;
}
