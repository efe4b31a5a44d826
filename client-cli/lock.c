/* The profile's lock: one vangnet process at a time works on a profile.
 * Two inbox runs would otherwise both take the same message off the server
 * and the second, finding its ratchet step already taken, would call it
 * undecryptable; two outbox flushes would send a message twice.
 *
 * An flock(2) on PROFILE/profile.lock, which also holds the holder's PID
 * for the message of a process that waited in vain. The kernel lets go
 * when the process ends, however it ends, so a killed vangnet never leaves
 * a profile locked. Long waits (inbox --follow waiting for pushes, send
 * --stdin waiting for a line) let go meanwhile. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define LOCK_NAME    "profile.lock"
#define LOCK_POLL_MS 20 /* how often a waiting process tries again */

/* The PID the holder wrote into the lock file, or 0. */
static long holder_pid(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

static void note_pid(int fd)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    /* Only for the message of a waiter: a failure here changes nothing. */
    if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) < 0) return;
}

vn_err vn_lock_take(vn_client *c)
{
    char path[4096];
    if (c->lock_held) {
        c->lock_depth++;
        return VN_OK;
    }
    snprintf(path, sizeof path, "%s/%s", c->profile, LOCK_NAME);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return VN_EIO;
    struct timespec pause = {0, LOCK_POLL_MS * 1000000L};
    long waited = 0;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            close(fd);
            return VN_EIO;
        }
        if (waited >= c->timeout_ms) {
            long pid = holder_pid(fd);
            char msg[64] = "another vangnet";
            if (pid > 0) snprintf(msg, sizeof msg, "PID %ld", pid);
            close(fd);
            vn_client_fail(c, VN_ETIMEOUT,
                           "profile %s is in use by %s (waited %d s); try again when it ends",
                           c->profile, msg, c->timeout_ms / 1000);
            return VN_ETIMEOUT;
        }
        nanosleep(&pause, NULL);
        waited += LOCK_POLL_MS;
    }
    note_pid(fd);
    c->lock_fd = fd;
    c->lock_held = true;
    c->lock_depth = 1;
    return VN_OK;
}

void vn_lock_drop(vn_client *c)
{
    if (!c->lock_held || --c->lock_depth > 0) return;
    vn_lock_release(c);
}

void vn_lock_release(vn_client *c)
{
    if (!c->lock_held) return;
    /* Closing the only descriptor of the open file lets go of the lock. */
    close(c->lock_fd);
    c->lock_held = false;
    c->lock_depth = 0;
}
