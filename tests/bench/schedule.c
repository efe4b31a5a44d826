/* bench_schedule: how long does vn_schedule_due take for one contract with
 * a realistic history, i.e. how many contracts can the server check in a
 * sweep?
 *
 * For each of N contracts (varied start days, 1 to 4 phases with varied
 * rates) the program generates about two years of history into one
 * reusable buffer: daily check-ins (a few missed), the draw of every
 * checked-in day through vn_schedule_draw with the test on most drawn days,
 * weekly buddy and self-help contacts and monthly casemanager contacts, each
 * with the occasional lapse, and one approved absence. That is about 1000
 * events per contract, shuffled, because vn_schedule_due takes them in any
 * order. Then it times one vn_schedule_due call at the contract's "today".
 *
 * Only the vn_schedule_due calls are summed into the sweep time; the
 * generation is reported apart. The clock reads around each call are
 * measured on their own and reported, so the figure can be corrected for
 * them. The checksum of overdue and listed items keeps the compiler from
 * dropping the calls and lets two runs be compared.
 *
 * With --vangnetd PATH it measures the scheduler through the real server
 * instead: --cases N seeded cases, every one of which must be scheduled,
 * and how long the loop kept a pinging client waiting meanwhile (see
 * schedule_server.c). */
#include "vn/schedule.h"
#include "vn/parse.h"
#include <stdint.h>
#include "vn/day.h"
#include "schedule_server.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONTRACTS_DEFAULT 100000
#define CONTRACTS_MAX     100000000
#define EVENTS_MAX        4096 /* two years of history stays far below this */
#define HISTORY_DAYS      700  /* plus up to 60, so "today" is about two years in */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64: fast and deterministic, so runs are reproducible. The
 * benchmark needs varied data, not unpredictable data. */
static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static unsigned below(uint64_t *s, unsigned n)
{
    return (unsigned)(rnd(s) % n);
}

/* Random phases over 60 months: 1 to 4 phases, 1 to 8 tests a month. */
static void make_terms(vn_terms *t, uint64_t *s)
{
    vn_terms_default(t, vn_day_from_civil(2018, 1, 1) + (int32_t)below(s, 2500));
    unsigned n = 1 + below(s, 4), from = 1;
    t->nphases = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        unsigned to = i == n - 1 ? t->months : from + 5 + below(s, 12);
        t->phases[i] = (vn_phase){(uint16_t)from, (uint16_t)to, (uint16_t)(1 + below(s, 8))};
        from = to + 1;
    }
}

typedef struct history {
    vn_event ev[EVENTS_MAX]; /* reused for every contract */
    size_t n;                /* events in use */
    vn_absence away;         /* the one approved absence */
    int32_t today;           /* the day the sweep looks at */
    int minute;              /* minute of that day */
} history;

static void add(history *h, int32_t day, int kind)
{
    if (h->n < EVENTS_MAX) h->ev[h->n++] = (vn_event){day, (uint8_t)kind};
}

/* A contact of one kind every `every` days give or take `jitter`, and now
 * and then a lapse of twice the interval. */
static void contacts(history *h, uint64_t *s, int32_t from, int kind, unsigned every,
                     unsigned jitter)
{
    for (int32_t d = from + (int32_t)below(s, every); d <= h->today;) {
        if (!vn_schedule_absent(&h->away, 1, d)) add(h, d, kind);
        unsigned step = every - jitter + below(s, 2 * jitter + 1);
        d += (int32_t)(below(s, 20) == 0 ? 2 * step : step);
    }
}

static void make_history(history *h, const vn_terms *t, uint64_t *s)
{
    h->n = 0;
    h->today = t->start_day + HISTORY_DAYS + (int32_t)below(s, 60);
    h->minute = (int)below(s, 24 * 60);
    h->away.from_day = t->start_day + 30 + (int32_t)below(s, HISTORY_DAYS - 30);
    h->away.to_day = h->away.from_day + 6 + (int32_t)below(s, 8);
    for (int32_t d = t->start_day; d <= h->today; d++) {
        if (vn_schedule_absent(&h->away, 1, d) || below(s, 100) < 3)
            continue; /* away, or a missed check-in */
        add(h, d, VN_EV_CHECKIN);
        if (vn_schedule_draw(t, &h->away, 1, d, (uint32_t)rnd(s))) {
            add(h, d, VN_EV_DRAW_TEST);
            if (below(s, 100) < 95) add(h, d, VN_EV_TEST);
        }
    }
    contacts(h, s, t->start_day, VN_EV_BUDDY_CONTACT, 7, 2);
    contacts(h, s, t->start_day, VN_EV_SELFHELP, 7, 1);
    contacts(h, s, t->start_day, VN_EV_CM_CONTACT, 26, 4);
    for (size_t i = h->n; i > 1; i--) {
        size_t j = (size_t)(rnd(s) % i);
        vn_event x = h->ev[i - 1];
        h->ev[i - 1] = h->ev[j];
        h->ev[j] = x;
    }
}

