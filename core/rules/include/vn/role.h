/* The roles of docs/ARCHITECTURE.md. Stored as one byte; numbers never change. */
#ifndef VN_ROLE_H
#define VN_ROLE_H

#include "vn/err.h"

typedef enum vn_role {
    VN_ROLE_NONE = 0,
    VN_ROLE_PARTICIPANT = 1,
    VN_ROLE_CASEMANAGER = 2,
    VN_ROLE_BUDDY = 3,
    VN_ROLE_NAASTE = 4,
    VN_ROLE_MEDICAL_LEAD = 5,
    VN_ROLE_ADMIN = 6,
    VN_ROLE_INTAKE = 7,      /* programme staff who answer first contacts */
    VN_ROLE_VISITOR = 8,     /* an anonymous first contact (vn/intake.h); never invited */
    VN_ROLE_FACILITATOR = 9, /* runs intervision and Balint groups (docs/GROUPS.md) */
} vn_role;

/* "participant", ...; "none" for anything unknown. */
const char *vn_role_name(vn_role role);
/* VN_EINVAL for a name that is not a role. */
vn_err vn_role_parse(const char *name, vn_role *out);

#endif
