/* Notification commands: for each event that should reach a person now,
 * `sh -c CMD` with the short text in $VANGNET_NOTIFY_TEXT (and as $1) and
 * the event's kind in $VANGNET_NOTIFY_KIND. Never waited for: a command is
 * started (at most RUN_MAX at once, the rest queued), reaped when done,
 * and killed when it runs on past RUN_LIMIT_MS. Concern-level items wait
 * out the profile's quiet hours (as the server holds concern notices);
 * crisis, urgent and SOS never wait. */
#define _GNU_SOURCE
#include "daemon.h"

#include "vn/day.h"
#include "vn/wallclock.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_MAX      4     /* commands running at once */
#define QUEUE_MAX    256   /* waiting to run, or held for quiet hours */
#define RUN_LIMIT_MS 60000 /* a command still running then is killed */
#define DEDUPE_MAX   64    /* recent alerts notified, so that one alert notifies once */

typedef struct running {
    pid_t pid;
    int64_t started;
} running;

struct vn_notify {
    char *cmd;
    bool content;
    running run[RUN_MAX];
    vn_event_note queue[QUEUE_MAX]; /* in order: due now, or held for quiet hours */
    bool held[QUEUE_MAX];           /* waits for quiet hours to end */
    size_t nqueue;
    char seen[DEDUPE_MAX][80]; /* a ring of recent dedupe keys */
    size_t nseen;
};

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

vn_err vn_notify_new(vn_notify **out, const char *cmd, bool content)
{
    vn_notify *n = calloc(1, sizeof *n);
    if (!n || !(n->cmd = strdup(cmd))) {
        free(n);
        return VN_ENOMEM;
    }
    n->content = content;
    *out = n;
    return VN_OK;
}

void vn_notify_free(vn_notify **np)
{
    vn_notify *n = *np;
    if (!n) return;
    free(n->cmd);
    free(n);
    *np = NULL;
}

bool vn_notify_content(const vn_notify *n)
{
    return n->content;
}

/* Whether now is inside the quiet hours this profile last set
 * ("HH:MM-HH:MM", kept by quiet-hours), by the same local clock as the
 * server's. */
static bool quiet_now(vn_client *c)
{
    char when[16];
    size_t len = 0;
    unsigned h1, m1, h2, m2;
    int minute;
    if (!c->kv || vn_client_cfg_get(c, "quiet_hours", when, sizeof when - 1, &len)) return false;
    when[len] = '\0';
    if (sscanf(when, "%u:%u-%u:%u", &h1, &m1, &h2, &m2) != 4) return false;
    int from = (int)(h1 * 60 + m1), to = (int)(h2 * 60 + m2);
    vn_day_local(vn_wallclock_ms(), &minute);
    return from <= to ? (minute >= from && minute < to) : (minute >= from || minute < to);
}

static bool seen_before(vn_notify *n, const char *key)
{
    if (!key[0]) return false;
    for (size_t i = 0; i < n->nseen && i < DEDUPE_MAX; i++)
        if (strcmp(n->seen[i], key) == 0) return true;
    snprintf(n->seen[n->nseen++ % DEDUPE_MAX], sizeof n->seen[0], "%s", key);
    return false;
}

void vn_notify_event(vn_notify *n, vn_client *c, const vn_event_note *note)
{
    if (seen_before(n, note->dedupe)) return;
    if (n->nqueue == QUEUE_MAX) {
        fprintf(stderr, "vangnet daemon: %d notifications wait; the oldest is dropped\n",
                QUEUE_MAX);
        memmove(n->queue, n->queue + 1, (QUEUE_MAX - 1) * sizeof n->queue[0]);
        memmove(n->held, n->held + 1, (QUEUE_MAX - 1) * sizeof n->held[0]);
        n->nqueue--;
    }
    n->held[n->nqueue] = note->concern && quiet_now(c);
    n->queue[n->nqueue++] = *note;
}

static pid_t spawn(const vn_notify *n, const vn_event_note *note)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* The child: nothing of the daemon's but standard error. */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) dup2(null, 0), dup2(null, 1);
    closefrom(3);
    setenv("VANGNET_NOTIFY_TEXT", note->text, 1);
    setenv("VANGNET_NOTIFY_KIND", note->kind, 1);
    signal(SIGPIPE, SIG_DFL);
    execl("/bin/sh", "sh", "-c", n->cmd, "vangnet-notify", note->text, (char *)NULL);
    _exit(127);
}

void vn_notify_tick(vn_notify *n, vn_client *c)
{
    int64_t now = mono_ms();
    int status;
    size_t busy = 0;
    for (size_t i = 0; i < RUN_MAX; i++) {
        running *r = &n->run[i];
        if (r->pid > 0 && waitpid(r->pid, &status, WNOHANG) == r->pid) r->pid = 0;
        if (r->pid > 0 && now - r->started > RUN_LIMIT_MS) {
            kill(r->pid, SIGKILL);
            fprintf(stderr, "vangnet daemon: a notify command ran over %d s and was killed\n",
                    RUN_LIMIT_MS / 1000);
        }
        busy += r->pid > 0;
    }
    bool quiet = false, asked = false;
    for (size_t i = 0; i < n->nqueue && busy < RUN_MAX;) {
        if (n->held[i]) {
            if (!asked) quiet = quiet_now(c), asked = true;
            if (quiet) {
                i++;
                continue;
            }
        }
        size_t slot = 0;
        while (n->run[slot].pid > 0)
            slot++;
        pid_t pid = spawn(n, &n->queue[i]);
        if (pid < 0) return; /* no process now: the next tick tries again */
        n->run[slot] = (running){.pid = pid, .started = now};
        busy++;
        memmove(n->queue + i, n->queue + i + 1, (n->nqueue - i - 1) * sizeof n->queue[0]);
        memmove(n->held + i, n->held + i + 1, (n->nqueue - i - 1) * sizeof n->held[0]);
        n->nqueue--;
    }
}
