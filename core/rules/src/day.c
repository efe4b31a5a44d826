/* Calendar days: the integer dates every schedule computation uses. */
#include "vn/day.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* The civil date routines are Howard Hinnant's days_from_civil and
 * civil_from_days: exact, branch-light and valid for negative days too.
 * They compute in 64 bits so that no intermediate can overflow. */
int32_t vn_day_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void vn_day_to_civil(int32_t day, int *y, int *m, int *d)
{
    int64_t z = (int64_t)day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)mm;
    *y = (int)(yoe + era * 400 + (mm <= 2));
}

int vn_day_month_len(int y, int m)
{
    static const unsigned char len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return len[(m - 1) % 12];
}

int32_t vn_day_add_months(int32_t day, int months)
{
    int y, m, d;
    vn_day_to_civil(day, &y, &m, &d);
    /* Count months from year 0 so that the division below floors for
     * negative offsets as well. */
    int64_t idx = (int64_t)y * 12 + (m - 1) + months;
    int64_t ny = idx >= 0 ? idx / 12 : -((-idx + 11) / 12);
    int nm = (int)(idx - ny * 12) + 1;
    int last = vn_day_month_len((int)ny, nm);
    return vn_day_from_civil((int)ny, nm, d > last ? last : d);
}

int32_t vn_day_local(uint64_t ms, int *minute)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    if (minute) *minute = tm.tm_hour * 60 + tm.tm_min;
    return vn_day_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void vn_day_format(int32_t day, char out[11])
{
    int y, m, d;
    vn_day_to_civil(day, &y, &m, &d);
    /* Dates stay within 1970..9999 (vn_day_parse); unsigned keeps the
     * width known to the compiler. */
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

vn_err vn_day_parse(const char *s, int32_t *day)
{
    int y, m, d, n = 0;
    /* Digits exactly where they belong: sscanf's %d alone would also take a
     * sign or a leading space ("2027-+1-04"). */
    if (!s || strnlen(s, 11) != 10 || s[4] != '-' || s[7] != '-') return VN_EINVAL;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return VN_EINVAL;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || s[n] != '\0' || n != 10)
        return VN_EINVAL;
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return VN_EINVAL;
    int32_t v = vn_day_from_civil(y, m, d);
    int yy, mm, dd;
    vn_day_to_civil(v, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d) return VN_EINVAL; /* 2027-02-30 */
    *day = v;
    return VN_OK;
}

uint64_t vn_day_floor_ms(uint64_t ms)
{
    return ms - ms % 86400000u;
}
