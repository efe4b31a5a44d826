/* The command line of vangnetd: the option table of `vangnetd run`, the
 * usage text, the shared options of every command, and the settings file
 * (--config) read against that table. main.c runs the commands. */
#include "runopts.h"

#include "cluster.h"
#include "metrics.h"
#include "storekey.h"

#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/parse.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_LISTEN "tcp://127.0.0.1:7700"

/* The options of `vangnetd run`, one row each, like Redis's config table:
 * name, kind, where it goes in vn_server_config, bounds, default (as a
 * user would write it, parsed like user input), and what a bad value is
 * told. The usage text of `run`, the settings file (--config), `vangnetd
 * config-example` and the manual pages are written from it (runopts.h). */

#define CFG(field) offsetof(vn_server_config, field)

/* clang-format off */
/* A rate limit's two rows, its burst and its rate: whole numbers from 1,
 * named --OPT-burst and --OPT-per-PER. */
#define RATE_ROWS(opt, per, per_word, burst, rate, bdef, rdef, unit, what) \
    {"--" opt "-burst", NULL, OPT_DOUBLE, CFG(burst), 1, 1ULL << 40, bdef, unit, what ": burst", \
     "must be a whole number from 1"}, \
    {"--" opt "-per-" per, NULL, OPT_DOUBLE, CFG(rate), 1, 1ULL << 40, rdef, unit, \
     what ": per " per_word, "must be a whole number from 1"}
/* A quota's two rows, bytes and messages, each with its default from the
 * map size (vn_quota_limits_default). */
#define QUOTA_ROWS(who, bytes, envelopes, bytes_help, envelopes_help) \
    {"--quota-" who "-bytes", NULL, OPT_MIB, CFG(bytes), 1, 1 << 20, NULL, "MIB", \
     bytes_help " (default: a 64th of --map-size)", "must be 1..1048576 MiB"}, \
    {"--quota-" who "-envelopes", NULL, OPT_SIZE, CFG(envelopes), 1, 1000000000, NULL, "N", \
     envelopes_help " (default: 1 per KiB of the byte quota)", "must be 1..1000000000"}