static int usage(void)
{
    fprintf(stderr,
            "usage: bench_schedule [--contracts N]   (default %d): vn_schedule_due alone\n"
            "       bench_schedule --vangnetd PATH [--cases N] [--days D] [--tmpdir DIR]\n"
            "                      [--sweep SECONDS] [--after SECONDS]\n"
            "         the server's scheduler over N cases (default %d) begun D days ago\n"
            "         (default 1), pinged all along; vangnetd sweeps every SECONDS (default\n"
            "         3600: one pass); --after: pinging goes on that long once all are done\n",
            CONTRACTS_DEFAULT, CONTRACTS_DEFAULT);
    return 2;
}

int main(int argc, char **argv)
{
    uint64_t contracts = CONTRACTS_DEFAULT, cases = CONTRACTS_DEFAULT, days = 1, sweep = 3600;
    uint64_t after = 0;
    const char *vangnetd = NULL, *tmpdir = getenv("TMPDIR");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--contracts") == 0 && i + 1 < argc) {
            if (vn_parse_u64(argv[++i], 1, CONTRACTS_MAX, &contracts) != VN_OK) return usage();
        } else if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc) {
            if (vn_parse_u64(argv[++i], 1, 10000000, &cases) != VN_OK) return usage();
        } else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc) {
            if (vn_parse_u64(argv[++i], 1, 365, &days) != VN_OK) return usage();
        } else if (strcmp(argv[i], "--sweep") == 0 && i + 1 < argc) {
            if (vn_parse_u64(argv[++i], 1, 86400, &sweep) != VN_OK) return usage();
        } else if (strcmp(argv[i], "--after") == 0 && i + 1 < argc) {
            if (vn_parse_u64(argv[++i], 0, 86400, &after) != VN_OK) return usage();
        } else if (strcmp(argv[i], "--vangnetd") == 0 && i + 1 < argc) {
            vangnetd = argv[++i];
        } else if (strcmp(argv[i], "--tmpdir") == 0 && i + 1 < argc) {
            tmpdir = argv[++i];
        } else {
            return usage();
        }
    }
    if (vangnetd)
        return bench_schedule_server(vangnetd, (size_t)cases, (int)days,
                                     tmpdir && *tmpdir ? tmpdir : "/tmp", (unsigned)sweep,
                                     (unsigned)after);

    static history h;
    uint64_t seed = 0x243f6a8885a308d3u, gen_ns = 0, sweep_ns = 0, events = 0;
    uint64_t overdue = 0, listed = 0, checksum = 0;
    uint64_t t_start = now_ns();
    for (uint64_t c = 0; c < contracts; c++) {
        uint64_t t0 = now_ns();
        vn_terms t;
        make_terms(&t, &seed);
        if (vn_terms_validate(&t) != VN_OK) {
            fprintf(stderr, "bench_schedule: generated invalid terms\n");
            return 1;
        }
        make_history(&h, &t, &seed);
        events += h.n;
        vn_due out[VN_DUE_MAX];
        uint64_t t1 = now_ns();
        size_t n = vn_schedule_due(&t, h.ev, h.n, &h.away, 1, h.today, h.minute, out, VN_DUE_MAX);
        uint64_t t2 = now_ns();
        gen_ns += t1 - t0;
        sweep_ns += t2 - t1;
        listed += n;
        for (size_t i = 0; i < n; i++) {
            overdue += out[i].overdue;
            checksum = checksum * 31 + (uint64_t)out[i].kind * 7 + (uint64_t)out[i].overdue;
        }
    }
    uint64_t total_ns = now_ns() - t_start;

    /* What a pair of clock reads costs, to judge the per-call figure. */
    uint64_t clock_ns = 0;
    enum { CLOCK_SAMPLES = 100000 };
    for (int i = 0; i < CLOCK_SAMPLES; i++) {
        uint64_t a = now_ns();
        clock_ns += now_ns() - a;
    }

    printf("contracts          %" PRIu64 "\n", contracts);
    printf("events/contract    %.1f\n", (double)events / (double)contracts);
    printf("sweep (due only)   %.3f s total, %.3f us per contract\n", (double)sweep_ns / 1e9,
           (double)sweep_ns / 1e3 / (double)contracts);
    printf("clock read pair    %.3f us (included in the sweep figure)\n",
           (double)clock_ns / 1e3 / CLOCK_SAMPLES);
    printf("generation         %.3f s total, %.3f us per contract\n", (double)gen_ns / 1e9,
           (double)gen_ns / 1e3 / (double)contracts);
    printf("wall time          %.3f s\n", (double)total_ns / 1e9);
    printf("items listed       %" PRIu64 ", overdue %" PRIu64 ", checksum %016" PRIx64 "\n", listed,
           overdue, checksum);
    return 0;
}
