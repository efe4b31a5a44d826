#include "vn/rand.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

vn_err vn_rand_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return VN_ECRYPTO;
        }
        p += n;
        len -= (size_t)n;
    }
    return VN_OK;
}