static const run_option run_options[] = {
    {"--listen", NULL, OPT_STRING, CFG(listen), 1, 255, DEFAULT_LISTEN, "EP",
     "ZeroMQ endpoint to bind", "must be a ZeroMQ endpoint such as " DEFAULT_LISTEN},
    {"--public-endpoint", NULL, OPT_STRING, CFG(public_endpoint), 8, VN_ENDPOINTS_TEXT_MAX - 1, NULL, "EP",
     "tcp://HOST:PORT clients reach this server at, which invites carry (needed when --listen binds a wildcard address); up to 4, comma-separated or given again",
     "must be tcp://HOST:PORT with a host clients can reach, not a wildcard such as 0.0.0.0 (up to 4, comma-separated)"},
    {"--frame-max", NULL, OPT_SIZE, CFG(frame_max), 1024, VN_FRAME_MAX_DEFAULT, "65536", "BYTES",
     "largest accepted frame", "must be 1024..65536 bytes"},
    {"--max-connections", NULL, OPT_SIZE, CFG(max_connections), 1, 1000000, "1024", "N",
     "most client connections at once; more are refused (lowered to fit the descriptor limit)",
     "must be 1..1000000"},
    {"--send-queue", NULL, OPT_SIZE, CFG(send_queue), 1, 10000, "64", "N",
     "replies queued per connection; a client that does not read loses the rest",
     "must be 1..10000"},
    {"--socket-buffer", NULL, OPT_SIZE, CFG(socket_buffer), 4096, 16777216, "262144", "BYTES",
     "kernel send buffer of each connection (the kernel doubles it): what a client that does not read holds there",
     "must be 4096..16777216 bytes"},
    {"--mail-ttl", NULL, OPT_DURATION, CFG(mail_ttl_ms), 1, UINT64_MAX, "30d", "DUR",
     "undelivered messages expire after", "must be a duration such as 30d"},
    {"--sweep", NULL, OPT_DURATION, CFG(sweep_ms), 1000, UINT64_MAX, "60s", "DUR",
     "how often expiry, reminders and escalation run", "must be a duration of at least 1s"},
    {"--sos-window", NULL, OPT_DURATION, CFG(sos_window_ms), 1, UINT64_MAX, "15m", "DUR",
     "an unclaimed SOS goes to the casemanager after", "must be a duration such as 15m"},
    {"--case-retention", NULL, OPT_DURATION, CFG(case_retention_ms), 1, UINT64_MAX, "730d", "DUR",
     "closed and completed cases are purged after", "must be a duration such as 730d"},
    {"--event-retention", NULL, OPT_DURATION, CFG(event_retention_ms), 2 * 86400000ULL, 3653 * 86400000ULL, "62d", "DUR",
     "older dated records are cut to what the schedule needs", "must be a duration from 2d to 3653d"},
    RATE_ROWS("rate", "sec", "second", pair_burst, pair_per_sec, "60", "1", "N", "messages per (sender, recipient)"),
    RATE_ROWS("account", "sec", "second", account_burst, account_per_sec, "600", "10", "N", "messages per sender"),
    RATE_ROWS("inbound", "sec", "second", inbound_burst, inbound_per_sec, "8388608", "65536", "B", "bytes per recipient"),
    {"--alert-fold", NULL, OPT_DURATION, CFG(alert_fold_ms), 0, UINT64_MAX, "1h", "DUR",
     "a signal like an open one raised this recently folds into it (0s: never)",
     "must be a duration such as 1h, or 0s"},
    RATE_ROWS("alert", "hour", "hour", alert_burst, alert_per_hour, "12", "6", "N", "signals per (reporter, case)"),
    RATE_ROWS("case-alert", "hour", "hour", case_alert_burst, case_alert_per_hour, "40", "20", "N", "signals per case, all reporters"),
    {"--visitor-idle", NULL, OPT_DURATION, CFG(visitor_idle_ms), 86400000ULL, 3653 * 86400000ULL, "30d", "DUR",
     "an anonymous first contact (visitor) that is idle this long is deleted with its mail",
     "must be a duration from 1d to 3653d"},
    {"--visitor-messages", NULL, OPT_SIZE, CFG(visitor_messages), 1, 100000, "50", "N",
     "messages an anonymous first contact may send a day", "must be 1..100000"},
    {"--map-size", NULL, OPT_MIB, CFG(map_size), 1, 1 << 20, "1024", "MIB",
     "LMDB map size", "must be 1..1048576 MiB"},
    QUOTA_ROWS("sender", quota_sender_bytes, quota_sender_envelopes,
               "MiB one account may send a day, a team message once",
               "messages one account may send a day, a team message once"),
    QUOTA_ROWS("recipient", quota_recipient_bytes, quota_recipient_envelopes,
               "MiB of undelivered mail one mailbox may hold",
               "undelivered messages one mailbox may hold"),
    {"--crisis-reserve", NULL, OPT_SIZE, CFG(crisis_reserve_pct), 1, 50, "5", "PCT",
     "percent of the map only alerts, SOS and their reports may use", "must be 1..50 (percent)"},
    {"--tz", NULL, OPT_STRING, CFG(time_zone), 1, 60, "Europe/Amsterdam", "ZONE",
     "time zone of contracts' local dates", "must be a zone name such as Europe/Amsterdam"},
    {"--test-clock", NULL, OPT_FLAG, CFG(test_clock), 0, 0, NULL, NULL,
     "let `vangnetd clock` move time (tests only)", NULL},
    {"--verbose", "-v", OPT_COUNT, CFG(verbose), 0, 0, NULL, NULL,
     "log every request (name, result, duration): for debugging only, as it dates each request", NULL},
    {"--log-level", NULL, OPT_CHOICE, CFG(log_level), 0, 0, "info", "error|warn|info|debug",
     "what to log; debug logs every request and so dates each one", "must be error, warn, info or debug"},
    {"--metrics", NULL, OPT_STRING, CFG(metrics_addr), 1, 107, NULL, "ADDR",
     "serve Prometheus counters on this loopback HOST:PORT or UNIX socket path",
     "must be a loopback HOST:PORT such as 127.0.0.1:9477, or a socket path"},
    {"--cluster", NULL, OPT_STRING, CFG(cluster), 8, 1024, NULL, "URLS",
     "cluster mode: the NATS JetStream servers, nats://HOST:PORT,... (docs/CLUSTER.md); off by default",
     "must be nats://HOST:PORT,nats://HOST:PORT,..."},
    {"--node", NULL, OPT_STRING, CFG(node), 1, 64, NULL, "NAME",
     "this node's name in cluster mode (letters, digits, - and _)", "must be 1..64 letters, digits, - or _"},
    {"--lease-ms", NULL, OPT_SIZE, CFG(lease_ms), 500, 60000, "2000", "MS",
     "cluster mode: the write lease's time to live; the writer renews it every third",
     "must be 500..60000 (milliseconds)"},
    {"--snapshot-keep", NULL, OPT_DURATION, CFG(snapshot_keep_ms), 86400000ULL, 3653 * 86400000ULL, "30d", "DUR",
     "cluster mode: a backup's log position stays registered this long; the log is trimmed behind the oldest registered",
     "must be a duration from 1d to 3653d"},
    {"--log-trim-every", NULL, OPT_DURATION, CFG(log_trim_ms), 1000, 86400000ULL, "60s", "DUR",
     "cluster mode: how often the writer trims the log behind the oldest registered backup and every node",
     "must be a duration from 1s to 1d"},
};
/* clang-format on */
#define N_RUN_OPTIONS (sizeof run_options / sizeof run_options[0])

