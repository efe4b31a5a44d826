/* vn_contract: monitoring contracts, dated records, absences and the
 * scheduler's bookkeeping in the server store. The server keeps the terms
 * (rates, minimums, window), the date and kind of each record, and its own
 * draws; never a result, a note or a clinical state.
 *
 * All functions join the store's open write transaction. */
#ifndef VN_CONTRACT_H
#define VN_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"
#include "vn/schedule.h"
#include "vn/terms.h"
#include "vn/sstore.h"

/* Stores a new version (the caller fills version); *version gets it. */
vn_err vn_contract_put(vn_sstore *st, const uint8_t case_id[16], const uint8_t *canonical,
                       size_t len, uint64_t now, uint32_t version);
/* The newest version (*out is unpacked; free with vn__stored_contract__free_unpacked),
 * with signed_version filled. VN_ENOTFOUND if the case has no contract. */
vn_err vn_contract_latest(vn_sstore *st, const uint8_t case_id[16], Vn__StoredContract **out);
/* The contract in force: the newest signed version. VN_ENOTFOUND if none. */
vn_err vn_contract_in_force(vn_sstore *st, const uint8_t case_id[16], vn_terms *t);
/* Records the signature of version. */
vn_err vn_contract_sign(vn_sstore *st, const uint8_t case_id[16], uint32_t version,
                        const uint8_t *sig, size_t siglen, uint64_t now);

/* Adds one record of kind on day. */
vn_err vn_events_add(vn_sstore *st, const uint8_t case_id[16], int32_t day, vn_event_kind kind);
bool vn_events_has(vn_sstore *st, const uint8_t case_id[16], int32_t day, vn_event_kind kind);
/* All records of the case from day `from` on (a record counted n times
 * appears n times), in day order. *out is malloc'd (caller frees). */
vn_err vn_events_load(vn_sstore *st, const uint8_t case_id[16], int32_t from, vn_event **out,
                      size_t *n);

typedef enum vn_absence_kind { VN_ABSENCE = 1, VN_MEDICATION = 2 } vn_absence_kind;
vn_err vn_absence_add(vn_sstore *st, const uint8_t case_id[16], int32_t from, int32_t to,
                      vn_absence_kind kind);
/* Absences of kind into a malloc'd *out (caller frees). */
vn_err vn_absence_load(vn_sstore *st, const uint8_t case_id[16], vn_absence_kind kind,
                       vn_absence **out, size_t *n);

/* The last day the scheduler has closed for the case (draws made, missed
 * check-ins recorded). VN_ENOTFOUND before the first. */
vn_err vn_sched_last(vn_sstore *st, const uint8_t case_id[16], int32_t *day);
vn_err vn_sched_set_last(vn_sstore *st, const uint8_t case_id[16], int32_t day);
/* Marks a notice (kind, item, day) as sent; *already tells if it was. */
vn_err vn_notice_once(vn_sstore *st, const uint8_t case_id[16], uint8_t kind, uint8_t item,
                      int32_t day, bool *already);

/* Removes everything above for a case (with its purge). */
vn_err vn_contract_purge_case(vn_sstore *st, const uint8_t case_id[16]);

#endif
