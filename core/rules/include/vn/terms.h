/* vn_terms: the terms of a monitoring contract (rates per phase, contact
 * intervals, check-in window, absence allowance) and what follows from them
 * for one day. Pure: no I/O, no clock. */
#ifndef VN_TERMS_H
#define VN_TERMS_H

#include <stdbool.h>
#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"

#define VN_PHASES_MAX 8
/* Longest contract vn_terms_validate accepts (10 years). It bounds the
 * scratch space vn_schedule_due keeps on the stack. */
#define VN_MONTHS_MAX 120

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

/* Fills *t with the template of docs/ARCHITECTURE.md: 60 months; months 1-12 four
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

/* Contract year (1-based) of day: months 1-12 are year 1, and so on; 0
 * outside the contract. */
int vn_terms_year_of(const vn_terms *t, int32_t day);
/* The rate and length in days of the contract month of day; false outside
 * the contract. */
bool vn_terms_month_rate(const vn_terms *t, int32_t day, uint16_t *rate, int32_t *len);

/* Terms from a contract message (VN_EINVAL if they do not validate). */
vn_err vn_terms_from_pb(const Vn__Contract *c, vn_terms *t);
/* A contract message from terms (strings are malloc'd; free with
 * vn__contract__free_unpacked). */
vn_err vn_terms_to_pb(const vn_terms *t, const char *case_hex, const char *tz, Vn__Contract **out);

#endif
