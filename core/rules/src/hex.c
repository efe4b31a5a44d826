#include "vn/hex.h"

#include <string.h>

void vn_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

vn_err vn_hex_decode(const char *in, uint8_t *out, size_t outlen)
{
    if (!in || strlen(in) != 2 * outlen) return VN_EINVAL;
    for (size_t i = 0; i < outlen; i++) {
        int hi = hexval(in[2 * i]), lo = hexval(in[2 * i + 1]);
        if (hi < 0 || lo < 0) return VN_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return VN_OK;
}
