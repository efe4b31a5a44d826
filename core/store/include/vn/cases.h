/* vn_cases: the care network in the server store. A case is one
 * participant's network: its casemanager, the participant, buddies and
 * naasten. The server keeps only ids, roles, times and the lifecycle state
 * (see docs/METADATA.md); names and content live in clients. Who someone
 * is in a case (vn_lifecycle_party), deleting an account and purging a
 * closed case span other tables too: see vn/lifecycle.h.
 *
 * All functions take the server store and join its open write transaction. */
#ifndef VN_CASES_H
#define VN_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/role.h"
#include "vn/kv.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* Most members one case can have (participant, buddies, naasten); the
 * server's fixed buffers are sized for it. */
#define VN_CASE_MEMBERS_MAX 63

typedef enum vn_case_state {
    VN_CASE_INTAKE = 1, /* created, no signed contract yet */
    VN_CASE_ACTIVE = 2, /* under a signed contract */
    VN_CASE_CLOSED = 3, /* closed; purged after the retention period */
    VN_CASE_COMPLETED =
        4, /* the contract ran its course; purged after retention like a closed case */
} vn_case_state;

typedef struct vn_case_info {
    uint8_t id[VN_ACCOUNT_LEN]; /* case id (random) */
    uint8_t casemanager[VN_ACCOUNT_LEN];
    vn_case_state state;
    uint64_t created_ms, closed_ms; /* closed_ms is 0 while open */
} vn_case_info;

typedef struct vn_member {
    uint8_t account[VN_ACCOUNT_LEN];
    vn_role role;
    uint64_t added_ms;
} vn_member;

/* "intake", "active", "closed". */
const char *vn_cases_state_name(vn_case_state state);

/* Creates a case managed by cm; *info gets it. */
vn_err vn_cases_create(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN], uint64_t now,
                       vn_case_info *info);
/* VN_ENOTFOUND if there is no such case. */
vn_err vn_cases_get(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_case_info *info);
/* Adds account with role to an open case (VN_EDENIED if closed). */
vn_err vn_cases_add_member(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                           const uint8_t account[VN_ACCOUNT_LEN], vn_role role, uint64_t now);
/* Removes account from the case. VN_ENOTFOUND if it is not a member. */
vn_err vn_cases_remove_member(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                              const uint8_t account[VN_ACCOUNT_LEN]);
/* The case account belongs to; VN_ENOTFOUND if none. */
vn_err vn_cases_of(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                   uint8_t id[VN_ACCOUNT_LEN]);
/* Up to max members into out[]; *n gets the count (VN_ETOOBIG if more). */
vn_err vn_cases_members(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_member *out, size_t max,
                        size_t *n);
/* Hands the case to another casemanager. */
vn_err vn_cases_reassign(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN],
                         const uint8_t new_cm[VN_ACCOUNT_LEN]);
/* Sets the lifecycle state; closing records the time. */
vn_err vn_cases_set_state(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN], vn_case_state state,
                          uint64_t now);
/* Number of open cases managed by cm. */
vn_err vn_cases_count_open(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN], size_t *n);
/* Calls fn for every case managed by cm. */
typedef vn_err (*vn_cases_fn)(void *ud, const vn_case_info *info);
vn_err vn_cases_each_managed(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN], vn_cases_fn fn,
                             void *ud);

/* Up to max cases in state into out[] (in id order); *n gets the count.
 * Stops at max without an error: the caller takes the next ones later. */
vn_err vn_cases_list(vn_sstore *st, vn_case_state state, vn_case_info *out, size_t max, size_t *n);
/* Calls fn for every case in state (in id order), however many: one walk
 * of the table, where vn_cases_list would need a buffer for all. */
vn_err vn_cases_each_in_state(vn_sstore *st, vn_case_state state, vn_cases_fn fn, void *ud);
/* Every case, in bounded steps (vn_kv_each_from): reads at most max case
 * records after *pos and calls fn for each, whatever its state, in an
 * order that means nothing (the ids' keyed hashes); pos->done once all are
 * read. Unlike the calls above it never reads the whole table at once, so
 * a caller can spread a walk of any number of cases over many turns. */
vn_err vn_cases_each_from(vn_sstore *st, vn_kv_pos *pos, size_t max, vn_cases_fn fn, void *ud);
/* Up to max closed or completed cases that ended before cutoff_ms (ends
 * are kept to the day: vn_day_floor_ms). */
vn_err vn_cases_closed_before(vn_sstore *st, uint64_t cutoff_ms, vn_case_info *out, size_t max,
                              size_t *n);
/* Forgets cm as the manager of its cases (with their account). The case
 * records keep its id until they are purged. */
vn_err vn_cases_forget_casemanager(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN]);
/* Deletes the case record, its members and its casemanager's link. */
vn_err vn_cases_delete(vn_sstore *st, const uint8_t id[VN_ACCOUNT_LEN]);

#endif
