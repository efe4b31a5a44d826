#include "vn/parse.h"

#include <string.h>

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
