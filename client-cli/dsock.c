/* The client's side of the daemon's socket (dsock.h). */
#include "dsock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int vn_dsock_connect(const char *profile)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int n = snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", profile, VN_DAEMON_SOCK);
    if (n < 0 || (size_t)n >= sizeof sa.sun_path) return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int64_t vn_dsock_mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool vn_dsock_send(int fd, const char *buf, size_t len, int64_t deadline)
{
    bool sock = true;
    while (len > 0) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int64_t left = deadline - vn_dsock_mono_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) return false;
        ssize_t n = sock ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
        if (n < 0 && errno == ENOTSOCK && sock) {
            sock = false; /* standard output, say */
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

char *vn_dsock_recv_line(int fd, int64_t deadline, size_t max, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int64_t left = deadline - vn_dsock_mono_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) break;
        if (n == cap) {
            char *b = cap < max ? realloc(buf, cap * 2 + 1) : NULL;
            if (!b) break;
            buf = b;
            cap *= 2;
        }
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        char *nl = memchr(buf + n, '\n', (size_t)k);
        n += (size_t)k;
        if (nl) {
            *len = (size_t)(nl - buf);
            buf[*len] = '\0';
            return buf;
        }
    }
    free(buf);
    return NULL;
}
