/* vn_log: vangnetd's log, one line per event on stderr, at a level. Under
 * systemd (JOURNAL_STREAM set) each line starts with the syslog priority
 * ("<3>") that journald reads, and carries no time (the journal keeps it);
 * on a terminal or in a file it starts with the UTC time and the level.
 * Lines name events and request names, never content, an account, a case,
 * a role or an alert kind. */
#ifndef VN_LOG_H
#define VN_LOG_H

#include <stdbool.h>

typedef enum vn_log_level {
    VN_LEVEL_ERROR, /* the server cannot do what it should: a commit failed, a store is full */
    VN_LEVEL_WARN,  /* something an operator may have to act on */
    VN_LEVEL_INFO,  /* start, stop, hourly counts (the default) */
    VN_LEVEL_DEBUG, /* every request: dates each one, so for debugging only */
} vn_log_level;

/* Parses "error", "warn", "info" or "debug"; false for anything else. */
bool vn_log_level_parse(const char *name, vn_log_level *out);
/* The lines of a level above this one are dropped. Process-wide: set once
 * at start, before the loop (the default is info). */
void vn_log_set_level(vn_log_level level);
/* Whether a line at level would be written. */
bool vn_log_enabled(vn_log_level level);

/* One line at level. */
void vn_logl(vn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line at info. */
void vn_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Events about people (a doctor joined, an SOS was raised) are not logged
 * one by one: a line with its time would date a crisis. They are counted,
 * and the counts are logged once per report period (and at shutdown; vn_server_count). */
typedef enum vn_log_event {
    VN_LOG_REGISTERED, /* an account redeemed its invite */
    VN_LOG_ALERT,      /* a signal or SOS was raised */
    VN_LOG_ESCALATED,  /* an alert went up to the medical lead */
    VN_LOG_REMOVED,    /* a member left a case */
    VN_LOG_DELETED,    /* an account was deleted */
    VN_LOG_COUNT
} vn_log_event;

#endif
