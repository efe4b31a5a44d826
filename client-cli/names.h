/* Names and handles as a person reads them: the short case handle (the
 * shortest unique prefix of a case id among the cases a profile knows),
 * finding a case by such a prefix, display names a member chose, and
 * fitting a line into a terminal's columns. Pure functions, no client
 * context: the parts that ask the store or the server are in
 * names_client.c (client.h). */
#ifndef VN_NAMES_H
#define VN_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "vn/err.h"

#define VN_NAMES_HANDLE_MIN  6  /* hex characters a typed case handle has at least */
#define VN_NAMES_HANDLE_SHOW 8  /* and a shown one, when that is unique */
#define VN_NAMES_ID_LEN      32 /* hex characters of a whole case or account id */

/* The length of the shortest prefix of id, at least min, that no other id
 * of ids[0..n) shares (id itself may be among them, and duplicates of it
 * are no other id). At most VN_NAMES_ID_LEN. */
size_t vn_names_unique_len(const char *id, const char *const *ids, size_t n, size_t min);

/* Finds the id among ids[0..n) that given (a prefix, hex, any case)
 * starts; duplicates count once. VN_OK with *match its index; VN_EINVAL
 * if given is not VN_NAMES_HANDLE_MIN to VN_NAMES_ID_LEN hex characters;
 * VN_ENOTFOUND if no id starts so; VN_EEXISTS if more than one does (then
 * *count says how many). count may be NULL. */
vn_err vn_names_match(const char *given, const char *const *ids, size_t n, size_t *match,
                      size_t *count);

/* True if s is hex only (of any case); "" is not. */
bool vn_names_is_hex(const char *s);

/* Whether name may be a display name: 1 to 64 bytes of well-formed UTF-8,
 * no control characters, no leading or trailing space, and not something
 * that reads as an account id (32 hex characters). If not, why says so. */
bool vn_names_display_ok(const char *name, char *why, size_t size);

/* The display columns of s: one per UTF-8 character (a byte that is not
 * UTF-8 counts as one). */
size_t vn_names_cols(const char *s);

/* Copies s into out (size bytes), cut to at most cols display columns: a
 * longer one ends in "~" within them. Whole UTF-8 characters only.
 * Returns out. */
const char *vn_names_fit(const char *s, size_t cols, char *out, size_t size);

/* vn_names_fit for a person's name: a number at its end that tells two
 * people of one name apart (" (2)") is kept when the rest is cut. */
const char *vn_names_fit_name(const char *name, size_t cols, char *out, size_t size);

/* A date YYYY-MM-DD as a caseload shows it: "MM-DD" when its year is the
 * year of today (YYYY-MM-DD too), else as it is. Into out; returns out. */
const char *vn_names_short_date(const char *date, const char *today, char *out, size_t size);

/* One case of the caseload as its line shows it; every string already safe
 * to print (vn_text_field). */
typedef struct vn_names_row {
    const char *handle;    /* the case handle */
    const char *who;       /* the participant's name or short id, or "-" */
    const char *state;     /* intake, active, closed */
    const char *next_kind; /* the next due item's kind, or NULL when nothing is due */
    const char *next_date; /* and its date */
    const char *alert;     /* the most urgent open alert, "severity:kind:state:id", or NULL */
    unsigned nalerts;      /* open alerts in all (listed and more) */
    const char *over_kind; /* the first overdue item's kind, or NULL */
    const char *over_date; /* and since when */
    unsigned nover;        /* overdue items in all */
} vn_names_row;

/* A due item's kind as a caseload shows it ("cm contact" for
 * casemanager-contact); anything else as it is. */
const char *vn_names_short_kind(const char *kind);

/* The caseload line of r in at most width display columns (a name or a
 * tail too long for them is cut, ending in "~"): handle, participant,
 * state, next due, then the worst alert and the overdue items with counts.
 * Dates of today's year as MM-DD. Into out; returns out. */
const char *vn_names_load_line(const vn_names_row *r, const char *today, size_t width, char *out,
                               size_t size);

#endif
