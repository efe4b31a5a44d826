/* vn_schedule: the schedule maths of a monitoring contract (DESIGN.md §2).
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

#define VN_PHASES_MAX 8
/* Longest contract vn_terms_validate accepts (10 years). It bounds the
 * scratch space vn_schedule_due keeps on the stack. */
#define VN_MONTHS_MAX 120
/* Most drawn-but-untested days vn_schedule_due lists. */
#define VN_DUE_TESTS_MAX 8
/* Upper bound of the number of items vn_schedule_due can return:
 * three contact kinds, today's check-in and the untested draws. */
#define VN_DUE_MAX (4 + VN_DUE_TESTS_MAX)

typedef struct vn_phase {
    uint16_t from_month;      /* first contract month of the phase, 1-based */
    uint16_t to_month;        /* last contract month of the phase, inclusive */
    uint16_t tests_per_month; /* expected number of test days per month, 0..31 */
} vn_phase;

typedef struct vn_terms {
    int32_t start_day;              /* first day of the contract */
    uint16_t months;                /* duration in contract months, default 60 */
    uint8_t nphases;                /* phases in use, 1..VN_PHASES_MAX */
    vn_phase phases[VN_PHASES_MAX]; /* ascending, contiguous, covering 1..months */
    uint16_t cm_contact_days;       /* casemanager contact at least every N days (30) */
    uint16_t buddy_contact_days;    /* buddy contact at least every N days (7) */
    uint16_t selfhelp_days;         /* self-help meeting at least every N days (7) */
    uint16_t checkin_start_min;     /* check-in window opens, minutes after midnight (300) */
    uint16_t checkin_end_min;       /* check-in window closes, exclusive (840) */
    uint16_t absence_max_days;      /* absence days per contract year (14) */
    uint16_t remind_days;           /* remind this many days before a contact deadline (2) */
} vn_terms;

/* Fills *t with the template of DESIGN.md §2: 60 months; months 1-12 four
 * tests a month, 13-24 two, 25-60 one; contacts every 30/7/7 days; check-in
 * 05:00-14:00; 14 absence days a year; reminders 2 days ahead. */
void vn_terms_default(vn_terms *t, int32_t start_day);
/* VN_OK, or VN_EINVAL when: t is NULL; start_day is before 1970 or after
 * 9989; months is 0 or above VN_MONTHS_MAX; nphases is 0 or above
 * VN_PHASES_MAX; the phases are not in ascending order, overlap, leave a gap,
 * do not start at month 1 or do not end exactly at `months`; a rate exceeds
 * 31; a contact interval is 0; the check-in window is empty or ends after
 * midnight; absence_max_days exceeds 366. All other functions assume valid
 * terms. */
vn_err vn_terms_validate(const vn_terms *t);

/* Civil date helpers, proleptic Gregorian, exact for years -10^6..10^6.
 * m is 1..12 and d is 1..31. */
int32_t vn_days_from_civil(int y, int m, int d);
void vn_civil_from_days(int32_t day, int *y, int *m, int *d);
/* Days in month m (1..12) of year y. */
int vn_days_in_month(int y, int m);
/* The same day of the month `months` later (or earlier, when negative),
 * clamped to the end of a shorter month: Jan 31 + 1 month = Feb 28 or 29. */
int32_t vn_add_months(int32_t day, int months);

/* Contract month (1-based) of day; 0 before the start, months+1 after the
 * end. Month k runs from add_months(start, k-1) to add_months(start, k)-1,
 * always counted from the start so that clamping never accumulates. */
int vn_terms_month_of(const vn_terms *t, int32_t day);
/* First day of contract month k (1..months+1; k = months+1 gives the day
 * after the last day of the contract). */
int32_t vn_terms_month_start(const vn_terms *t, int k);
/* Last day of the contract. */
int32_t vn_terms_end_day(const vn_terms *t);
bool vn_terms_active(const vn_terms *t, int32_t day);
/* Tests per month of the phase day falls in; 0 outside the contract. */
uint16_t vn_terms_rate(const vn_terms *t, int32_t day);
/* Probability that day is a test day: rate / days in that contract month,
 * at most 1; 0 outside the contract. Ignores absences (see vn_schedule_draw). */
double vn_terms_draw_p(const vn_terms *t, int32_t day);

typedef enum vn_event_kind {
    VN_EV_CM_CONTACT = 1,
    VN_EV_BUDDY_CONTACT = 2,
    VN_EV_SELFHELP = 3,
    VN_EV_TEST = 4,
    VN_EV_CHECKIN = 5,
    VN_EV_CHECKIN_MISSED = 6,
    VN_EV_DRAW_TEST = 7,
    VN_EV_DRAW_NONE = 8,
    VN_EV_MEDICATION = 9
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
/* Contract year (1-based) of day: months 1-12 are year 1, and so on; 0
 * outside the contract. */
int vn_terms_year_of(const vn_terms *t, int32_t day);
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
const char *vn_due_kind_name(vn_due_kind k);

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

#endif
