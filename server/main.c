/* vangnetd: init, run, clock, rekey, backup, restore, status, cluster
 * (invite and intake-code: cmd_invite.c). The command line, its option
 * table and the settings file are in runopts.c. */
#include "backup.h"
#include "cluster.h"
#include "cluster_nats.h"
#include "cluster_op.h"
#include "opcmd.h"
#include "config.h"
#include "metrics.h"
#include "rekey.h"
#include "runopts.h"
#include "server.h"
#include "serverkey.h"
#include "storekey.h"

#include "vn/parse.h"
#include "vn/kv.h"
#include <stdbool.h>
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* Explains why the store would not open, naming the files involved: the
 * two refusals an operator can act on get words of their own. */
int vn_cmd_die_store(const vn_opts *o, const char *keypath, vn_err err)
{
    if (err == VN_ECRYPTO)
        return vn_runopts_die(o->json, 1, err,
                              "the store key in %s does not open the store in %s (wrong key? it is "
                              "the key that seals the store and its server.key)",
                              keypath, o->state);
    if (err == VN_EVERSION)
        return vn_runopts_die(
            o->json, 1, err,
            "the store in %s is of the old, unsealed format and is not opened: make a new "
            "state directory with `vangnetd init`",
            o->state);
    return vn_runopts_die(o->json, 1, err, "cannot open the store in %s: %s", o->state,
                          vn_err_str(err));
}

/* Reads the store key named by --store-key or systemd's credential into
 * key, and its path into path. Returns 0 or the exit code. */
int vn_cmd_load_key(const vn_opts *o, uint8_t key[VN_STOREKEY_LEN], char *path, size_t size)
{
    char msg[512];
    /* No key named at all is a usage error (2); a key file refused is 1. */
    vn_err err = vn_storekey_path(o->store_key, path, size, msg, sizeof msg);
    if (err) return vn_runopts_die(o->json, 2, err, "%s", msg);
    err = vn_storekey_load(path, o->state, key, msg, sizeof msg);
    return err ? vn_runopts_die(o->json, 1, err, "%s", msg) : 0;
}

/* Opens the store of o->state with its key; the key is wiped before it
 * returns. Returns 0 or the exit code. */
static int open_store(const vn_opts *o, vn_sstore **store)
{
    uint8_t key[VN_STOREKEY_LEN];
    char path[4096];
    int rc = vn_cmd_prepare_store(o);
    if (!rc) rc = vn_cmd_load_key(o, key, path, sizeof path);
    if (rc) return rc;
    vn_err err = vn_sstore_open(store, o->state, 0, key);
    explicit_bzero(key, sizeof key);
    return err ? vn_cmd_die_store(o, path, err) : 0;
}

/* What to do with a new store key: printed by init, on stderr so that
 * stdout stays the server's public key. */
static void print_key_advice(const char *path)
{
    fprintf(stderr,
            "vangnetd: the store key is in %s. Without it the store cannot be read: keep a copy\n"
            "  offline, apart from every backup of the state directory. On a systemd machine,\n"
            "  seal it to this machine's TPM and remove the plain file:\n"
            "    systemd-creds encrypt --with-key=tpm2 --name=%s %s \\\n"
            "      /etc/credstore.encrypted/%s\n"
            "  and give the service LoadCredentialEncrypted=%s (see docs/THREAT-MODEL.md).\n",
            path, VN_STOREKEY_CREDENTIAL, path, VN_STOREKEY_CREDENTIAL, VN_STOREKEY_CREDENTIAL);
}

