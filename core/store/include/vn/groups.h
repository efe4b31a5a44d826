/* vn_groups: intervision and Balint groups as the server knows them: that a
 * group exists, who facilitates it, its size cap, its members (for routing
 * their end-to-end messages) and its open invites. Nothing of a group's
 * method, sessions, phases, presenter or content is ever given to the
 * server: those travel end to end inside the group's conversation. */
#ifndef VN_GROUPS_H
#define VN_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/invite.h"
#include "vn/sstore.h"
#include "vn/account.h"

#define VN_GROUP_CAP_MAX      8  /* the sources advise five to eight members */
#define VN_GROUP_CAP_DEFAULT  5  /* participants asked for at most five, for safety */
#define VN_GROUPS_PER_ACCOUNT 16 /* most groups one account facilitates or belongs to */

/* What the server keeps of one group. */
typedef struct vn_group_info {
    uint8_t id[VN_ACCOUNT_LEN];          /* the group id (random) */
    uint8_t facilitator[VN_ACCOUNT_LEN]; /* who created it and runs it */
    uint8_t cap; /* most members, 1..VN_GROUP_CAP_MAX (facilitator not counted) */
} vn_group_info;

/* Creates a group run by facilitator with cap members at most; info gets
 * it (a fresh random id). VN_EINVAL for a cap outside 1..VN_GROUP_CAP_MAX,
 * VN_ETOOBIG when facilitator is already in VN_GROUPS_PER_ACCOUNT groups. */
vn_err vn_groups_create(vn_sstore *st, const uint8_t facilitator[VN_ACCOUNT_LEN], uint8_t cap,
                        vn_group_info *info);
/* The group id. VN_ENOTFOUND if there is none. */
vn_err vn_groups_get(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_group_info *info);
/* The members of group id (the facilitator not among them) into out, at
 * most max; VN_ETOOBIG if there are more. */
vn_err vn_groups_members(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                         uint8_t (*out)[VN_ACCOUNT_LEN], size_t max, size_t *n);
/* Whether account is a member of group id (the facilitator is not). */
bool vn_groups_is_member(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                         const uint8_t account[VN_ACCOUNT_LEN]);
/* The groups account belongs to or facilitates, into out (at most max). */
vn_err vn_groups_of(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                    uint8_t (*out)[VN_ACCOUNT_LEN], size_t max, size_t *n);
/* Whether a and b are in one group together (as members or facilitator):
 * they may then reach each other, which handing out the group's sender
 * keys needs. */
bool vn_groups_share(vn_sstore *st, const uint8_t a[VN_ACCOUNT_LEN],
                     const uint8_t b[VN_ACCOUNT_LEN]);

/* A one-time invite into group id that expires ttl_ms after now; secret[]
 * gets its secret (only a hash is kept). Expired invites of any group are
 * swept on the way. */
vn_err vn_groups_invite(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], uint64_t now,
                        uint64_t ttl_ms, uint8_t secret[VN_INVITE_SECRET_LEN]);
/* Redeems an invite for account (already registered): adds it to the
 * group and deletes the invite; *info gets the group. VN_EINVITE_BAD
 * (unknown or used), VN_EINVITE_EXPIRED, VN_EEXISTS (already a member or
 * its facilitator; the invite stays), VN_ETOOBIG (the group is at its cap;
 * the invite stays, for when someone leaves), VN_ENOTFOUND (the group was
 * deleted), VN_ETOOBIG also when account is in VN_GROUPS_PER_ACCOUNT
 * groups already. */
vn_err vn_groups_redeem(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN],
                        const uint8_t account[VN_ACCOUNT_LEN], uint64_t now, vn_group_info *info);
/* Takes account out of group id. VN_ENOTFOUND if it is not a member. */
vn_err vn_groups_remove(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                        const uint8_t account[VN_ACCOUNT_LEN]);
/* Deletes group id: its members, its invites and the group. */
vn_err vn_groups_delete(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN]);
/* An account is deleted: it leaves its groups, and the groups it
 * facilitates are deleted. */
vn_err vn_groups_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);

#endif
