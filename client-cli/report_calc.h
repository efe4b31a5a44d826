/* The arithmetic of the monthly report, apart from where its facts come
 * from: a test's state from its result, one summary per month from its
 * days, and the quoting of a CSV field. Pure: no I/O but the FILE a CSV
 * field is written to, no clock, no allocation, so tests/unit/test_report.c
 * checks every total against days it builds itself. */
#ifndef VN_REPORT_CALC_H
#define VN_REPORT_CALC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a test came to. A positive is not a result until the casemanager
 * confirms it: until then everyone sees it as pending. */
typedef enum vn_test_state {
    VN_TEST_NONE = 0,           /* no outcome recorded */
    VN_TEST_NEGATIVE = 1,       /* negative */
    VN_TEST_POSITIVE_PENDING,   /* positive, waiting for confirmation */
    VN_TEST_POSITIVE_CONFIRMED, /* positive, confirmed */
    VN_TEST_DILUTE,             /* dilute or invalid: no result */
    VN_TEST_MISSED,             /* not given */
    VN_TEST_STATES              /* how many states there are */
} vn_test_state;

/* The state of a recorded result ("negative", "positive", "dilute",
 * "missed"; a positive with confirmed set is confirmed), or of a state's
 * own name ("positive-pending", ...); VN_TEST_NONE for anything else. */
vn_test_state vn_test_state_of(const char *result, bool confirmed);
/* "negative", "positive-pending", "positive-confirmed", "dilute",
 * "missed"; "none" for VN_TEST_NONE. Static, never NULL. */
const char *vn_test_state_name(vn_test_state s);
/* The same for a person to read: "positive, pending confirmation", ... */
const char *vn_test_state_words(vn_test_state s);

/* One calendar day as the report sees it: what the server knows of it
 * (check-in, draw, test taken, contacts, absence) and what this device
 * knows (the recorded outcome of a test that day). */
typedef struct vn_report_day {
    int32_t day;             /* days since 1970-01-01, local date */
    bool checkin;            /* checked in */
    bool checkin_missed;     /* the check-in window closed without one */
    bool test_day;           /* drawn for a test */
    bool test_taken;         /* the server has a test taken that day */
    bool absent;             /* inside an approved absence */
    uint32_t cm_contacts;    /* casemanager contacts recorded */
    uint32_t buddy_contacts; /* buddy contacts recorded */
    uint32_t selfhelp;       /* self-help meetings recorded */
    uint8_t result;          /* vn_test_state of the test recorded that day (one per day) */
    bool corrected;          /* that result replaced an earlier one */
} vn_report_day;

/* The totals of a month. */
typedef struct vn_report_totals {
    unsigned days;                     /* days in the report */
    unsigned checkins;                 /* days checked in */
    unsigned checkins_missed;          /* days the check-in was missed */
    unsigned test_days;                /* days drawn for a test */
    unsigned tests_taken;              /* drawn days with a test taken */
    unsigned tests_missed;             /* drawn days past without a test, or recorded missed */
    unsigned results;                  /* tests with a recorded outcome (one per test) */
    unsigned by_state[VN_TEST_STATES]; /* outcomes by state */
    unsigned corrections;              /* outcomes that replaced an earlier one */
    unsigned cm_contacts;              /* casemanager contacts */
    unsigned buddy_contacts;           /* buddy contacts */
    unsigned selfhelp;                 /* self-help meetings */
    unsigned absence_days;             /* days of approved absence */
} vn_report_totals;

/* Whether the test of day d counts as missed on `today`: drawn, not
 * taken, and the day is over; or recorded as missed. */
bool vn_report_test_missed(const vn_report_day *d, int32_t today);

/* Adds up n days into *t (zeroed first). */
void vn_report_total(const vn_report_day *days, size_t n, int32_t today, vn_report_totals *t);

/* Writes s as one CSV field (RFC 4180): as it is when it holds no comma,
 * double quote, CR or LF; else in double quotes with each double quote
 * doubled. A field starting with =, +, - or @ is prefixed with a single
 * quote inside the quotes, so a spreadsheet never runs it as a formula.
 * NULL is an empty field. */
void vn_csv_field(FILE *f, const char *s);

#endif
