/* vangnetd: init, run, invite, clock. */
#include "server.h"

#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/util.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define DEFAULT_LISTEN        "tcp://127.0.0.1:7700"
#define DEFAULT_INVITE_TTL_MS (7ULL * 86400000)
#define DEFAULT_MAIL_TTL_MS   (30ULL * 86400000)
#define TEST_CLOCK_KEY        "test_clock"

static const char usage[] =
    "usage: vangnetd COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  init   --state DIR                  create the state directory, store and server keys\n"
    "  run    --state DIR [--listen EP]    serve clients (default " DEFAULT_LISTEN ")\n"
    "         [--frame-max BYTES] [--mail-ttl DUR] [--sweep DUR] [--map-size MIB]\n"
    "         [--test-clock] [--verbose] [--case-retention DUR] [--tz ZONE]\n"
    "         [--sos-window DUR]   unclaimed SOS to the casemanager after (15m)\n"
    "         [--rate-burst N] [--rate-per-sec N]        per (sender, recipient); default 60, 1\n"
    "         [--account-burst N] [--account-per-sec N]  per sender; default 600, 10\n"
    "         [--inbound-burst B] [--inbound-per-sec B]  bytes per recipient; 8 MiB, 64 KiB\n"
    "  invite --state DIR --role ROLE      print a one-time invite code\n"
    "         [--case CASE] [--ttl DUR] [--endpoint EP] [--json]\n"
    "         (participants, buddies and naasten are invited into a case)\n"
    "  clock  --state DIR advance DUR      move a test clock forward (e.g. 90m, 31d)\n"
    "  clock  --state DIR set TIME         set a test clock (YYYY-MM-DD[THH:MM[:SS]] UTC)\n"
    "\n"
    "roles: participant, casemanager, buddy, naaste, medical-lead, admin\n"
    "durations: a number with s, m, h or d\n";

/* Prints an error naming what was wrong, plain or as JSON, and returns 1
 * (or 2 for usage errors) as the exit code. */
static int die(bool json, int rc, vn_err code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int die(bool json, int rc, vn_err code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (json) {
        fprintf(stderr, "{\"error\": {\"code\": \"%s\", \"message\": \"", vn_err_name(code));
        for (const char *p = msg; *p; p++) {
            if (*p == '"' || *p == '\\') fputc('\\', stderr);
            if ((unsigned char)*p >= 0x20) fputc(*p, stderr);
        }
        fprintf(stderr, "\"}}\n");
    } else {
        fprintf(stderr, "vangnetd: %s\n", msg);
    }
    return rc;
}

/* Options shared by the subcommands; each uses what it needs. */
typedef struct opts {
    const char *state, *listen, *role, *endpoint;
    const char *ttl, *mail_ttl, *sweep, *frame_max, *map_size, *case_id, *retention;
    const char *rate_burst, *rate_per_sec, *account_burst, *account_per_sec, *tz, *sos_window;
    const char *inbound_burst, *inbound_per_sec;
    bool json, test_clock;
    int verbose;
    const char *pos[4]; /* positional arguments after the command */
    int npos;
} opts;

static int parse_opts(int argc, char **argv, opts *o)
{
    struct {
        const char *name;
        const char **dst;
    } vals[] = {
        {"--state", &o->state},
        {"--listen", &o->listen},
        {"--role", &o->role},
        {"--endpoint", &o->endpoint},
        {"--ttl", &o->ttl},
        {"--mail-ttl", &o->mail_ttl},
        {"--sweep", &o->sweep},
        {"--frame-max", &o->frame_max},
        {"--map-size", &o->map_size},
        {"--case", &o->case_id},
        {"--tz", &o->tz},
        {"--sos-window", &o->sos_window},
        {"--case-retention", &o->retention},
        {"--rate-burst", &o->rate_burst},
        {"--rate-per-sec", &o->rate_per_sec},
        {"--account-burst", &o->account_burst},
        {"--account-per-sec", &o->account_per_sec},
        {"--inbound-burst", &o->inbound_burst},
        {"--inbound-per-sec", &o->inbound_per_sec},
    };
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool found = false;
        for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
            if (strcmp(a, vals[k].name) == 0) {
                if (i + 1 >= argc) return die(false, 2, VN_EINVAL, "%s needs a value", a);
                *vals[k].dst = argv[++i];
                found = true;
            }
        }
        if (found) continue;
        if (strcmp(a, "--json") == 0)
            o->json = true;
        else if (strcmp(a, "--test-clock") == 0)
            o->test_clock = true;
        else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
            o->verbose++;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        } else if (a[0] == '-' && a[1] != '\0') {
            return die(false, 2, VN_EINVAL, "unknown option %s (see vangnetd --help)", a);
        } else if (o->npos < 4) {
            o->pos[o->npos++] = a;
        } else {
            return die(false, 2, VN_EINVAL, "unexpected argument %s", a);
        }
    }
    if (!o->state) return die(o->json, 2, VN_EINVAL, "--state DIR is required");
    return 0;
}