_Static_assert(N_RUN_OPTIONS <= VN_RUN_OPTIONS_MAX, "raise VN_RUN_OPTIONS_MAX in runopts.h");

const run_option *vn_runopts_table(size_t *n)
{
    *n = N_RUN_OPTIONS;
    return run_options;
}

void vn_runopts_usage(FILE *f)
{
    fputs(
        "usage: vangnetd COMMAND [options]\n"
        "\n"
        "commands:\n"
        "  init   --state DIR --store-key FILE create the state directory, store and server keys,\n"
        "                                      and the store key in FILE (outside DIR)\n"
        "  run    --state DIR [--config FILE] [options]\n"
        "                                      serve clients; settings from FILE (none by\n"
        "                                      default), then these options:\n",
        f);
    for (size_t i = 0; i < N_RUN_OPTIONS; i++) {
        const run_option *o = &run_options[i];
        char left[48];
        snprintf(left, sizeof left, "%s%s%s%s%s", o->name, o->alias ? ", " : "",
                 o->alias ? o->alias : "", o->arg ? " " : "", o->arg ? o->arg : "");
        /* A long left column puts the help on a line of its own. */
        if (strlen(left) > 27)
            fprintf(f, "         %s\n         %-27s %s", left, "", o->help);
        else
            fprintf(f, "         %-27s %s", left, o->help);
        if (o->def) fprintf(f, " (default %s)", o->def);
        fputc('\n', f);
    }
    fputs(
        "  invite --state DIR --role ROLE      print a one-time invite code\n"
        "         [--case CASE] [--ttl DUR] [--endpoint EP] [--json]\n"
        "         (participants, buddies and naasten are invited into a case)\n"
        "         in a cluster (--cluster, cluster = in --config, or a node running on DIR)\n"
        "         invite and intake-code go through the cluster's writer and log\n"
        "  intake-code --state DIR             print a new first-contact code for the programme\n"
        "         [--per-hour N] [--endpoint EP] [--json]\n"
        "         to publish: anyone may redeem it for an anonymous account that reaches only\n"
        "         intake staff, N a hour (default 20); it replaces the code before\n"
        "  clock  --state DIR advance DUR      move a test clock forward (e.g. 90m, 31d)\n"
        "  clock  --state DIR set TIME         set a test clock (YYYY-MM-DD[THH:MM[:SS]] UTC)\n"
        "  rekey  --state DIR --new-key FILE   rewrite the store under a new key, made in FILE\n"
        "         (vangnetd stopped; the old key from --store-key as for every command)\n"
        "  backup --state DIR DEST [--json]    copy the store, compacted, into the new directory\n"
        "         DEST while the server runs, and check the copy (docs/BACKUP.md); in a\n"
        "         cluster, register its log position (kept --snapshot-keep, default 30d)\n"
        "  restore --state DIR SRC [--force]   put the backup in SRC back as DIR's store (server\n"
        "         stopped; --force replaces a store DIR holds, keeping it beside)\n"
        "  status --state DIR [--json]         up or not, store use, queued envelopes, open\n"
        "         alerts, last scheduler day, format and software version\n"
        "  cluster status --cluster URLS [--json]\n"
        "                                      cluster mode: the writer, the log's end, and each\n"
        "                                      node's applied entry and lag (docs/CLUSTER.md)\n"
        "  cluster trim SEQ --cluster URLS     remove the log's entries before SEQ, once every\n"
        "                                      node has applied them (keep newer backups)\n"
        "  config-example                      print a settings file: every option of run,\n"
        "                                      commented out, with its default\n"
        "  --version                           print the version\n"
        "\n"
        "\n"
        "every command but init opens the store with --store-key FILE, by default\n"
        "$CREDENTIALS_DIRECTORY/" VN_STOREKEY_CREDENTIAL " (systemd LoadCredentialEncrypted=)\n"
        "roles: participant, casemanager, buddy, naaste, medical-lead, admin, facilitator\n"
        "durations: a number with s, m, h or d\n",
        f);
}

