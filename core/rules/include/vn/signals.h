/* The signal catalogue of docs/ARCHITECTURE.md: the observable signs that may point to
 * addiction (the seed's Table 1, in its early, problem and end phase) and the
 * burnout self-check items, each with a stable code, plus the severity a
 * report of such items gets and how soon that severity must be acknowledged.
 *
 * Codes are what travel: a report names the items it observed by code, and
 * the texts are looked up on the device that shows them. A code never changes
 * meaning and is never reused; a retired item keeps its code out of use.
 * Everything here is constant data; all returned pointers are borrowed and
 * valid for the whole life of the program. */
#ifndef VN_SIGNALS_H
#define VN_SIGNALS_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

/* Stored and sent as one byte; numbers never change. */
typedef enum vn_signal_phase {
    VN_PHASE_EARLY = 1,   /* "vroege" signalen (Table 1) */
    VN_PHASE_PROBLEM = 2, /* signalen in de probleemfase (Table 1) */
    VN_PHASE_END = 3,     /* signalen in de eindfase (Table 1) */
    VN_PHASE_BURNOUT = 4, /* burnout self-check items */
} vn_signal_phase;

/* The only thing about a report the server sees. Ordered: a higher number is
 * more severe. Stored and sent as one byte; numbers never change. */
typedef enum vn_severity {
    VN_SEV_CONCERN = 1,
    VN_SEV_URGENT = 2,
    VN_SEV_CRISIS = 3,
} vn_severity;

typedef struct vn_signal {
    const char *code;      /* stable ASCII code: phase letter and two digits, "P07" */
    vn_signal_phase phase; /* which group the item belongs to */
    const char *nl;        /* short Dutch label, UTF-8 */
    const char *en;        /* short English label, ASCII */
} vn_signal;

/* Number of items in the catalogue. */
size_t vn_signals_count(void);
/* Item i in display order (by phase, then code); NULL when i >= count. */
const vn_signal *vn_signals_at(size_t i);
/* The item with exactly this code (case-sensitive); NULL if code is NULL or
 * unknown. */
const vn_signal *vn_signals_find(const char *code);

/* "early", "problem", "end", "burnout"; "unknown" for anything else. */
const char *vn_signals_phase_name(vn_signal_phase p);
/* "concern", "urgent", "crisis"; "unknown" for anything else. */
const char *vn_signals_severity_name(vn_severity s);
/* Inverse of vn_signals_severity_name (exact, case-sensitive). VN_EINVAL for NULL or
 * a name that is not a severity; *out is then left untouched. */
vn_err vn_signals_severity_parse(const char *s, vn_severity *out);

/* Severity of a report of the n items named by codes: an early or burnout
 * item is a concern, a problem-phase item urgent, an end-phase item a crisis;
 * the highest wins, and naming an item twice changes nothing. VN_EINVAL if
 * n == 0, codes is NULL or any code is unknown; *out is then left untouched.
 * bad may be NULL; otherwise it is set to NULL and, for an unknown code, to
 * the first unknown one (borrowed from codes; NULL if that entry was NULL). */
vn_err vn_signals_severity(const char *const *codes, size_t n, vn_severity *out, const char **bad);

/* How many minutes an alert of severity s may wait for acknowledgement before
 * it escalates (docs/ARCHITECTURE.md defaults): crisis 60, urgent 1440, concern 4320.
 * 0 for anything that is not a severity, so a caller that failed to validate
 * escalates at once rather than never. */
uint32_t vn_signals_ack_minutes(vn_severity s);

#endif