static vn_err write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return errno == EEXIST ? VN_EEXISTS : VN_EIO;
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    return ok ? VN_OK : VN_EIO;
}

static int cmd_init(opts *o)
{
    char pub[41], sec[41], line[64];
    vn_sstore *store = NULL;
    if (mkdir(o->state, 0700) != 0 && errno != EEXIST)
        return die(o->json, 1, VN_EIO, "cannot create state directory %s", o->state);
    if (zmq_curve_keypair(pub, sec) != 0)
        return die(o->json, 1, VN_ECRYPTO, "cannot make a CURVE key pair (libzmq without CURVE?)");
    snprintf(line, sizeof line, "%s\n", sec);
    vn_err err = write_file(o->state, "server.key", line, 0600);
    explicit_bzero(sec, sizeof sec);
    explicit_bzero(line, sizeof line);
    if (err == VN_EEXISTS)
        return die(o->json, 1, err, "%s is already initialised (server.key exists)", o->state);
    if (err) return die(o->json, 1, err, "cannot write server.key in %s", o->state);
    snprintf(line, sizeof line, "%s\n", pub);
    if ((err = write_file(o->state, "server.pub", line, 0644)))
        return die(o->json, 1, err, "cannot write server.pub in %s", o->state);
    if ((err = vn_sstore_open(&store, o->state, 0)))
        return die(o->json, 1, err, "cannot create the store in %s", o->state);
    vn_sstore_close(&store);
    if (o->json)
        printf("{\"public_key\": \"%s\", \"state\": \"%s\"}\n", pub, o->state);
    else
        printf("%s\n", pub);
    return 0;
}

static int cmd_run(opts *o)
{
    vn_server_config cfg = {
        .state_dir = o->state,
        .listen = o->listen ? o->listen : DEFAULT_LISTEN,
        .frame_max = VN_FRAME_MAX_DEFAULT,
        .mail_ttl_ms = DEFAULT_MAIL_TTL_MS,
        .sweep_ms = 60000,
        .test_clock = o->test_clock,
        .map_size = (size_t)1 << 30,
        .verbose = o->verbose,
        .case_retention_ms = 730ULL * 86400000,
        .time_zone = o->tz ? o->tz : "Europe/Amsterdam",
        .sos_window_ms = 15ULL * 60000,
        .pair_burst = 60,
        .pair_per_sec = 1,
        .account_burst = 600,
        .account_per_sec = 10,
        .inbound_burst = 8 << 20,
        .inbound_per_sec = 64 << 10,
    };
    uint64_t v;
    vn_server *srv = NULL;
    char msg[256];
    /* A body the protocol allows but no row answers is a build mistake:
     * refuse to run rather than tell users "unknown request type". */
    if (vn_requests_check(vn_requests, VN_REQUEST_COUNT, msg, sizeof msg))
        return die(false, 1, VN_EINTERNAL, "%s", msg);
    if (o->frame_max) {
        if (vn_parse_u64(o->frame_max, 1024, VN_FRAME_MAX_DEFAULT, &v))
            return die(false, 2, VN_EINVAL, "--frame-max must be 1024..65536 bytes, not %s",
                       o->frame_max);
        cfg.frame_max = v;
    }
    if (o->mail_ttl && (vn_parse_duration(o->mail_ttl, &cfg.mail_ttl_ms) || !cfg.mail_ttl_ms))
        return die(false, 2, VN_EINVAL, "--mail-ttl must be a duration such as 30d, not %s",
                   o->mail_ttl);
    if (o->sweep && (vn_parse_duration(o->sweep, &cfg.sweep_ms) || cfg.sweep_ms < 100))
        return die(false, 2, VN_EINVAL, "--sweep must be a duration of at least 1s, not %s",
                   o->sweep);
    if (o->sos_window &&
        (vn_parse_duration(o->sos_window, &cfg.sos_window_ms) || !cfg.sos_window_ms))
        return die(false, 2, VN_EINVAL, "--sos-window must be a duration such as 15m, not %s",
                   o->sos_window);
    if (o->retention &&
        (vn_parse_duration(o->retention, &cfg.case_retention_ms) || !cfg.case_retention_ms))
        return die(false, 2, VN_EINVAL, "--case-retention must be a duration such as 730d, not %s",
                   o->retention);
    struct {
        const char *opt, *val;
        double *dst;
    } limits[] = {
        {"--rate-burst", o->rate_burst, &cfg.pair_burst},
        {"--rate-per-sec", o->rate_per_sec, &cfg.pair_per_sec},
        {"--account-burst", o->account_burst, &cfg.account_burst},
        {"--account-per-sec", o->account_per_sec, &cfg.account_per_sec},
        {"--inbound-burst", o->inbound_burst, &cfg.inbound_burst},
        {"--inbound-per-sec", o->inbound_per_sec, &cfg.inbound_per_sec},
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (!limits[i].val) continue;
        if (vn_parse_u64(limits[i].val, 1, 1ULL << 40, &v))
            return die(false, 2, VN_EINVAL, "%s must be a whole number from 1, not %s",
                       limits[i].opt, limits[i].val);
        *limits[i].dst = (double)v;
    }
    if (o->map_size) {
        if (vn_parse_u64(o->map_size, 1, 1 << 20, &v))
            return die(false, 2, VN_EINVAL, "--map-size must be 1..1048576 MiB, not %s",
                       o->map_size);
        cfg.map_size = (size_t)v << 20;
    }
    /* Contracts run on local dates. The zone is process state (TZ): set it
     * once here, before any thread exists. */
    if (strlen(cfg.time_zone) > 60 || strchr(cfg.time_zone, ' '))
        return die(false, 2, VN_EINVAL, "--tz must be a zone name such as Europe/Amsterdam");
    setenv("TZ", cfg.time_zone, 1);
    tzset();
    vn_err err = vn_server_open(&srv, &cfg);
    if (err) return die(false, 1, err, "cannot start: %s", vn_err_str(err));
    /* Record whether `vangnetd clock` may move time for this state. */
    vn_kv *kv = vn_sstore_kv(vn_server_store(srv));
    err = cfg.test_clock
              ? vn_kv_put(kv, VN_DB_META, TEST_CLOCK_KEY, sizeof TEST_CLOCK_KEY - 1, "1", 1)
              : vn_kv_del(kv, VN_DB_META, TEST_CLOCK_KEY, sizeof TEST_CLOCK_KEY - 1);
    if (err && err != VN_ENOTFOUND) {
        vn_server_close(&srv);
        return die(false, 1, err, "cannot write the store: %s", vn_err_str(err));
    }
    err = vn_server_run(srv);
    vn_server_close(&srv);
    return err ? 1 : 0;
}