int vn_runopts_die(bool json, int rc, vn_err code, const char *fmt, ...)
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

static const run_option *run_option_named(const char *a)
{
    for (size_t k = 0; k < N_RUN_OPTIONS; k++)
        if (strcmp(a, run_options[k].name) == 0 ||
            (run_options[k].alias && strcmp(a, run_options[k].alias) == 0))
            return &run_options[k];
    return NULL;
}

/* Appends v to the list in *dst (an argv string, or list already),
 * comma-separated, in list (VN_ENDPOINTS_TEXT_MAX). */
static int join_value(const char **dst, char *list, const char *v)
{
    size_t have = strlen(*dst), add = strlen(v);
    if (have + 1 + add + 1 > VN_ENDPOINTS_TEXT_MAX) return -1;
    if (*dst != list) memcpy(list, *dst, have + 1);
    list[have] = ',';
    memcpy(list + have + 1, v, add + 1);
    *dst = list;
    return 0;
}

int vn_runopts_parse(int argc, char **argv, vn_opts *o)
{
    struct {
        const char *name;
        const char **dst;
    } vals[] = {
        {"--state", &o->state},     {"--role", &o->role},     {"--endpoint", &o->endpoint},
        {"--ttl", &o->ttl},         {"--case", &o->case_id},  {"--store-key", &o->store_key},
        {"--new-key", &o->new_key}, {"--config", &o->config}, {"--per-hour", &o->per_hour},
    };
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], **dst = NULL;
        const run_option *ro = run_option_named(a);
        for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++)
            if (strcmp(a, vals[k].name) == 0) dst = vals[k].dst;
        if (ro && (ro->kind == OPT_FLAG || ro->kind == OPT_COUNT)) {
            o->run_count[ro - run_options]++;
            continue;
        }
        if (ro) dst = &o->run[ro - run_options];
        char *list = dst == &o->endpoint                                ? o->endpoint_list
                     : ro && strcmp(ro->name, "--public-endpoint") == 0 ? o->public_list
                                                                        : NULL;
        if (dst) {
            if (i + 1 >= argc) return vn_runopts_die(false, 2, VN_EINVAL, "%s needs a value", a);
            if (list && *dst) {
                if (join_value(dst, list, argv[++i]))
                    return vn_runopts_die(false, 2, VN_EINVAL,
                                          "%s: too many or too long addresses (at most %d)", a,
                                          VN_INVITE_ENDPOINTS_MAX);
                continue;
            }
            *dst = argv[++i];
        } else if (strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strcmp(a, "--force") == 0) {
            o->force = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            vn_runopts_usage(stdout);
            exit(0);
        } else if (a[0] == '-' && a[1] != '\0') {
            return vn_runopts_die(false, 2, VN_EINVAL, "unknown option %s (see vangnetd --help)",
                                  a);
        } else if (o->npos < 4) {
            o->pos[o->npos++] = a;
        } else {
            return vn_runopts_die(false, 2, VN_EINVAL, "unexpected argument %s", a);
        }
    }
    /* `vangnetd cluster status` reads NATS only. */
    if (!o->state && strcmp(argv[1], "cluster") != 0)
        return vn_runopts_die(o->json, 2, VN_EINVAL, "--state DIR is required");
    return 0;
}

/* Sets one option's field from text (a user's, or its default). */
static vn_err set_run_option(const run_option *ro, const char *text, int count,
                             vn_server_config *cfg)
{
    char *field = (char *)cfg + ro->offset;
    uint64_t v = 0;
    switch (ro->kind) {
    case OPT_FLAG:
        *(bool *)field = count > 0;
        return VN_OK;
    case OPT_COUNT:
        *(int *)field = count;
        return VN_OK;
    case OPT_CHOICE: {
        /* One whole word of "a|b|c". */
        size_t len = strlen(text);
        for (const char *w = ro->arg; w; w = strchr(w, '|') ? strchr(w, '|') + 1 : NULL)
            if (len && strncmp(w, text, len) == 0 && (w[len] == '|' || w[len] == '\0')) {
                *(const char **)field = text;
                return VN_OK;
            }
        return VN_EINVAL;
    }
    case OPT_STRING: {
        size_t len = strlen(text);
        if (len < ro->min || len > ro->max || strchr(text, ' ')) return VN_EINVAL;
        *(const char **)field = text;
        return VN_OK;
    }
    case OPT_DURATION:
        if (vn_parse_duration(text, &v) || v < ro->min || v > ro->max) return VN_EINVAL;
        *(uint64_t *)field = v;
        return VN_OK;
    case OPT_SIZE:
    case OPT_MIB:
    case OPT_DOUBLE:
        if (vn_parse_u64(text, ro->min, ro->max, &v)) return VN_EINVAL;
        if (ro->kind == OPT_DOUBLE)
            *(double *)field = (double)v;
        else
            *(size_t *)field = ro->kind == OPT_MIB ? (size_t)v << 20 : (size_t)v;
        return VN_OK;
    }
    return VN_EINVAL;
}

