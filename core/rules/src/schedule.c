/* The schedule maths of a monitoring contract. Everything here is a pure
 * function of its arguments: the server passes in the terms, the events it
 * recorded, the approved absences and the local date, and gets back what is
 * due. Keeping the clock and the CSPRNG outside is what lets the tests walk
 * through a whole 60-month contract and check the draw statistically. */
#include "vn/schedule.h"

#include <string.h>

/* Ten years of days rounded up to whole 64-bit words: a valid contract
 * (at most VN_MONTHS_MAX months, 3653 days) always fits, so the bitmaps of
 * vn_schedule_due can live on the stack instead of being allocated. */
#define WINDOW_WORDS 58
#define WINDOW_DAYS  (WINDOW_WORDS * 64)

bool vn_schedule_absent(const vn_absence *abs, size_t n, int32_t day)
{
    for (size_t i = 0; i < n; i++)
        if (day >= abs[i].from_day && day <= abs[i].to_day) return true;
    return false;
}

bool vn_schedule_draw(const vn_terms *t, const vn_absence *abs, size_t nabs, int32_t day,
                      uint32_t r)
{
    uint16_t rate;
    int32_t len;
    if (!vn_terms_month_rate(t, day, &rate, &len) || vn_schedule_absent(abs, nabs, day))
        return false;
    /* floor(rate * 2^32 / len) in integers: a double p * 2^32 would round
     * differently per month length, this is exact. With rate >= len the
     * threshold is >= 2^32 and every r passes. */
    uint64_t threshold = ((uint64_t)rate << 32) / (uint64_t)len;
    return (uint64_t)r < threshold;
}

/* Days in [lo, hi] covered by the union of the absences. Walks the range
 * in segments: from a covered day jump past the furthest-reaching absence
 * that covers it, from an uncovered day to the next absence that starts.
 * No sorting and no allocation, O(n) per segment. */
static int64_t covered_days(const vn_absence *abs, size_t n, int32_t lo, int32_t hi)
{
    int64_t total = 0;
    int64_t d = lo;
    while (d <= hi) {
        int64_t reach = d - 1, next = (int64_t)hi + 1;
        for (size_t i = 0; i < n; i++) {
            if (abs[i].from_day > abs[i].to_day) continue;
            if (abs[i].from_day <= d && abs[i].to_day >= d) {
                if (abs[i].to_day > reach) reach = abs[i].to_day;
            } else if (abs[i].from_day > d && abs[i].from_day < next) {
                next = abs[i].from_day;
            }
        }
        if (reach >= d) {
            if (reach > hi) reach = hi;
            total += reach - d + 1;
            d = reach + 1;
        } else {
            d = next;
        }
    }
    return total;
}

/* First and last day of contract year y, clipped to the contract. */
static void year_bounds(const vn_terms *t, int y, int32_t *lo, int32_t *hi)
{
    *lo = vn_terms_month_start(t, (y - 1) * 12 + 1);
    int last_month = y * 12 > t->months ? t->months : y * 12;
    *hi = vn_terms_month_start(t, last_month + 1) - 1;
}

int vn_schedule_absence_days_in_year(const vn_terms *t, const vn_absence *abs, size_t n,
                                     int32_t year_of_day)
{
    int y = vn_terms_year_of(t, year_of_day);
    if (y == 0) return 0;
    int32_t lo, hi;
    year_bounds(t, y, &lo, &hi);
    return (int)covered_days(abs, n, lo, hi);
}

bool vn_schedule_absence_allowed(const vn_terms *t, const vn_absence *abs, size_t n, vn_absence add)
{
    if (add.from_day > add.to_day) return false;
    int32_t end = vn_terms_end_day(t);
    int32_t from = add.from_day < t->start_day ? t->start_day : add.from_day;
    int32_t to = add.to_day > end ? end : add.to_day;
    /* Days outside the contract count against no year. An absence can span
     * a year boundary, so check each contract year it touches. */
    for (int32_t d = from; d <= to;) {
        int32_t lo, hi;
        year_bounds(t, vn_terms_year_of(t, d), &lo, &hi);
        int32_t seg_hi = to < hi ? to : hi;
        int64_t have = covered_days(abs, n, lo, hi);
        int64_t fresh = (int64_t)(seg_hi - d + 1) - covered_days(abs, n, d, seg_hi);
        if (have + fresh > t->absence_max_days) return false;
        d = seg_hi + 1;
    }
    return true;
}

const char *vn_schedule_due_name(vn_due_kind k)
{
    switch (k) {
    case VN_DUE_CM_CONTACT:
        return "casemanager-contact";
    case VN_DUE_BUDDY_CONTACT:
        return "buddy-contact";
    case VN_DUE_SELFHELP:
        return "selfhelp";
    case VN_DUE_CHECKIN:
        return "checkin";
    case VN_DUE_TEST:
        return "test";
    }
    return "unknown";
}

/* Slots of scan.last, indexed by event kind. Kinds this module does not
 * know share slot 0, which is never read. */
#define KIND_SLOTS 16

/* What one pass over the events collects for vn_schedule_due. */
typedef struct scan {
    int32_t last[KIND_SLOTS];      /* latest day <= today per event kind, or INT32_MIN */
    int32_t lo;                    /* day of bit 0 in the bitmaps */
    uint64_t map[3][WINDOW_WORDS]; /* day bitmaps: ignored kinds, VN_EV_DRAW_TEST, VN_EV_TEST */
} scan;

