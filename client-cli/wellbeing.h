/* The wellbeing check's answers on this device (docs/CLIENT-STORE.md,
 * database "wellbeing"). Nothing here talks to the server: the answers
 * stay in the sealed profile unless the user shares a summary
 * (`vangnet wellbeing share`, an ordinary end-to-end message). The scoring
 * is core/rules vn/wellbeing.h. */
#ifndef VN_CLIENT_WELLBEING_H
#define VN_CLIENT_WELLBEING_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "vn/wellbeing.h"

/* Default interval between checks when none was set, in days. */
#define VN_WB_EVERY_DEFAULT 14

/* One stored check. */
typedef struct vn_wellbeing_check {
    uint64_t ms;                  /* when it was answered (the client's clock) */
    int32_t day;                  /* its local day */
    uint8_t answers[VN_WB_ITEMS]; /* 0 .. VN_WB_SCALE_MAX each */
} vn_wellbeing_check;

/* The client's "now" for the check: the wall clock, or under the test knob
 * VANGNET_TEST_NOW=YYYY-MM-DD noon UTC of that day (the client warns on
 * stderr). VN_EINVAL (said on stderr) for a knob that is not a date. */
vn_err vn_wellbeing_now(uint64_t *ms);

/* Stores one check in its own transaction. */
vn_err vn_wellbeing_store(vn_client *c, const vn_wellbeing_check *chk);
/* The stored checks answered at or after since_ms, oldest first, into a
 * malloc'd array (*out, caller frees; NULL when none) of *n. */
vn_err vn_wellbeing_load(vn_client *c, uint64_t since_ms, vn_wellbeing_check **out, size_t *n);

/* The interval setting in days (VN_WB_EVERY_DEFAULT when never set). */
int32_t vn_wellbeing_every(vn_client *c);
vn_err vn_wellbeing_set_every(vn_client *c, int32_t days);

#endif
