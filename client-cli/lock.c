/* The profile's lock: one vangnet process at a time works on a profile.
 * Two inbox runs would otherwise both take the same message off the server
 * and the second, finding its ratchet step already taken, would call it
 * undecryptable; two outbox flushes would send a message twice.
 *
 * An flock(2) on the profile directory itself, so that the profile gains
 * no file; the kernel lets go when the process ends, however it ends, so a
 * killed vangnet never leaves a profile locked. A process that waited in
 * vain names the holder from /proc/locks. Long waits (inbox --follow
 * waiting for pushes, send --stdin waiting for a line) let go meanwhile. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define LOCK_POLL_MS 20 /* how often a waiting process tries again */

/* The PID that holds an flock on the file of fd, from /proc/locks
 * ("1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"), or 0. */
static long holder_pid(int fd)
{
    struct stat st;
    char line[256];
    long found = 0;
    FILE *f = fstat(fd, &st) == 0 ? fopen("/proc/locks", "re") : NULL;
    if (!f) return 0;
    while (!found && fgets(line, sizeof line, f)) {
        long pid;
        unsigned maj, min;
        unsigned long ino;
        if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &pid, &maj, &min, &ino) == 4 &&
            ino == (unsigned long)st.st_ino && maj == major(st.st_dev) && min == minor(st.st_dev))
            found = pid;
    }
    fclose(f);
    return found;
}

vn_err vn_lock_take(vn_client *c)
{
    if (c->lock_held) {
        c->lock_depth++;
        return VN_OK;
    }
    int fd = open(c->profile, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
