/* Unit tests of the signal catalogue: its shape (phases, counts, codes, texts),
 * lookups, the severity a report gets from its items, acknowledgement limits
 * and the name/parse round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vn/signals.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The code letter each phase must use. */
static char phase_letter(vn_signal_phase p)
{
    switch (p) {
    case VN_PHASE_EARLY:
        return 'E';
    case VN_PHASE_PROBLEM:
        return 'P';
    case VN_PHASE_END:
        return 'X';
    case VN_PHASE_BURNOUT:
        return 'B';
    }
    return '?';
}

/* True when s is well-formed UTF-8 without control characters; the Dutch
 * labels carry diacritics (patiënten, suïcidale) and must survive any UI. */
static int is_utf8_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t more;
        if (*p < 0x20 || *p == 0x7f) return 0;
        if (*p < 0x80)
            more = 0;
        else if (*p >= 0xc2 && *p <= 0xdf)
            more = 1;
        else if (*p >= 0xe0 && *p <= 0xef)
            more = 2;
        else if (*p >= 0xf0 && *p <= 0xf4)
            more = 3;
        else
            return 0;
        p++;
        for (; more > 0; more--, p++)
            if ((*p & 0xc0) != 0x80) return 0;
    }
    return 1;
}

static int is_printable_ascii(const char *s)
{
    for (; *s; s++)
        if (*s < 0x20 || *s > 0x7e) return 0;
    return 1;
}

static void test_count_and_phases(void **state)
{
    size_t n = vn_signals_count();
    size_t per_phase[5] = {0};

    assert_int_equal(n, 29);
    for (size_t i = 0; i < n; i++) {
        const vn_signal *s = vn_signals_at(i);
        assert_non_null(s);
        assert_in_range(s->phase, VN_PHASE_EARLY, VN_PHASE_BURNOUT);
        per_phase[s->phase]++;
        /* Display order: grouped by phase, early first, burnout last. */
        if (i > 0) assert_true(vn_signals_at(i - 1)->phase <= s->phase);
    }
    assert_int_equal(per_phase[VN_PHASE_EARLY], 8);
    assert_int_equal(per_phase[VN_PHASE_PROBLEM], 9);
    assert_int_equal(per_phase[VN_PHASE_END], 5);
    assert_int_equal(per_phase[VN_PHASE_BURNOUT], 7);
    assert_null(vn_signals_at(n));
    assert_null(vn_signals_at(n + 1));
    assert_null(vn_signals_at(SIZE_MAX));
}

/* Codes are the wire format: pin every one of them to its place and phase so
 * that a renumbering or a moved item fails here, not in the field. */
static void test_codes_pinned(void **state)
{
    static const char *const want[] = {
        "E01", "E02", "E03", "E04", "E05", "E06", "E07", "E08", "P01", "P02",
        "P03", "P04", "P05", "P06", "P07", "P08", "P09", "X01", "X02", "X03",
        "X04", "X05", "B01", "B02", "B03", "B04", "B05", "B06", "B07",
    };

    assert_int_equal(vn_signals_count(), NELEM(want));
    for (size_t i = 0; i < NELEM(want); i++)
        assert_string_equal(vn_signals_at(i)->code, want[i]);
}

static void test_codes_unique_and_well_formed(void **state)
{
    size_t n = vn_signals_count();
    int expect_num = 0;

    for (size_t i = 0; i < n; i++) {
        const vn_signal *s = vn_signals_at(i);
        assert_non_null(s->code);
        assert_int_equal(strlen(s->code), 3);
        assert_int_equal(s->code[0], phase_letter(s->phase));
        assert_in_range(s->code[1], '0', '9');
        assert_in_range(s->code[2], '0', '9');
        /* Numbered 01, 02, ... without gaps within each phase. */
        if (i == 0 || vn_signals_at(i - 1)->phase != s->phase) expect_num = 0;
        expect_num++;
        assert_int_equal((s->code[1] - '0') * 10 + (s->code[2] - '0'), expect_num);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(vn_signals_at(j)->code, s->code);
    }
}

