#include "vn/util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

vn_err vn_random(void *buf, size_t len)
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

vn_err vn_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 ? VN_OK : VN_ECRYPTO;
}

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

bool vn_account_valid(const char *s)
{
    if (!s || strlen(s) != VN_ACCOUNT_HEX) return false;
    for (size_t i = 0; i < VN_ACCOUNT_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

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
    *outlen = o;
    return VN_OK;
}

vn_err vn_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s) return VN_EINVAL;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return VN_EINVAL;
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) return VN_EINVAL;
        v = v * 10 + d;
    }
    if (v < min || v > max) return VN_EINVAL;
    *out = v;
    return VN_OK;
}

vn_err vn_parse_duration(const char *s, uint64_t *ms)
{
    char num[24];
    size_t len = s ? strlen(s) : 0;
    uint64_t unit, v;
    if (len < 2 || len > sizeof num) return VN_EINVAL;
    switch (s[len - 1]) {
    case 's':
        unit = 1000;
        break;
    case 'm':
        unit = 60000;
        break;
    case 'h':
        unit = 3600000;
        break;
    case 'd':
        unit = 86400000;
        break;
    default:
        return VN_EINVAL;
    }
    memcpy(num, s, len - 1);
    num[len - 1] = '\0';
    if (vn_parse_u64(num, 0, UINT64_MAX / unit, &v)) return VN_EINVAL;
    *ms = v * unit;
    return VN_OK;
}

uint64_t vn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void vn_put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

uint64_t vn_get_be64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

void vn_put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

uint32_t vn_get_be32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | p[i];
    return v;
}