/* A flag or a count as the settings file writes it: yes/no, or a number. */
static bool file_count(const run_option *ro, const char *text, int *count)
{
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
                                                                                "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(text, yes[i]) == 0 && ro->kind == OPT_FLAG) return *count = 1, true;
        if (strcmp(text, no[i]) == 0) return *count = 0, true;
    }
    uint64_t v;
    if (ro->kind == OPT_COUNT && vn_parse_u64(text, 0, 9, &v) == VN_OK)
        return *count = (int)v, true;
    return false;
}

/* Reads --config FILE, if given, knowing every key of run_options. */
int vn_runopts_load_file(const vn_opts *o, vn_config **file)
{
    const char *keys[N_RUN_OPTIONS];
    char msg[512];
    *file = NULL;
    if (!o->config) return 0;
    for (size_t k = 0; k < N_RUN_OPTIONS; k++)
        keys[k] = vn_runopt_key(&run_options[k]);
    /* keys only needs to live through the load: values are looked up by index. */
    vn_err err = vn_config_load(file, o->config, keys, N_RUN_OPTIONS, msg, sizeof msg);
    return err ? vn_runopts_die(false, 2, err, "%s", msg) : 0;
}

/* Fills cfg from the defaults, then the settings file, then the options
 * given, naming the first bad one (with its file and line). Values from
 * the file stay owned by file. Returns 0 or the exit code. */
int vn_runopts_config(const vn_opts *o, const vn_config *file, vn_server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->state_dir = o->state;
    for (size_t k = 0; k < N_RUN_OPTIONS; k++) {
        const run_option *ro = &run_options[k];
        unsigned line = 0;
        const char *in_file = vn_config_value(file, k, &line);
        bool valued = ro->kind != OPT_FLAG && ro->kind != OPT_COUNT;
        bool given = o->run[k] || o->run_count[k];
        int count = o->run_count[k];
        if (!given && in_file && !valued && !file_count(ro, in_file, &count))
            return vn_runopts_die(false, 2, VN_EINVAL, "%s:%u: %s must be %s, not %s",
                                  vn_config_path(file), line, vn_runopt_key(ro),
                                  ro->kind == OPT_FLAG ? "yes or no" : "a number 0..9", in_file);
        const char *text = o->run[k] ? o->run[k] : in_file ? in_file : ro->def;
        if (valued && !text) continue;
        if (set_run_option(ro, text, count, cfg) == VN_OK) continue;
        if (!o->run[k] && in_file)
            return vn_runopts_die(false, 2, VN_EINVAL, "%s:%u: %s %s, not %s", vn_config_path(file),
                                  line, vn_runopt_key(ro), ro->invalid, in_file);
        /* A default that does not parse is a bug in the table. */
        assert(o->run[k]);
        return vn_runopts_die(false, 2, VN_EINVAL, "%s %s, not %s", ro->name, ro->invalid,
                              o->run[k]);
    }
    char msg[256];
    if (cfg->metrics_addr && vn_metrics_check_addr(cfg->metrics_addr, msg, sizeof msg))
        return vn_runopts_die(false, 2, VN_EINVAL, "%s", msg);
    if (cfg->cluster && vn_cluster_check(cfg->cluster, cfg->node, msg, sizeof msg))
        return vn_runopts_die(false, 2, VN_EINVAL, "%s", msg);
    if (!cfg->cluster && cfg->node)
        return vn_runopts_die(false, 2, VN_EINVAL,
                              "--node names a node of a cluster: give --cluster URLS too");
    const char *pe = cfg->public_endpoint;
    vn_endpoints eps = {0};
    char why[300];
    if (pe && vn_invite_endpoints_parse(pe, &eps, why, sizeof why))
        return vn_runopts_die(false, 2, VN_EINVAL,
                              "--public-endpoint (public-endpoint in a settings file): %s", why);
    for (size_t k = 0; k < eps.n; k++)
        if (!vn_invite_endpoint_ok(eps.ep[k]) || vn_invite_endpoint_wildcard(eps.ep[k]))
            return vn_runopts_die(false, 2, VN_EINVAL,
                                  "--public-endpoint (public-endpoint in a settings file) must be "
                                  "tcp://HOST:PORT with a host clients can reach, not a wildcard "
                                  "such as 0.0.0.0, ::, or *; not %s",
                                  eps.ep[k]);
    return 0;
}