static int cmd_init(vn_opts *o)
{
    char pub[41], path[4096], msg[512];
    uint8_t key[VN_STOREKEY_LEN];
    vn_sstore *store = NULL;
    struct stat sb;
    if (!o->store_key)
        return vn_runopts_die(
            o->json, 2, VN_EINVAL,
            "--store-key FILE is required: init makes the store key there (outside %s)", o->state);
    if (mkdir(o->state, 0700) != 0 && errno != EEXIST)
        return vn_runopts_die(o->json, 1, VN_EIO, "cannot create state directory %s", o->state);
    snprintf(path, sizeof path, "%s/server.key", o->state);
    if (stat(path, &sb) == 0)
        return vn_runopts_die(o->json, 1, VN_EEXISTS,
                              "%s is already initialised (server.key exists)", o->state);
    vn_err err = vn_storekey_create(o->store_key, o->state, key, msg, sizeof msg);
    if (err) return vn_runopts_die(o->json, 1, err, "%s", msg);
    /* The CURVE key pair: server.key sealed under the store key, server.pub. */
    int rc = 0;
    if ((err = vn_serverkey_create(o->state, key, pub, msg, sizeof msg)))
        rc = vn_runopts_die(o->json, 1, err, "%s", msg);
    vn_meta_format_info fmt; /* a new store: written with the current format */
    if (!rc && (err = vn_meta_open(&store, o->state, 0, key, false, &fmt)))
        rc = vn_cmd_die_store(o, o->store_key, err);
    explicit_bzero(key, sizeof key);
    vn_sstore_close(&store);
    if (rc) return rc;
    print_key_advice(o->store_key);
    if (o->json)
        printf("{\"public_key\": \"%s\", \"state\": \"%s\", \"store_key\": \"%s\"}\n", pub,
               o->state, o->store_key);
    else
        printf("%s\n", pub);
    return 0;
}

/* Sets the log level; -v without a level means debug, and debug logs
 * every request. */
static void apply_log_level(vn_server_config *cfg)
{
    vn_log_level level = VN_LEVEL_INFO;
    vn_log_level_parse(cfg->log_level, &level); /* checked against the table already */
    if (cfg->verbose && level == VN_LEVEL_INFO) level = VN_LEVEL_DEBUG;
    if (level == VN_LEVEL_DEBUG && !cfg->verbose) cfg->verbose = 1;
    vn_log_set_level(level);
}

/* The server's figures for a scrape of --metrics. */
static void server_gauges(void *ctx, vn_metrics_gauges *g)
{
    vn_server *srv = ctx;
    size_t used = 0, total = 0;
    long page = sysconf(_SC_PAGESIZE);
    g->max_connections = vn_server_cfg(srv)->max_connections;
    g->nearly_full = vn_server_nearly_full(srv);
    if (vn_kv_usage(vn_sstore_kv(vn_server_store(srv)), true, &used, &total) == VN_OK) {
        g->store_known = true;
        g->store_used_bytes = (uint64_t)used * (uint64_t)(page > 0 ? page : 4096);
        g->store_map_bytes = (uint64_t)total * (uint64_t)(page > 0 ? page : 4096);
    }
}

/* Reads server.key with the store key into secret (*plain: an older,
 * unsealed file). Returns 0 or the exit code, naming the file and the key. */
static int load_server_key(const vn_opts *o, const uint8_t key[VN_STOREKEY_LEN],
                           const char *keypath, uint8_t secret[VN_SERVERKEY_LEN], bool *plain)
{
    char note[4200], msg[4200];
    vn_err err =
        vn_serverkey_load(o->state, key, secret, plain, note, sizeof note, msg, sizeof msg);
    if (err == VN_ECRYPTO)
        return vn_runopts_die(false, 1, err,
                              "the store key in %s does not open %s/%s (wrong key? or a %s sealed "
                              "under another store key)",
                              keypath, o->state, VN_SERVERKEY_FILE, VN_SERVERKEY_FILE);
    if (err) return vn_runopts_die(false, 1, err, "%s", msg);
    if (note[0]) vn_log("%s", note);
    return 0;
}

/* An older release left server.key in the clear: seal it in place, now
 * that the key has opened the store (a wrong key never seals it). The
 * plain file still serves if this fails; the next start tries again. */
static void seal_plain_key(const vn_opts *o, const uint8_t key[VN_STOREKEY_LEN],
                           const uint8_t secret[VN_SERVERKEY_LEN])
{
    char msg[4200];
    if (vn_serverkey_store(o->state, VN_SERVERKEY_FILE, key, secret, msg, sizeof msg))
        vn_logl(VN_LEVEL_ERROR, "%s: it stays in the clear until the next start", msg);
    else
        vn_log("%s/%s held the server's secret key in the clear (an older release): now sealed "
               "under the store key",
               o->state, VN_SERVERKEY_FILE);
}