/* One pass, any order: the latest day of every kind (today's check-in is
 * a VN_EV_CHECKIN whose latest day is today) and the draw and test days of
 * the window [s->lo, today] as bitmaps, so matching draws with tests costs
 * O(n) rather than O(n^2).
 *
 * Because the events come in any order, the kind of the next event is
 * unpredictable and a switch on it mispredicts about every other time.
 * Table look-ups and conditional moves leave the loop without a
 * data-dependent branch; bench_schedule measured it about twice as fast. */
static void scan_events(scan *s, const vn_event *ev, size_t nev, int32_t today)
{
    static const uint8_t row[KIND_SLOTS] = {[VN_EV_DRAW_TEST] = 1, [VN_EV_TEST] = 2};
    uint32_t span = (uint32_t)today - (uint32_t)s->lo;
    for (size_t i = 0; i < nev; i++) {
        int32_t d = ev[i].day;
        unsigned k = ev[i].kind < KIND_SLOTS ? ev[i].kind : 0;
        int32_t seen = d <= today ? d : INT32_MIN;
        s->last[k] = seen > s->last[k] ? seen : s->last[k];
        /* Unsigned wrap-around turns "lo <= d <= today" into one compare
         * and cannot overflow, whatever day an event claims. */
        uint32_t b = (uint32_t)d - (uint32_t)s->lo;
        bool in = b <= span;
        s->map[in ? row[k] : 0][in ? b / 64 : 0] |= (uint64_t)in << (b % 64);
    }
}

/* A contact deadline that falls inside an absence moves to the day after
 * that absence. Each move passes the end of one absence, so at most nabs
 * moves happen, even for back-to-back absences. */
static int32_t shift_past_absences(const vn_absence *abs, size_t nabs, int32_t day)
{
    for (size_t guard = 0; guard <= nabs; guard++) {
        bool moved = false;
        for (size_t i = 0; i < nabs; i++) {
            if (day >= abs[i].from_day && day <= abs[i].to_day) {
                day = abs[i].to_day + 1;
                moved = true;
            }
        }
        if (!moved) break;
    }
    return day;
}

static bool more_urgent(const vn_due *a, const vn_due *b)
{
    if (a->overdue != b->overdue) return a->overdue;
    if (a->due_day != b->due_day) return a->due_day < b->due_day;
    return a->kind < b->kind;
}

/* Appends the untested draws of the window, newest first, up to the cap. */
static size_t add_tests(const scan *s, int32_t today, vn_due *items, size_t n)
{
    size_t found = 0;
    uint32_t top = (uint32_t)(today - s->lo);
    for (int w = (int)(top / 64); w >= 0 && found < VN_DUE_TESTS_MAX; w--) {
        uint64_t open = s->map[1][w] & ~s->map[2][w];
        for (int b = 63; b >= 0 && open != 0 && found < VN_DUE_TESTS_MAX; b--) {
            if (!(open >> b & 1)) continue;
            open &= ~((uint64_t)1 << b);
            int32_t d = s->lo + w * 64 + b;
            items[n++] = (vn_due){VN_DUE_TEST, d, today > d, today == d};
            found++;
        }
    }
    return n;
}

size_t vn_schedule_due(const vn_terms *t, const vn_event *ev, size_t nev, const vn_absence *abs,
                       size_t nabs, int32_t today, int minute, vn_due *out, size_t max)
{
    int32_t end = vn_terms_end_day(t);
    if (today < t->start_day || today > end) return 0;

    scan s;
    for (int k = 0; k < KIND_SLOTS; k++)
        s.last[k] = INT32_MIN;
    /* Valid terms always fit the window; for longer ones only the most
     * recent WINDOW_DAYS days are searched for untested draws. */
    s.lo = today - t->start_day < WINDOW_DAYS ? t->start_day : today - WINDOW_DAYS + 1;
    size_t words = (size_t)(today - s.lo) / 64 + 1;
    for (int r = 0; r < 3; r++)
        memset(s.map[r], 0, words * sizeof s.map[r][0]);
    scan_events(&s, ev, nev, today);

    vn_due items[VN_DUE_MAX];
    size_t n = 0;
    const uint16_t interval[3] = {t->cm_contact_days, t->buddy_contact_days, t->selfhelp_days};
    for (int k = 0; k < 3; k++) {
        int32_t last = s.last[VN_EV_CM_CONTACT + k];
        int32_t base = last > t->start_day ? last : t->start_day;
        int32_t deadline = shift_past_absences(abs, nabs, base + interval[k]);
        if (deadline > end) continue;
        bool overdue = today > deadline;
        bool remind = !overdue && today >= deadline - t->remind_days;
        items[n++] = (vn_due){(uint8_t)(VN_DUE_CM_CONTACT + k), deadline, overdue, remind};
    }
    if (s.last[VN_EV_CHECKIN] != today && !vn_schedule_absent(abs, nabs, today)) {
        bool overdue = minute >= t->checkin_end_min;
        bool open = !overdue && minute >= t->checkin_start_min;
        items[n++] = (vn_due){VN_DUE_CHECKIN, today, overdue, open};
    }
    n = add_tests(&s, today, items, n);

    /* At most VN_DUE_MAX items: an insertion sort is the simplest correct
     * choice and is stable, so equal keys keep their kind order. */
    for (size_t i = 1; i < n; i++) {
        vn_due x = items[i];
        size_t j = i;
        for (; j > 0 && more_urgent(&x, &items[j - 1]); j--)
            items[j] = items[j - 1];
        items[j] = x;
    }
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = items[i];
    return n;
}