static void test_texts(void **state)
{
    size_t n = vn_signals_count();

    for (size_t i = 0; i < n; i++) {
        const vn_signal *s = vn_signals_at(i);
        assert_non_null(s->nl);
        assert_non_null(s->en);
        assert_true(strlen(s->nl) > 0);
        assert_true(strlen(s->en) > 0);
        /* Short labels, not paragraphs. */
        assert_true(strlen(s->nl) <= 80);
        assert_true(strlen(s->en) <= 80);
        assert_true(is_utf8_text(s->nl));
        assert_true(is_printable_ascii(s->en));
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(vn_signals_at(j)->nl, s->nl);
            assert_string_not_equal(vn_signals_at(j)->en, s->en);
        }
    }
    /* Spot checks against the source texts. */
    assert_string_equal(vn_signals_find("P02")->nl, "Klachten van patiënten en staf");
    assert_string_equal(vn_signals_find("X05")->en, "Suicidal statements or attempts");
    assert_string_equal(vn_signals_find("B07")->en, "Not rested in the morning");
}

static void test_find(void **state)
{
    size_t n = vn_signals_count();

    for (size_t i = 0; i < n; i++) {
        const vn_signal *s = vn_signals_at(i);
        assert_ptr_equal(vn_signals_find(s->code), s);
    }
    assert_int_equal(vn_signals_find("E01")->phase, VN_PHASE_EARLY);
    assert_int_equal(vn_signals_find("P09")->phase, VN_PHASE_PROBLEM);
    assert_int_equal(vn_signals_find("X01")->phase, VN_PHASE_END);
    assert_int_equal(vn_signals_find("B01")->phase, VN_PHASE_BURNOUT);

    assert_null(vn_signals_find(NULL));
    assert_null(vn_signals_find(""));
    assert_null(vn_signals_find("E00"));
    assert_null(vn_signals_find("E09"));
    assert_null(vn_signals_find("P10"));
    assert_null(vn_signals_find("X06"));
    assert_null(vn_signals_find("B08"));
    assert_null(vn_signals_find("e01"));
    assert_null(vn_signals_find("E1"));
    assert_null(vn_signals_find("E01 "));
    assert_null(vn_signals_find(" E01"));
    assert_null(vn_signals_find("E010"));
}

/* Severity of a list of codes; fails the test on an error. */
static vn_severity sev_of(const char *const *codes, size_t n)
{
    vn_severity out = 0;
    const char *bad = "sentinel";
    assert_int_equal(vn_signals_severity(codes, n, &out, &bad), VN_OK);
    assert_null(bad);
    return out;
}

static void test_severity_each_phase(void **state)
{
    size_t n = vn_signals_count();

    for (size_t i = 0; i < n; i++) {
        const vn_signal *s = vn_signals_at(i);
        vn_severity want = s->phase == VN_PHASE_END       ? VN_SEV_CRISIS
                           : s->phase == VN_PHASE_PROBLEM ? VN_SEV_URGENT
                                                          : VN_SEV_CONCERN;
        assert_int_equal(sev_of(&s->code, 1), want);
    }
}

