/* vn_events: dated records of a case (contacts, tests taken, check-ins,
 * the day's draw...): the day and kind of each, and how many; never a
 * result, a note or a clinical state; and only as long as the schedule or
 * the recent calendar needs them (vn_events_prune). */
#ifndef VN_EVENTS_H
#define VN_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/schedule.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* Most records vn_events_load returns (over 140 a day for 5 years). */
#define VN_EVENTS_MAX 262144

/* Adds one record of kind on day. */
vn_err vn_events_add(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t day,
                     vn_event_kind kind);
bool vn_events_has(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t day,
                   vn_event_kind kind);
/* All records of the case from day `from` on (a record counted n times
 * appears n times), in day order. *out is malloc'd (caller frees; NULL when
 * none). VN_ETOOBIG past VN_EVENTS_MAX. */
vn_err vn_events_load(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t from,
                      vn_event **out, size_t *n);
/* Deletes the records of days before `before` that the schedule no longer
 * needs: it keeps the last record of each contact kind (the next deadline
 * counts from it) and the VN_DUE_TESTS_MAX most recent draws without a
 * test (tests still due). *pruned (may be NULL) gets how many keys went.
 * Old records would tell a story the schedule does not need. */
vn_err vn_events_prune(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t before,
                       size_t *pruned);
/* Forgets the records of kind on day (however many; none is no error):
 * a test recorded as taken by mistake. */
vn_err vn_events_drop(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t day,
                      vn_event_kind kind);
/* Deletes every record of the case. */
vn_err vn_events_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);

#endif