/* Opens the server (and its metrics endpoint) and runs it until a signal. */
static int serve(const vn_opts *o, vn_server_config *cfg, uint8_t key[VN_STOREKEY_LEN],
                 const char *keypath)
{
    vn_server *srv = NULL;
    uint8_t secret[VN_SERVERKEY_LEN];
    bool plain = false;
    char msg[256];
    int rc = load_server_key(o, key, keypath, secret, &plain);
    if (rc) {
        explicit_bzero(key, VN_STOREKEY_LEN);
        return rc;
    }
    cfg->store_key = key;
    cfg->server_secret = secret;
    /* Tests only, as the client's VANGNET_TEST_FAIL_WRITE: the undoing of
     * a request that fails after writing cannot be reached otherwise. */
    const char *fail_flat = getenv("VANGNETD_TEST_FAIL_FLAT");
    cfg->test_fail_flat = fail_flat && strcmp(fail_flat, "1") == 0;
    if (cfg->test_fail_flat)
        vn_logl(VN_LEVEL_WARN, "VANGNETD_TEST_FAIL_FLAT is set (tests only): the first send or "
                               "ack that writes fails after writing");
    vn_err err = vn_server_open(&srv, cfg);
    if (!err && plain) seal_plain_key(o, key, secret);
    explicit_bzero(key, VN_STOREKEY_LEN);
    explicit_bzero(secret, sizeof secret);
    cfg->store_key = NULL;
    cfg->server_secret = NULL;
    if (err == VN_ECRYPTO || err == VN_EVERSION) return vn_cmd_die_store(o, keypath, err);
    if (err) return vn_runopts_die(false, 1, err, "cannot start: %s", vn_err_str(err));
    if ((rc = vn_runopts_publish_endpoint(cfg))) goto cleanup;
    if ((rc = vn_runopts_publish_cluster(cfg))) goto cleanup;
    /* Record whether `vangnetd clock` may move time for this state. */
    err = vn_meta_set_test_clock(vn_server_store(srv), cfg->test_clock);
    if (err) {
        rc = vn_runopts_die(false, 1, err, "cannot write the store: %s", vn_err_str(err));
        goto cleanup;
    }
    if (cfg->metrics_addr) {
        err = vn_metrics_listen(cfg->metrics, vn_server_loop(srv), cfg->metrics_addr, server_gauges,
                                srv, msg, sizeof msg);
        if (err) {
            rc = vn_runopts_die(false, 1, err, "%s", msg);
            goto cleanup;
        }
        vn_log("metrics on %s", cfg->metrics_addr);
    }
    rc = vn_server_run(srv) ? 1 : 0;
cleanup:
    vn_server_close(&srv);
    return rc;
}

static int cmd_run(vn_opts *o)
{
    vn_server_config cfg;
    vn_config *file = NULL;
    char msg[256];
    uint8_t key[VN_STOREKEY_LEN];
    char keypath[4096];
    /* A body the protocol allows but no row answers is a build mistake:
     * refuse to run rather than tell users "unknown request type". */
    if (vn_requests_check(vn_requests, VN_REQUEST_COUNT, msg, sizeof msg))
        return vn_runopts_die(false, 1, VN_EINTERNAL, "%s", msg);
    int rc = vn_runopts_load_file(o, &file);
    if (!rc) rc = vn_runopts_config(o, file, &cfg);
    if (!rc) rc = vn_cmd_load_key(o, key, keypath, sizeof keypath);
    if (rc) goto cleanup;
    apply_log_level(&cfg);
    if (cfg.metrics_addr && vn_metrics_open(&cfg.metrics)) {
        rc = vn_runopts_die(false, 1, VN_ENOMEM, "out of memory");
        goto cleanup;
    }
    /* Contracts run on local dates. The zone is process state (TZ): set it
     * once here, before any thread exists. */
    setenv("TZ", cfg.time_zone, 1);
    tzset();
    rc = serve(o, &cfg, key, keypath);
    vn_metrics_close(&cfg.metrics);
cleanup:
    explicit_bzero(key, sizeof key);
    vn_config_close(&file);
    return rc;
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

static int cmd_clock(vn_opts *o)
{
    vn_sstore *store = NULL;
    uint64_t v;
    if (o->npos != 2 || (strcmp(o->pos[0], "advance") != 0 && strcmp(o->pos[0], "set") != 0))
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              "usage: vangnetd clock --state DIR advance DUR | set TIME");
    bool advance = strcmp(o->pos[0], "advance") == 0;
    if (advance ? vn_parse_duration(o->pos[1], &v) : parse_time(o->pos[1], &v))
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              advance ? "not a duration: %s (use e.g. 90m or 31d)"
                                      : "not a time: %s (use YYYY-MM-DD[THH:MM[:SS]], UTC)",
                              o->pos[1]);
    int rc = open_store(o, &store);
    if (rc) return rc;
    if (!vn_meta_test_clock(store)) {
        vn_sstore_close(&store);
        return vn_runopts_die(
            o->json, 1, VN_EDENIED,
            "the clock of %s cannot be moved: the server was not started with --test-clock",
            o->state);
    }
    vn_err err = advance ? vn_clock_advance(store, v) : vn_clock_set(store, v);
    vn_sstore_close(&store);
    if (err == VN_EINVAL)
        return vn_runopts_die(o->json, 1, err,
                              "time only moves forward: %s is not after the current test time",
                              o->pos[1]);
    if (err) return vn_runopts_die(o->json, 1, err, "cannot move the clock: %s", vn_err_str(err));
    return 0;
}