static void test_severity_mixes(void **state)
{
    static const char *const early_burnout[] = {"E01", "B03", "E08", "B07"};
    static const char *const with_problem[] = {"E02", "B01", "P07", "E05"};
    static const char *const problem_first[] = {"P01", "E01"};
    static const char *const with_end[] = {"E03", "P08", "X03", "B02", "P01"};
    static const char *const end_first[] = {"X05", "P04", "E06"};
    static const char *const end_last[] = {"B05", "E04", "P03", "X01"};
    static const char *const dups[] = {"P05", "P05", "P05"};
    static const char *const all_end[] = {"X01", "X02", "X03", "X04", "X05"};

    assert_int_equal(sev_of(early_burnout, NELEM(early_burnout)), VN_SEV_CONCERN);
    assert_int_equal(sev_of(with_problem, NELEM(with_problem)), VN_SEV_URGENT);
    assert_int_equal(sev_of(problem_first, NELEM(problem_first)), VN_SEV_URGENT);
    assert_int_equal(sev_of(with_end, NELEM(with_end)), VN_SEV_CRISIS);
    assert_int_equal(sev_of(end_first, NELEM(end_first)), VN_SEV_CRISIS);
    assert_int_equal(sev_of(end_last, NELEM(end_last)), VN_SEV_CRISIS);
    assert_int_equal(sev_of(dups, NELEM(dups)), VN_SEV_URGENT);
    assert_int_equal(sev_of(all_end, NELEM(all_end)), VN_SEV_CRISIS);
    /* Only the first n entries count. */
    assert_int_equal(sev_of(with_end, 2), VN_SEV_URGENT);
    assert_int_equal(sev_of(end_last, 2), VN_SEV_CONCERN);

    /* The whole catalogue at once is a crisis. */
    const char *all[29];
    assert_int_equal(vn_signals_count(), NELEM(all));
    for (size_t i = 0; i < NELEM(all); i++)
        all[i] = vn_signals_at(i)->code;
    assert_int_equal(sev_of(all, NELEM(all)), VN_SEV_CRISIS);

    /* bad may be NULL on success too. */
    vn_severity out = 0;
    assert_int_equal(vn_signals_severity(with_problem, NELEM(with_problem), &out, NULL), VN_OK);
    assert_int_equal(out, VN_SEV_URGENT);
}

static void test_severity_unknown(void **state)
{
    static const char *const one_bad[] = {"E01", "X01", "Z99", "P01"};
    static const char *const two_bad[] = {"E01", "e02", "P01", "Q01"};
    static const char *const bad_first[] = {"E10", "X05"};
    static const char *const null_entry[] = {"E01", NULL, "X01"};
    vn_severity out = VN_SEV_URGENT;
    const char *bad = NULL;

    assert_int_equal(vn_signals_severity(one_bad, NELEM(one_bad), &out, &bad), VN_EINVAL);
    assert_ptr_equal(bad, one_bad[2]);
    assert_int_equal(out, VN_SEV_URGENT); /* untouched */

    assert_int_equal(vn_signals_severity(two_bad, NELEM(two_bad), &out, &bad), VN_EINVAL);
    assert_string_equal(bad, "e02");

    assert_int_equal(vn_signals_severity(bad_first, NELEM(bad_first), &out, &bad), VN_EINVAL);
    assert_string_equal(bad, "E10");
    /* A known prefix of the list is still fine. */
    assert_int_equal(vn_signals_severity(one_bad, 2, &out, &bad), VN_OK);
    assert_int_equal(out, VN_SEV_CRISIS);
    assert_null(bad);

    bad = "sentinel";
    out = VN_SEV_CONCERN;
    assert_int_equal(vn_signals_severity(null_entry, NELEM(null_entry), &out, &bad), VN_EINVAL);
    assert_null(bad);
    assert_int_equal(out, VN_SEV_CONCERN);

    /* bad may be NULL. */
    assert_int_equal(vn_signals_severity(one_bad, NELEM(one_bad), &out, NULL), VN_EINVAL);
    assert_int_equal(out, VN_SEV_CONCERN);
}

static void test_severity_empty(void **state)
{
    static const char *const codes[] = {"X01"};
    vn_severity out = VN_SEV_URGENT;
    const char *bad = "sentinel";

    assert_int_equal(vn_signals_severity(codes, 0, &out, &bad), VN_EINVAL);
    assert_null(bad);
    assert_int_equal(out, VN_SEV_URGENT);
    assert_int_equal(vn_signals_severity(NULL, 0, &out, &bad), VN_EINVAL);
    assert_int_equal(vn_signals_severity(NULL, 3, &out, NULL), VN_EINVAL);
    assert_int_equal(out, VN_SEV_URGENT);
}

