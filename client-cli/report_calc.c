/* The report's arithmetic (report_calc.h): kept apart from the server
 * calls and the device store so that a unit test can check its totals. */
#include "report_calc.h"

#include <string.h>

static const char *const state_names[VN_TEST_STATES] = {
    [VN_TEST_NONE] = "none",
    [VN_TEST_NEGATIVE] = "negative",
    [VN_TEST_POSITIVE_PENDING] = "positive-pending",
    [VN_TEST_POSITIVE_CONFIRMED] = "positive-confirmed",
    [VN_TEST_DILUTE] = "dilute",
    [VN_TEST_MISSED] = "missed",
};

static const char *const state_words[VN_TEST_STATES] = {
    [VN_TEST_NONE] = "no result",
    [VN_TEST_NEGATIVE] = "negative",
    [VN_TEST_POSITIVE_PENDING] = "positive, pending confirmation",
    [VN_TEST_POSITIVE_CONFIRMED] = "positive, confirmed",
    [VN_TEST_DILUTE] = "dilute",
    [VN_TEST_MISSED] = "missed",
};

vn_test_state vn_test_state_of(const char *result, bool confirmed)
{
    if (!result) return VN_TEST_NONE;
    if (strcmp(result, "positive") == 0)
        return confirmed ? VN_TEST_POSITIVE_CONFIRMED : VN_TEST_POSITIVE_PENDING;
    for (int s = VN_TEST_NEGATIVE; s < VN_TEST_STATES; s++)
        if (strcmp(result, state_names[s]) == 0) return (vn_test_state)s;
    return VN_TEST_NONE;
}

const char *vn_test_state_name(vn_test_state s)
{
    return (unsigned)s < VN_TEST_STATES ? state_names[s] : state_names[VN_TEST_NONE];
}

const char *vn_test_state_words(vn_test_state s)
{
    return (unsigned)s < VN_TEST_STATES ? state_words[s] : state_words[VN_TEST_NONE];
}

bool vn_report_test_missed(const vn_report_day *d, int32_t today)
{
    /* A drawn test is due on its day: only once that day is over is it
     * missed. A test recorded as missed is missed whenever it was due. */
    if (d->result == VN_TEST_MISSED) return true;
    return d->test_day && !d->test_taken && d->day < today && d->result == VN_TEST_NONE;
}

void vn_report_total(const vn_report_day *days, size_t n, int32_t today, vn_report_totals *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < n; i++) {
        const vn_report_day *d = &days[i];
        t->days++;
        t->checkins += d->checkin;
        t->checkins_missed += d->checkin_missed;
        t->test_days += d->test_day;
        t->tests_taken += d->test_day && d->test_taken;
        t->tests_missed += vn_report_test_missed(d, today);
        t->cm_contacts += d->cm_contacts;
        t->buddy_contacts += d->buddy_contacts;
        t->selfhelp += d->selfhelp;
        t->absence_days += d->absent;
        /* One outcome per test and day: the device keeps only the last
         * one recorded, so a corrected result counts once. */
        if (d->result != VN_TEST_NONE && d->result < VN_TEST_STATES) {
            t->results++;
            t->by_state[d->result]++;
            t->corrections += d->corrected;
        }
    }
}

void vn_csv_field(FILE *f, const char *s)
{
    if (!s) return;
    bool formula = strchr("=+-@", s[0]) != NULL && s[0] != '\0';
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (formula) fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