/* A new store key: made in --new-key FILE first, so the store is never
 * under a key that is not on disk (a crash before the rename leaves it
 * unused and the old key valid), then every record is rewritten under it. */
static int cmd_rekey(vn_opts *o)
{
    uint8_t old_key[VN_STOREKEY_LEN], new_key[VN_STOREKEY_LEN];
    char path[4096], msg[512];
    if (!o->new_key)
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              "--new-key FILE is required: rekey makes the new key there");
    int rc = vn_cmd_prepare_store(o);
    if (!rc) rc = vn_cmd_load_key(o, old_key, path, sizeof path);
    if (rc) return rc;
    bool moved = false;
    vn_err err = vn_storekey_create(o->new_key, o->state, new_key, msg, sizeof msg);
    if (!err) {
        err = vn_rekey_run(o->state, old_key, new_key, &moved, msg, sizeof msg);
        /* A key that seals nothing is only one more secret to keep. */
        if (err && !moved) unlink(o->new_key);
    }
    explicit_bzero(old_key, sizeof old_key);
    explicit_bzero(new_key, sizeof new_key);
    if (err == VN_ECRYPTO || err == VN_EVERSION) return vn_cmd_die_store(o, path, err);
    if (err) return vn_runopts_die(o->json, 1, err, "%s", msg);
    fprintf(
        stderr,
        "vangnetd: the store in %s and its server.key are now sealed with the key in %s; the old "
        "key %s no longer opens them (older backups still need it).\n",
        o->state, o->new_key, path);
    print_key_advice(o->new_key);
    return 0;
}

/* ---- backup, restore, status (server/backup.c) ---------------------- */

/* Before a command opens the store: it must be there and whole (a lost
 * store is never replaced by an empty one: only init makes a store), and of
 * a format this build reads; an older one is moved forward here, after a
 * copy of it is kept, unless a server runs on it. Returns 0 or the exit
 * code. */
int vn_cmd_prepare_store(const vn_opts *o)
{
    char msg[512], path[4096];
    uint8_t key[VN_STOREKEY_LEN];
    vn_sstore *store = NULL;
    vn_meta_format_info fmt;
    vn_err err = vn_kv_check(o->state, true, msg, sizeof msg);
    if (err == VN_ENOTFOUND)
        return vn_runopts_die(
            o->json, 1, err,
            "no store in %s (%s): `vangnetd init` makes a new state directory; a lost store "
            "comes back with `vangnetd restore` from a backup (docs/BACKUP.md)",
            o->state, msg);
    if (err)
        return vn_runopts_die(
            o->json, 1, err,
            "%s. The store is not opened: restore it from a backup with `vangnetd "
            "restore` (docs/BACKUP.md)",
            msg);
    int rc = vn_cmd_load_key(o, key, path, sizeof path);
    if (rc) return rc;
    bool running = vn_backup_server_running(o->state);
    err = vn_meta_open(&store, o->state, 0, key, !running, &fmt);
    explicit_bzero(key, sizeof key);
    vn_sstore_close(&store);
    if (err == VN_EVERSION && fmt.newer)
        return vn_runopts_die(
            o->json, 1, err,
            "the store in %s is of format %u, newer than this vangnetd %s reads (format "
            "%u): run the vangnetd that wrote it",
            o->state, (unsigned)fmt.found, VN_VERSION, (unsigned)VN_META_FORMAT);
    if (err) return vn_cmd_die_store(o, path, err);
    if (fmt.upgraded)
        fprintf(stderr,
                "vangnetd: the store in %s was moved from format %u to %u; the store as it was "
                "is kept in %s\n",
                o->state, (unsigned)fmt.found, (unsigned)VN_META_FORMAT, fmt.kept);
    else if (fmt.found < VN_META_FORMAT)
        return vn_runopts_die(
            o->json, 1, VN_EVERSION,
            "the store in %s is of format %u and an older vangnetd runs on it: stop that "
            "one, then start this one, which moves the store to format %u",
            o->state, (unsigned)fmt.found, (unsigned)VN_META_FORMAT);
    return 0;
}

