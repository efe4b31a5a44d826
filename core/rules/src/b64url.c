#include "vn/b64url.h"

#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

vn_err vn_b64url_encode(const uint8_t *in, size_t len, char *out, size_t outsize)
{
    size_t need = (len / 3) * 4 + (len % 3 ? len % 3 + 1 : 0) + 1;
    if (need > outsize) return VN_ETOOBIG;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
        out[o++] = b64[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
    }
    out[o] = '\0';
    return VN_OK;
}

static int b64val(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

vn_err vn_b64url_decode(const char *in, uint8_t *out, size_t outsize, size_t *outlen)
{
    size_t len = strlen(in), o = 0;
    if (len % 4 == 1) return VN_EINVAL;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(in[i]);
        if (v < 0) return VN_EINVAL;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= outsize) return VN_ETOOBIG;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* The last character's unused low bits must be zero: otherwise two
     * texts would decode to the same bytes. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return VN_EINVAL;
    *outlen = o;
    return VN_OK;
}
