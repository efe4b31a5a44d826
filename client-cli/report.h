/* Records of outcomes as people read them, and the monthly report built
 * from them (records.c, report.c; the arithmetic is in report_calc.h). */
#ifndef VN_REPORT_H
#define VN_REPORT_H

#include "client.h"
#include "report_calc.h"

/* records.c: the record of rn's case, date and kind this device keeps
 * (tests, states and medication exceptions: one per day; a new one
 * replaces it as a correction). VN_ENOTFOUND when there is none, or for
 * other kinds; on VN_OK *prev is set (free with
 * vn__record_note__free_unpacked). */
vn_err vn_client_record_previous(vn_client *c, const char *case_id, const char *date,
                                 const char *kind, Vn__RecordNote **prev);
/* What a record came to, in one word: a test's state name
 * (vn_test_state_name), else its result; copied into out. */
const char *vn_client_record_outcome(const Vn__RecordNote *rn, char *out, size_t size);
/* The line a record is shown as: "[record] KIND DATE: OUTCOME", a
 * positive test marked pending confirmation or confirmed, a correction as
 * "(correction: OLD -> NEW)", then " - NOTE". Peer text is not made safe
 * here: the line is shown like a message. */
void vn_client_record_line(const Vn__RecordNote *rn, char *line, size_t size);

#endif
