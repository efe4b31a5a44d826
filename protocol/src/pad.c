#include "vn/pad.h"

#include "vn/frame.h"

#include <stdlib.h>
#include <string.h>

size_t vn_pad_bucket(size_t len)
{
    size_t need = len + 4;
    if (need > VN_BODY_MAX || need < len) return 0;
    for (size_t b = 256; b <= 2048; b *= 2)
        if (need <= b) return b;
    size_t b = (need + 4095) / 4096 * 4096;
    return b > VN_BODY_MAX ? VN_BODY_MAX : b;
}

vn_err vn_pad_encode(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
    size_t b = vn_pad_bucket(len);
    if (b == 0) return VN_ETOOBIG;
    uint8_t *p = calloc(1, b);
    if (!p) return VN_ENOMEM;
    p[0] = (uint8_t)(len >> 24);
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    memcpy(p + 4, in, len);
    *out = p;
    *outlen = b;
    return VN_OK;
}

vn_err vn_pad_decode(const uint8_t *in, size_t len, const uint8_t **payload, size_t *plen)
{
    if (len < 4) return VN_EPROTO;
    size_t n = (size_t)in[0] << 24 | (size_t)in[1] << 16 | (size_t)in[2] << 8 | in[3];
    if (n > len - 4) return VN_EPROTO;
    /* A well-formed body is exactly one bucket long and zero-filled. */
    if (vn_pad_bucket(n) != len) return VN_EPROTO;
    for (size_t i = 4 + n; i < len; i++)
        if (in[i] != 0) return VN_EPROTO;
    *payload = in + 4;
    *plen = n;
    return VN_OK;
}