static int read_endpoint(const char *state, char *out, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/endpoint", state);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    bool ok = fgets(out, (int)size, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return out[0] ? 0 : -1;
}

static int cmd_invite(opts *o)
{
    vn_role role;
    uint64_t ttl = DEFAULT_INVITE_TTL_MS;
    vn_invite inv;
    char code[VN_INVITE_TEXT_MAX], pubz[64] = {0};
    vn_sstore *store = NULL;
    vn_clock *clock = NULL;
    if (!o->role || vn_role_parse(o->role, &role))
        return die(
            o->json, 2, VN_EINVAL,
            "--role must be participant, casemanager, buddy, naaste, medical-lead or admin%s",
            o->role ? "" : " (missing)");
    if (o->ttl && (vn_parse_duration(o->ttl, &ttl) || ttl == 0))
        return die(o->json, 2, VN_EINVAL, "--ttl must be a duration such as 7d, not %s", o->ttl);
    uint8_t case_id[VN_ACCOUNT_LEN];
    bool has_case = o->case_id != NULL;
    bool case_role = role == VN_ROLE_PARTICIPANT || role == VN_ROLE_BUDDY || role == VN_ROLE_NAASTE;
    if (has_case &&
        (!vn_account_valid(o->case_id) || vn_hex_decode(o->case_id, case_id, VN_ACCOUNT_LEN)))
        return die(o->json, 2, VN_EINVAL, "--case must be a case id (32 hex characters)");
    if (case_role && !has_case)
        return die(o->json, 2, VN_EINVAL,
                   "a %s is invited into a case: their casemanager runs `vangnet invite --case "
                   "CASE --role %s`, or pass --case CASE here",
                   o->role, o->role);
    if (!case_role && has_case)
        return die(o->json, 2, VN_EINVAL, "a %s is not invited into a case (drop --case)", o->role);
    memset(&inv, 0, sizeof inv);
    if (o->endpoint) {
        if (strlen(o->endpoint) > VN_ENDPOINT_MAX)
            return die(o->json, 2, VN_EINVAL, "--endpoint is too long");
        memcpy(inv.endpoint, o->endpoint, strlen(o->endpoint));
    } else if (read_endpoint(o->state, inv.endpoint, sizeof inv.endpoint) != 0) {
        return die(o->json, 1, VN_ENOTFOUND,
                   "no endpoint known for %s: start `vangnetd run` first or pass --endpoint",
                   o->state);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/server.pub", o->state);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(pubz, 1, 40, f) : 0;
    if (f) fclose(f);
    if (n != 40 || !zmq_z85_decode(inv.server_key, pubz))
        return die(o->json, 1, VN_EIO, "cannot read %s/server.pub: run `vangnetd init` first",
                   o->state);
    vn_err err = vn_sstore_open(&store, o->state, 0);
    if (err) return die(o->json, 1, err, "cannot open the store in %s", o->state);
    err = vn_clock_open(
        &clock, vn_sstore_kv(store), VN_DB_META,
        vn_kv_has(vn_sstore_kv(store), VN_DB_META, TEST_CLOCK_KEY, sizeof TEST_CLOCK_KEY - 1));
    if (!err)
        err = vn_sstore_invite_create(store, role, has_case ? case_id : NULL, vn_clock_now(clock),
                                      ttl, inv.secret);
    vn_clock_close(&clock);
    vn_sstore_close(&store);
    if (!err) err = vn_invite_encode(&inv, code, sizeof code);
    explicit_bzero(inv.secret, sizeof inv.secret);
    if (err) return die(o->json, 1, err, "cannot create the invite: %s", vn_err_str(err));
    if (o->json)
        printf("{\"invite\": \"%s\", \"role\": \"%s\"}\n", code, vn_role_name(role));
    else
        printf("%s\n", code);
    explicit_bzero(code, sizeof code);
    return 0;
}

/* Parses YYYY-MM-DD[THH:MM[:SS]] as UTC. */
static vn_err parse_time(const char *s, uint64_t *ms)
{
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    size_t len = strlen(s);
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3) return VN_EINVAL;
    if ((size_t)n != len) {
        int m2 = 0;
        if (sscanf(s + n, "T%2d:%2d%n", &h, &mi, &m2) != 2) return VN_EINVAL;
        n += m2;
        if ((size_t)n != len) {
            int m3 = 0;
            if (sscanf(s + n, ":%2d%n", &se, &m3) != 1 || (size_t)(n + m3) != len) return VN_EINVAL;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59 || y < 1970)
        return VN_EINVAL;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    if (t < 0) return VN_EINVAL;
    *ms = (uint64_t)t * 1000;
    return VN_OK;
}

static int cmd_clock(opts *o)
{
    vn_sstore *store = NULL;
    uint64_t v;
    if (o->npos != 2 || (strcmp(o->pos[0], "advance") != 0 && strcmp(o->pos[0], "set") != 0))
        return die(o->json, 2, VN_EINVAL,
                   "usage: vangnetd clock --state DIR advance DUR | set TIME");
    bool advance = strcmp(o->pos[0], "advance") == 0;
    if (advance ? vn_parse_duration(o->pos[1], &v) : parse_time(o->pos[1], &v))
        return die(o->json, 2, VN_EINVAL,
                   advance ? "not a duration: %s (use e.g. 90m or 31d)"
                           : "not a time: %s (use YYYY-MM-DD[THH:MM[:SS]], UTC)",
                   o->pos[1]);
    vn_err err = vn_sstore_open(&store, o->state, 0);
    if (err) return die(o->json, 1, err, "cannot open the store in %s", o->state);
    vn_kv *kv = vn_sstore_kv(store);
    if (!vn_kv_has(kv, VN_DB_META, TEST_CLOCK_KEY, sizeof TEST_CLOCK_KEY - 1)) {
        vn_sstore_close(&store);
        return die(o->json, 1, VN_EDENIED,
                   "the clock of %s cannot be moved: the server was not started with --test-clock",
                   o->state);
    }
    err = advance ? vn_clock_advance(kv, VN_DB_META, v) : vn_clock_set(kv, VN_DB_META, v);
    vn_sstore_close(&store);
    if (err == VN_EINVAL)
        return die(o->json, 1, err,
                   "time only moves forward: %s is not after the current test time", o->pos[1]);
    if (err) return die(o->json, 1, err, "cannot move the clock: %s", vn_err_str(err));
    return 0;
}

int main(int argc, char **argv)
{
    opts o = {0};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "init") && strcmp(cmd, "run") && strcmp(cmd, "invite") && strcmp(cmd, "clock"))
        return die(false, 2, VN_EINVAL, "unknown command %s (see vangnetd --help)", cmd);
    int rc = parse_opts(argc, argv, &o);
    if (rc) return rc;
    if (strcmp(cmd, "init") == 0) return cmd_init(&o);
    if (strcmp(cmd, "run") == 0) return cmd_run(&o);
    if (strcmp(cmd, "invite") == 0) return cmd_invite(&o);
    return cmd_clock(&o);
}
