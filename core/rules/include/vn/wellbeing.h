/* vn_wellbeing: the private wellbeing check, as pure rules. The items are
 * the self-check signs of the burnout source (../shared/reference/
 * burnout-signals-nl.txt: what a doctor can notice in themselves, and the
 * complaints of the guideline's definition of overstrain), each answered on
 * a scale of 0 to VN_WB_SCALE_MAX. This module scores one check and reads a
 * series of checks; it stores and sends nothing (the client keeps the
 * answers in its own sealed profile, client-cli/wellbeing.h).
 *
 * Item numbers are stored with the answers: they never change meaning and
 * are never reused. */
#ifndef VN_WELLBEING_H
#define VN_WELLBEING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define VN_WB_ITEMS     14 /* items in one check */
#define VN_WB_SCALE_MAX 3  /* 0 not at all, 1 sometimes, 2 often, 3 (almost) always */
/* An answer from this step on counts as having the complaint. */
#define VN_WB_PRESENT 2
/* The definition of overstrain asks for at least this many complaints. */
#define VN_WB_OVERSTRAIN_COMPLAINTS 3
/* Burnout: overstrain whose complaints began longer ago than this. */
#define VN_WB_BURNOUT_DAYS 183

/* What part of the source an item comes from. */
typedef enum vn_wellbeing_kind {
    VN_WB_COMPLAINT = 1, /* one of the complaints the definition of overstrain counts */
    VN_WB_SIGN = 2,      /* a sign to stop and take stock (not counted as a complaint) */
    VN_WB_CRITERION = 3, /* another part of the definition (control, functioning) */
} vn_wellbeing_kind;

typedef struct vn_wellbeing_item {
    uint8_t id;             /* stable number, 1.. */
    vn_wellbeing_kind kind; /* see above */
    bool fatigue;           /* the item that says tiredness is in the foreground */
    const char *key;        /* short ASCII name for charts and --json ("sleep") */
    const char *en;         /* the question, English */
} vn_wellbeing_item;

/* Item i (0 .. VN_WB_ITEMS-1) in the order asked; NULL past the end. */
const vn_wellbeing_item *vn_wellbeing_item_at(size_t i);

/* One check's reading. */
typedef struct vn_wellbeing_score {
    unsigned total;      /* sum of all answers, 0 .. VN_WB_ITEMS * VN_WB_SCALE_MAX */
    unsigned complaints; /* complaint items answered VN_WB_PRESENT or more */
    unsigned signs;      /* sign items answered VN_WB_PRESENT or more */
    bool overstrain;     /* complaints >= VN_WB_OVERSTRAIN_COMPLAINTS */
    bool criteria;       /* the other parts of the definition were answered as present too */
    bool exhausted;      /* the fatigue item at VN_WB_SCALE_MAX */
} vn_wellbeing_score;

/* Parses "1,0,2,..." (exactly VN_WB_ITEMS numbers 0..VN_WB_SCALE_MAX,
 * separated by commas, spaces allowed around them) into answers. VN_EINVAL
 * with msg naming what was wrong (which answer, which value). */
vn_err vn_wellbeing_parse(const char *text, uint8_t answers[VN_WB_ITEMS], char *msg,
                          size_t msgsize);
/* Scores one check; answers must each be 0..VN_WB_SCALE_MAX (VN_EINVAL). */
vn_err vn_wellbeing_score_of(const uint8_t answers[VN_WB_ITEMS], vn_wellbeing_score *out);

/* A series of checks, oldest first: day[i] (days since the epoch) and
 * whether check i showed overstrain. Returns the day the current run of
 * overstrained checks began (the first of the unbroken run that ends with
 * the last check), or -1 when the last check shows none. */
int32_t vn_wellbeing_run_start(const int32_t *day, const bool *overstrain, size_t n);
/* Whether the series points towards burnout as the source defines it:
 * the last check shows overstrain with exhaustion, and its run of
 * overstrained checks began more than VN_WB_BURNOUT_DAYS before it. */
bool vn_wellbeing_burnout(const int32_t *day, const bool *overstrain, size_t n, bool exhausted_now);

/* "2w", "14d", "1m" (a month counts 30 days) -> days, 1 .. 366; VN_EINVAL. */
vn_err vn_wellbeing_interval_parse(const char *text, int32_t *days);

#endif
