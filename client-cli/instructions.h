/* Test-day instructions: where and by when a participant gives a sample on
 * a test day (site, hours, cut-off). The casemanager sets them for a case;
 * they travel end to end (Content.instructions) to the participant, whose
 * device keeps them and shows them with every test day. The server never
 * has them. */
#ifndef VN_INSTRUCTIONS_H
#define VN_INSTRUCTIONS_H

#include "client.h"

#define VN_INSTR_SITE_MAX  160 /* bytes of a site, at most */
#define VN_INSTR_HOURS_MAX 80  /* bytes of the hours, at most */

/* The instructions this device keeps for case_id (its own, or received
 * from the case's casemanager). VN_ENOTFOUND when there are none; on
 * VN_OK *out is set (free with vn__test_instructions__free_unpacked). */
vn_err vn_instructions_get(vn_client *c, const char *case_id, Vn__TestInstructions **out);

/* The test-day line for case_id from the kept instructions: "Test today at
 * SITE, HOURS, before CUTOFF." (site and hours made safe to print). False,
 * and out "", when there are none. For the check-in and the test-day
 * notice (notice.c calls it with the notice's case). */
bool vn_instructions_test_day_line(vn_client *c, const char *case_id, char *out, size_t size);

/* Received instructions: kept when `from` is the casemanager of their case
 * in ci (the roster read for it; NULL when the server refused it), in the
 * caller's transaction. line gets what the inbox shows either way: the
 * instructions, or "[not instructions: why]" and what they said, never
 * kept. Returns a store error only. */
vn_err vn_instructions_take(vn_client *c, const Vn__CaseInfo *ci, const char *from,
                            const Vn__TestInstructions *ti, char *line, size_t size);

#endif