static void test_ack_limits(void **state)
{
    assert_int_equal(vn_signals_ack_minutes(VN_SEV_CRISIS), 60);
    assert_int_equal(vn_signals_ack_minutes(VN_SEV_URGENT), 1440);
    assert_int_equal(vn_signals_ack_minutes(VN_SEV_CONCERN), 4320);
    /* More severe is never given longer. */
    assert_true(vn_signals_ack_minutes(VN_SEV_CRISIS) < vn_signals_ack_minutes(VN_SEV_URGENT));
    assert_true(vn_signals_ack_minutes(VN_SEV_URGENT) < vn_signals_ack_minutes(VN_SEV_CONCERN));
    /* Not a severity: escalate at once. */
    assert_int_equal(vn_signals_ack_minutes((vn_severity)0), 0);
    assert_int_equal(vn_signals_ack_minutes((vn_severity)4), 0);
    assert_int_equal(vn_signals_ack_minutes((vn_severity)-1), 0);
}

static void test_severity_names(void **state)
{
    static const struct {
        vn_severity sev;
        const char *name;
    } cases[] = {
        {VN_SEV_CONCERN, "concern"},
        {VN_SEV_URGENT, "urgent"},
        {VN_SEV_CRISIS, "crisis"},
    };

    for (size_t i = 0; i < NELEM(cases); i++) {
        vn_severity out = 0;
        assert_string_equal(vn_signals_severity_name(cases[i].sev), cases[i].name);
        assert_int_equal(vn_signals_severity_parse(cases[i].name, &out), VN_OK);
        assert_int_equal(out, cases[i].sev);
        assert_int_equal(vn_signals_severity_parse(vn_signals_severity_name(out), &out), VN_OK);
        assert_int_equal(out, cases[i].sev);
    }
    assert_string_equal(vn_signals_severity_name((vn_severity)0), "unknown");
    assert_string_equal(vn_signals_severity_name((vn_severity)4), "unknown");
    assert_string_equal(vn_signals_severity_name((vn_severity)-1), "unknown");

    static const char *const rejects[] = {"",        "unknown", "Crisis",  "CRISIS",
                                          "crisis ", "urg",     "concerns"};
    for (size_t i = 0; i < NELEM(rejects); i++) {
        vn_severity out = VN_SEV_URGENT;
        assert_int_equal(vn_signals_severity_parse(rejects[i], &out), VN_EINVAL);
        assert_int_equal(out, VN_SEV_URGENT);
    }
    vn_severity out = VN_SEV_URGENT;
    assert_int_equal(vn_signals_severity_parse(NULL, &out), VN_EINVAL);
    assert_int_equal(out, VN_SEV_URGENT);
}

static void test_phase_names(void **state)
{
    assert_string_equal(vn_signals_phase_name(VN_PHASE_EARLY), "early");
    assert_string_equal(vn_signals_phase_name(VN_PHASE_PROBLEM), "problem");
    assert_string_equal(vn_signals_phase_name(VN_PHASE_END), "end");
    assert_string_equal(vn_signals_phase_name(VN_PHASE_BURNOUT), "burnout");
    assert_string_equal(vn_signals_phase_name((vn_signal_phase)0), "unknown");
    assert_string_equal(vn_signals_phase_name((vn_signal_phase)5), "unknown");
    assert_string_equal(vn_signals_phase_name((vn_signal_phase)-1), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_and_phases),
        cmocka_unit_test(test_codes_pinned),
        cmocka_unit_test(test_codes_unique_and_well_formed),
        cmocka_unit_test(test_texts),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_severity_each_phase),
        cmocka_unit_test(test_severity_mixes),
        cmocka_unit_test(test_severity_unknown),
        cmocka_unit_test(test_severity_empty),
        cmocka_unit_test(test_ack_limits),
        cmocka_unit_test(test_severity_names),
        cmocka_unit_test(test_phase_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
