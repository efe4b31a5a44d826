/* Announcements: the server's notices about people leaving a case, a case
 * changing hands, closing and reopening (handlers_case.c). Each carries
 * only ids, a role, kinds and days the server keeps anyway (docs/METADATA.md),
 * like every other notice; names and reasons stay with the clients. */
#ifndef VN_ANNOUNCE_H
#define VN_ANNOUNCE_H

#include "server.h"

/* Who in a case hears about one member and what it knows of them,
 * gathered while that member is still in the case: the casemanager, and
 * every other member who may message the leaver or be messaged by them
 * (core/rules policy), so a buddy leaving is told to the participant and
 * the other buddies, a participant leaving to everyone in the case. */
typedef struct vn_announce_audience {
    uint8_t to[VN_CASE_MEMBERS_MAX + 1][VN_ACCOUNT_LEN]; /* the recipients */
    size_t n;                                            /* how many */
    vn_role role;                                        /* the leaver's role in the case */
    vn_case_info ci;                                     /* the case */
} vn_announce_audience;

/* Fills *aud for account leaving case ci. VN_ENOTFOUND if account is not
 * one of its members. */
vn_err vn_announce_audience_of(vn_server *srv, const vn_case_info *ci,
                               const uint8_t account[VN_ACCOUNT_LEN], vn_announce_audience *aud);

/* Tells the audience that account left (kind "member-left": deleted their
 * account; the notice names its role, never the deleted account) or was
 * removed ("member-removed"); a removed member also hears it
 * ("removed-from-case"). Call after the change, in its transaction. */
vn_err vn_announce_leaving(vn_server *srv, const vn_announce_audience *aud,
                           const uint8_t account[VN_ACCOUNT_LEN], const char *kind,
                           bool tell_leaver);

/* Tells the casemanager(s) and every member of ci about the case itself:
 * "casemanager-changed" (previous is the one before; both hear it),
 * "case-closed" (until: the last day it can be reopened), "case-reopened". */
vn_err vn_announce_case(vn_server *srv, const vn_case_info *ci, const char *kind,
                        const uint8_t *previous, const char *until);

#endif