/* Cluster mode: the backup's log position is registered, so the writer
 * trims the log no further than it (docs/CLUSTER.md). The place (host and
 * directory) names the entry: a backup made again there replaces it. */
static int register_backup(const vn_opts *o, const char *urls, const uint8_t key[VN_STOREKEY_LEN],
                           uint64_t keep, uint64_t seq)
{
    char place[4096 + 300], host[256] = "", real[4096], msg[512];
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    if (!realpath(o->pos[0], real)) snprintf(real, sizeof real, "%s", o->pos[0]);
    snprintf(place, sizeof place, "%s:%s", host, real);
    vn_err err = vn_cluster_snap_register(urls, key, keep, place, seq, msg, sizeof msg);
    if (err)
        return vn_runopts_die(o->json, 1, err,
                              "the backup in %s is made, but not registered in the cluster, so "
                              "the log may be trimmed past it (it can still start a node while "
                              "the log holds entry %llu): %s",
                              o->pos[0], (unsigned long long)seq + 1, msg);
    if (!o->json)
        fprintf(stderr,
                "vangnetd: registered in the cluster at log entry %llu; the log is kept from "
                "there for %llu days\n",
                (unsigned long long)seq, (unsigned long long)(keep / 86400000));
    return 0;
}

static int cmd_backup(vn_opts *o)
{
    uint8_t key[VN_STOREKEY_LEN];
    char path[4096], msg[1024];
    vn_backup_counts c;
    if (o->npos != 1)
        return vn_runopts_die(o->json, 2, VN_EINVAL, "usage: vangnetd backup --state DIR DEST");
    int rc = vn_cmd_load_key(o, key, path, sizeof path);
    if (rc) return rc;
    char urls[VN_CLUSTER_URLS_MAX + 1];
    uint64_t keep = 0;
    rc = vn_runopts_cluster(o, urls, sizeof urls);
    /* Checked without a cluster too: a bad value is named, not ignored. */
    if (!rc) rc = vn_runopts_snapshot_keep(o, &keep);
    if (rc) {
        explicit_bzero(key, sizeof key);
        return rc;
    }
    vn_err err = vn_backup_make(o->state, o->pos[0], key, &c, msg, sizeof msg);
    if (!err && urls[0]) rc = register_backup(o, urls, key, keep, c.log_seq);
    explicit_bzero(key, sizeof key);
    if (err) return vn_runopts_die(o->json, 1, err, "backup failed: %s", msg);
    if (rc) return rc;
    vn_backup_print(stdout, o->json, "backup", o->pos[0], &c);
    return 0;
}

static int cmd_restore(vn_opts *o)
{
    uint8_t key[VN_STOREKEY_LEN];
    char path[4096], msg[1024];
    vn_backup_counts c;
    struct stat sb;
    if (o->npos != 1)
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              "usage: vangnetd restore --state DIR SRC [--force]");
    int rc = vn_cmd_load_key(o, key, path, sizeof path);
    if (rc) return rc;
    vn_err err = vn_backup_restore(o->state, o->pos[0], key, o->force, &c, msg, sizeof msg);
    explicit_bzero(key, sizeof key);
    if (err) return vn_runopts_die(o->json, 1, err, "restore refused: %s", msg);
    vn_backup_print(stdout, o->json, "restored", o->state, &c);
    snprintf(path, sizeof path, "%s/server.key", o->state);
    if (stat(path, &sb) != 0)
        fprintf(stderr,
                "vangnetd: %s has no server.key: put back server.key and server.pub from their "
                "own backup before `vangnetd run`, or clients will not trust this server\n",
                o->state);
    return 0;
}

