/* vn_log: levelled lines on stderr, for a terminal or for journald. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The threshold is the one process-wide setting of this module: every
 * module logs through it, and it is set once from the command line. */
static vn_log_level threshold = VN_LEVEL_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
/* syslog priorities: LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG. */
static const int level_prio[] = {3, 4, 6, 7};

bool vn_log_level_parse(const char *name, vn_log_level *out)
{
    for (int i = VN_LEVEL_ERROR; i <= VN_LEVEL_DEBUG; i++)
        if (strcmp(name, level_names[i]) == 0) {
            *out = (vn_log_level)i;
            return true;
        }
    return false;
}

void vn_log_set_level(vn_log_level level)
{
    threshold = level;
}

bool vn_log_enabled(vn_log_level level)
{
    return level <= threshold;
}

static void vlog(vn_log_level level, const char *fmt, va_list ap)
{
    if (!vn_log_enabled(level)) return;
    /* systemd sets JOURNAL_STREAM when stderr is the journal: it stamps the
     * time itself and reads the priority from "<N>". */
    if (getenv("JOURNAL_STREAM")) {
        fprintf(stderr, "<%d>", level_prio[level]);
    } else {
        char ts[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(stderr, "%s %s vangnetd: ", ts, level_names[level]);
    }
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void vn_logl(vn_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

void vn_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(VN_LEVEL_INFO, fmt, ap);
    va_end(ap);
}