/* Writes value into the state directory's file name at each start, or
 * removes the file when the server runs without one. */
static int publish(const vn_server_config *cfg, const char *name, const char *value)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", cfg->state_dir, name);
    if (!value) {
        if (unlink(path) != 0 && errno != ENOENT)
            return vn_runopts_die(false, 1, VN_EIO, "cannot remove %s: %s", path, strerror(errno));
        return 0;
    }
    FILE *f = fopen(path, "w");
    bool ok = f && fprintf(f, "%s\n", value) > 0;
    if (f && fclose(f) != 0) ok = false;
    return ok ? 0 : vn_runopts_die(false, 1, VN_EIO, "cannot write %s", path);
}

/* The address invites carry, beside the bound one (STATE/endpoint) so
 * that `vangnetd invite` finds it. */
int vn_runopts_publish_endpoint(const vn_server_config *cfg)
{
    return publish(cfg, VN_PUBLIC_ENDPOINT_FILE, cfg->public_endpoint);
}

int vn_runopts_publish_cluster(const vn_server_config *cfg)
{
    return publish(cfg, VN_CLUSTER_FILE, cfg->cluster);
}

int vn_runopts_cluster(const vn_opts *o, char *buf, size_t size)
{
    char msg[512], path[4096];
    const char *from = "--cluster";
    size_t k = (size_t)(run_option_named("--cluster") - run_options);
    buf[0] = '\0';
    if (o->run[k]) {
        snprintf(buf, size, "%s", o->run[k]);
    } else if (o->config) {
        vn_config *file = NULL;
        unsigned line = 0;
        int rc = vn_runopts_load_file(o, &file);
        if (rc) return rc;
        const char *v = vn_config_value(file, k, &line);
        if (v) snprintf(buf, size, "%s", v);
        vn_config_close(&file);
        from = o->config;
    }
    /* Neither says it: a node running on the directory does. */
    if (!buf[0] && !o->run[k] && o->state) {
        snprintf(path, sizeof path, "%s/%s", o->state, VN_CLUSTER_FILE);
        FILE *f = fopen(path, "r");
        if (f && fgets(buf, (int)size, f)) buf[strcspn(buf, "\r\n")] = '\0';
        if (f) fclose(f);
        from = path;
    }
    if (buf[0] && vn_cluster_check(buf, "operator", msg, sizeof msg))
        return vn_runopts_die(o->json, 2, VN_EINVAL, "%s (from %s)", msg, from);
    return 0;
}

int vn_runopts_snapshot_keep(const vn_opts *o, uint64_t *ms)
{
    vn_server_config cfg;
    vn_config *file = NULL;
    unsigned line = 0;
    const run_option *ro = run_option_named("--snapshot-keep");
    size_t k = (size_t)(ro - run_options);
    int rc = vn_runopts_load_file(o, &file);
    if (rc) return rc;
    const char *in_file = vn_config_value(file, k, &line);
    const char *text = o->run[k] ? o->run[k] : in_file ? in_file : ro->def;
    if (set_run_option(ro, text, 0, &cfg) != VN_OK)
        rc = vn_runopts_die(o->json, 2, VN_EINVAL, "%s %s, not %s", ro->name, ro->invalid, text);
    else
        *ms = cfg.snapshot_keep_ms;
    vn_config_close(&file);
    return rc;
}

/* The options of run, from the command line and the settings file (main
 * checks them before the store, so a mistake is named without touching it). */
int vn_runopts_read(const vn_opts *o, vn_server_config *cfg)
{
    vn_config *file = NULL;
    int rc = vn_runopts_load_file(o, &file);
    if (!rc) rc = vn_runopts_config(o, file, cfg);
    vn_config_close(&file);
    return rc;
}
