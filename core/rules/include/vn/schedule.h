/* vn_schedule: the schedule maths of a monitoring contract (docs/ARCHITECTURE.md).
 *
 * A pure module: no I/O, no clock reads, no globals, no allocation. Every
 * answer is computed from (terms, events, absences, today), so the server
 * can enforce a contract and tests can replay 60 months in milliseconds.
 *
 * Days are integers: days since 1970-01-01 of the participant's LOCAL
 * calendar date. The caller converts its clock reading to a local date and
 * a minute of that day; this module never sees a time zone. */
#ifndef VN_SCHEDULE_H
#define VN_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#include "vn/terms.h"

/* Most drawn-but-untested days vn_schedule_due lists. */
#define VN_DUE_TESTS_MAX 8
/* Upper bound of the number of items vn_schedule_due can return:
 * three contact kinds, today's check-in and the untested draws. */
#define VN_DUE_MAX (4 + VN_DUE_TESTS_MAX)

typedef enum vn_event_kind {
    VN_EV_CM_CONTACT = 1,
    VN_EV_BUDDY_CONTACT = 2,
    VN_EV_SELFHELP = 3,
    VN_EV_TEST = 4,
    VN_EV_CHECKIN = 5,
    VN_EV_CHECKIN_MISSED = 6,
    VN_EV_DRAW_TEST = 7,
    VN_EV_DRAW_NONE = 8,
    /* 9 was a medication exception: those travel end to end only now. */
} vn_event_kind;

typedef struct vn_event {
    int32_t day;  /* local date of the event */
    uint8_t kind; /* a vn_event_kind */
} vn_event;

typedef struct vn_absence {
    int32_t from_day; /* first day away */
    int32_t to_day;   /* last day away, inclusive; from_day > to_day is empty */
} vn_absence;

/* True if day lies inside any of the n absences (abs may be NULL when n is 0). */
bool vn_schedule_absent(const vn_absence *abs, size_t n, int32_t day);
/* Number of distinct days covered by the n absences inside the contract
 * year that contains year_of_day (overlapping absences count once). 0 when
 * year_of_day is outside the contract. Compare with absence_max_days. */
int vn_schedule_absence_days_in_year(const vn_terms *t, const vn_absence *abs, size_t n,
                                     int32_t year_of_day);
/* True if approving `add` next to the n existing absences keeps every
 * contract year it touches within absence_max_days. False for an empty add. */
bool vn_schedule_absence_allowed(const vn_terms *t, const vn_absence *abs, size_t n,
                                 vn_absence add);

/* The draw: true if day is a test day, given r, a uniform random 32-bit
 * value from the OS CSPRNG (the caller draws it, so this stays pure and
 * testable). Never a test day when absent or outside the contract.
 * True exactly when r < floor(rate * 2^32 / month_days), computed in
 * integers, so P(true) is p to within 2^-32. */
bool vn_schedule_draw(const vn_terms *t, const vn_absence *abs, size_t nabs, int32_t day,
                      uint32_t r);

typedef enum vn_due_kind {
    VN_DUE_CM_CONTACT = 1,
    VN_DUE_BUDDY_CONTACT,
    VN_DUE_SELFHELP,
    VN_DUE_CHECKIN,
    VN_DUE_TEST
} vn_due_kind;

/* "casemanager-contact", "buddy-contact", "selfhelp", "checkin", "test";
 * "unknown" otherwise. A static string, never NULL. */
const char *vn_schedule_due_name(vn_due_kind k);

typedef struct vn_due {
    uint8_t kind;    /* a vn_due_kind */
    int32_t due_day; /* the deadline (contacts), today (check-in) or the drawn day (test) */
    bool overdue;    /* the deadline has passed */
    bool remind;     /* time to remind the participant; never set together with overdue */
} vn_due;

/* What is due at (today, minute of day) given the nev events recorded so
 * far, in any order. Events after today are ignored.
 *
 * Outside the contract (before the start, after the last day) nothing is
 * due and 0 is returned. Otherwise:
 *  - each contact kind (casemanager, buddy, self-help) is listed unless
 *    its deadline is after the last contract day (no obligation then).
 *    The deadline is the later of start_day and the day of the kind's last
 *    event, plus its interval. A deadline inside an absence moves to the
 *    day after that absence ends (repeatedly, for back-to-back absences).
 *    It is overdue when today > deadline; remind is set from deadline -
 *    remind_days up to the deadline.
 *  - the check-in is listed (due_day = today) when today is not an absence
 *    day and there is no VN_EV_CHECKIN today. It is overdue once minute >=
 *    checkin_end_min; remind is set while the window is open.
 *  - each contract day d with a VN_EV_DRAW_TEST but no VN_EV_TEST on that
 *    same day is a test item with due_day = d: due (remind) on d itself,
 *    overdue from d+1. Only the VN_DUE_TESTS_MAX most recent are listed.
 *
 * Writes the first min(max, total) items to out, most urgent first:
 * overdue before not overdue, then older due_day first, then by kind.
 * Returns the total number of items (at most VN_DUE_MAX), so a caller can
 * pass max = 0 to count. out may be NULL when max is 0. */
size_t vn_schedule_due(const vn_terms *t, const vn_event *ev, size_t nev, const vn_absence *abs,
                       size_t nabs, int32_t today, int minute, vn_due *out, size_t max);

/* ---- reminders (schedule_remind.c) ---- */

/* Which check-in reminder is due at minute of a day on which the check-in
 * is still missing. */
typedef enum vn_checkin_remind {
    VN_REMIND_NONE = 0,    /* outside the window (or no check-in to remind of) */
    VN_REMIND_OPEN = 1,    /* the window is open */
    VN_REMIND_CLOSING = 2, /* the window closes soon */
} vn_checkin_remind;

/* The minute of the day the "closes soon" reminder is due: an hour before
 * the window closes, or a quarter of the window before it when the window
 * is shorter than four hours (never before it opens). */
int vn_schedule_closing_min(const vn_terms *t);
/* The check-in reminder due on day at minute: VN_REMIND_NONE outside the
 * contract, on an absence day, when checked_in, before the window opens and
 * once it has closed; VN_REMIND_CLOSING from vn_schedule_closing_min on;
 * VN_REMIND_OPEN before that. A caller that could not send the open
 * reminder in time (quiet hours) sends only the closing one. */
vn_checkin_remind vn_schedule_checkin_remind(const vn_terms *t, const vn_absence *abs, size_t nabs,
                                             int32_t day, int minute, bool checked_in);
/* Whether minute (0..1439) lies in quiet hours from start_min up to
 * end_min, which may wrap past midnight (22:00-07:00). Empty when they are
 * equal. */
bool vn_schedule_quiet_at(uint16_t start_min, uint16_t end_min, int minute);
/* How long an SOS waits unclaimed before its buddies are reminded: a
 * third of the window after which it goes to the casemanager, at most five
 * minutes, at least one second. */
uint64_t vn_schedule_sos_remind_ms(uint64_t sos_window_ms);

#endif