static int cmd_status(vn_opts *o)
{
    uint8_t key[VN_STOREKEY_LEN];
    char path[4096], msg[1024];
    vn_server_config cfg;
    vn_status s;
    int rc = vn_runopts_read(o, &cfg); /* --map-size as the server's */
    if (rc) return rc;
    if ((rc = vn_cmd_load_key(o, key, path, sizeof path))) return rc;
    vn_err err = vn_status_read(o->state, key, cfg.map_size, &s, msg, sizeof msg);
    explicit_bzero(key, sizeof key);
    if (err) return vn_runopts_die(o->json, 1, err, "%s", msg);
    vn_status_print(stdout, o->json, o->state, &s);
    return 0;
}

/* `vangnetd cluster status|trim SEQ --cluster URLS [--json]`: NATS only,
 * no store. */
static int cmd_cluster(vn_opts *o)
{
    char msg[512];
    size_t n;
    uint64_t seq = 0;
    const char *urls = NULL;
    const run_option *run = vn_runopts_table(&n);
    bool status = o->npos == 1 && strcmp(o->pos[0], "status") == 0;
    bool trim = o->npos == 2 && strcmp(o->pos[0], "trim") == 0;
    if (!status && !trim)
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              "usage: vangnetd cluster status --cluster URLS [--json], or "
                              "vangnetd cluster trim SEQ --cluster URLS [--json]");
    if (trim && vn_parse_u64(o->pos[1], 2, UINT64_MAX, &seq))
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              "cluster trim SEQ: the first log entry to keep, a number from 2, "
                              "not %s",
                              o->pos[1]);
    for (size_t k = 0; k < n; k++)
        if (strcmp(run[k].name, "--cluster") == 0) urls = o->run[k];
    if (!urls)
        return vn_runopts_die(o->json, 2, VN_EINVAL, "cluster %s needs --cluster URLS", o->pos[0]);
    vn_err err = status ? vn_cluster_status(urls, o->json, stdout, msg, sizeof msg)
                        : vn_cluster_trim(urls, seq, o->json, stdout, msg, sizeof msg);
    return err ? vn_runopts_die(o->json, 1, err, "%s", msg) : 0;
}

/* The commands: what runs them, and whether the options of `run` are
 * checked and the store prepared (vn_cmd_prepare_store) before it runs; the other
 * commands that open the store prepare it after their own usage checks
 * (open_store, cmd_rekey), so a bad option is told as such first. */
typedef struct command {
    const char *name;
    int (*run)(vn_opts *o);
    bool needs_store;
    bool run_options;
} command;

/* clang-format off */
static const command commands[] = {
    {"init", cmd_init, false, false},
    {"run", cmd_run, true, true},
    {"invite", vn_cmd_invite, false, false},
    {"intake-code", vn_cmd_intake_code, false, false},
    {"clock", cmd_clock, false, false},
    {"rekey", cmd_rekey, false, false},
    {"backup", cmd_backup, false, false},
    {"restore", cmd_restore, false, false},
    {"status", cmd_status, false, true},
    {"cluster", cmd_cluster, false, false},
};
/* clang-format on */

int main(int argc, char **argv)
{
    vn_opts o = {0};
    size_t n_run;
    const run_option *run = vn_runopts_table(&n_run);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        vn_runopts_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vangnetd " VN_VERSION "\n");
        return 0;
    }
    if (strcmp(argv[1], "config-example") == 0) {
        vn_doc_config_example(stdout, run, n_run);
        return 0;
    }
    /* `vangnetd doc man8|man5`: the manual pages, made at build time. */
    if (strcmp(argv[1], "doc") == 0 && argc == 3 && strcmp(argv[2], "man8") == 0) {
        vn_doc_man8(stdout, run, n_run, vn_runopts_usage);
        return 0;
    }
    if (strcmp(argv[1], "doc") == 0 && argc == 3 && strcmp(argv[2], "man5") == 0) {
        vn_doc_man5(stdout, run, n_run);
        return 0;
    }
    const command *cmd = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) cmd = &commands[i];
    if (!cmd)
        return vn_runopts_die(false, 2, VN_EINVAL, "unknown command %s (see vangnetd --help)",
                              argv[1]);
    int rc = vn_runopts_parse(argc, argv, &o);
    if (rc) return rc;
    vn_server_config cfg;
    if (cmd->run_options && (rc = vn_runopts_read(&o, &cfg))) return rc;
    if (cmd->needs_store && (rc = vn_cmd_prepare_store(&o))) return rc;
    return cmd->run(&o);
}
