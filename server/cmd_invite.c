/* `vangnetd invite` and `vangnetd intake-code` (opcmd.h): a code that
 * carries a fresh secret, the server's endpoints and its public key; the
 * secret's hash is written to the store, through the cluster's log when
 * the node is in one (cluster_op.h), and the code is printed only once
 * that write is durable. */
#include "opcmd.h"
#include "cluster.h"
#include "cluster_op.h"
#include "runopts.h"

#include "vn/account.h"
#include "vn/hex.h"
#include "vn/intake.h"
#include "vn/invite.h"
#include "vn/kv.h"
#include "vn/meta.h"
#include "vn/parse.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define DEFAULT_INVITE_TTL_MS (7ULL * 86400000)

static int read_endpoint(const char *state, const char *name, char *out, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", state, name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    bool ok = fgets(out, (int)size, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return out[0] ? 0 : -1;
}

/* What every code carries besides its secret: the endpoints (--endpoint,
 * else the running server's --public-endpoint, else the address it is
 * bound to; up to 4, never a wildcard) and the server's public key. */
static int invite_target(vn_opts *o, vn_invite *inv)
{
    char pubz[64] = {0}, list[VN_ENDPOINTS_TEXT_MAX], why[300];
    const char *src = o->endpoint;
    memset(inv, 0, sizeof *inv);
    if (!src) {
        if (read_endpoint(o->state, VN_PUBLIC_ENDPOINT_FILE, list, sizeof list) != 0 &&
            read_endpoint(o->state, "endpoint", list, sizeof list) != 0)
            return vn_runopts_die(
                o->json, 1, VN_ENOTFOUND,
                "no endpoint known for %s: start `vangnetd run` first or pass --endpoint",
                o->state);
        src = list;
    }
    if (vn_invite_endpoints_parse(src, &inv->endpoints, why, sizeof why))
        return vn_runopts_die(o->json, o->endpoint ? 2 : 1, VN_EINVAL, "--endpoint: %s", why);
    memcpy(inv->endpoint, inv->endpoints.ep[0], sizeof inv->endpoint);
    for (size_t k = 0; k < inv->endpoints.n; k++)
        if (vn_invite_endpoint_wildcard(inv->endpoints.ep[k]))
            return vn_runopts_die(
                o->json, o->endpoint ? 2 : 1, VN_EINVAL,
                "%s is a wildcard address the server listens on, which no client elsewhere can "
                "connect to: run the server with --public-endpoint tcp://HOST:PORT "
                "(public-endpoint in its settings file), the address clients reach it at, or "
                "pass --endpoint tcp://HOST:PORT here",
                inv->endpoints.ep[k]);
    char path[4096];
    snprintf(path, sizeof path, "%s/server.pub", o->state);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(pubz, 1, 40, f) : 0;
    if (f) fclose(f);
    if (n != 40 || !zmq_z85_decode(inv->server_key, pubz))
        return vn_runopts_die(o->json, 1, VN_EIO,
                              "cannot read %s/server.pub: run `vangnetd init` first", o->state);
    return 0;
}

/* The write of invite and intake-code. In a cluster (vn_runopts_cluster)
 * it goes through the log, made on this node's store and appended by the
 * writer (cluster_op.h), so every node has it; otherwise straight into
 * the store. Returns 0 or the exit code (said why, naming what). */
static int operator_write(vn_opts *o, vn_cluster_op_fn fn, void *ud, const char *what)
{
    char urls[VN_CLUSTER_URLS_MAX + 1], path[4096], msg[512];
    uint8_t key[VN_STOREKEY_LEN];
    vn_sstore *store = NULL;
    uint64_t seq = 0;
    int rc = vn_runopts_cluster(o, urls, sizeof urls);
    if (!rc) rc = vn_cmd_prepare_store(o);
    if (!rc) rc = vn_cmd_load_key(o, key, path, sizeof path);
    if (rc) return rc;
    vn_err err = vn_sstore_open(&store, o->state, 0, key);
    if (err) {
        explicit_bzero(key, sizeof key);
        return vn_cmd_die_store(o, path, err);
    }
    if (urls[0]) {
        err = vn_cluster_op_write(urls, key, store, fn, ud, &seq, msg, sizeof msg);
    } else {
        vn_kv *kv = vn_sstore_kv(store);
        if (vn_meta_log_seq(store, &seq) == VN_OK && seq > 0)
            fprintf(stderr,
                    "vangnetd: the store in %s has applied a cluster's log, but no cluster is "
                    "named (--cluster, cluster = in --config, or a node running on it): the %s "
                    "is written to this store only\n",
                    o->state, what);
        if (!(err = vn_kv_begin(kv)) && (err = fn(store, ud)) == VN_OK) err = vn_kv_commit(kv);
        if (err && vn_kv_in_txn(kv)) vn_kv_abort(kv);
        snprintf(msg, sizeof msg, "%s", vn_err_str(err));
    }
    explicit_bzero(key, sizeof key);
    vn_sstore_close(&store);
    return err ? vn_runopts_die(o->json, 1, err, "cannot create the %s: %s", what, msg) : 0;
}

/* What invite writes (operator_write). */
typedef struct invite_write {
    vn_role role;
    const uint8_t *case_id;
    uint64_t ttl;
    uint8_t *secret;
} invite_write;

/* The store's time: its test clock when one is set (vangnetd clock),
 * else the wall clock, as the server's own. */
static vn_err store_now(vn_sstore *store, uint64_t *now)
{
    vn_clock *clock = NULL;
    vn_err err = vn_clock_open(&clock, store, vn_meta_test_clock(store));
    if (!err) *now = vn_clock_now(clock);
    vn_clock_close(&clock);
    return err;
}

static vn_err write_invite(vn_sstore *store, void *ud)
{
    invite_write *w = ud;
    uint64_t now = 0;
    vn_err err = store_now(store, &now);
    return err ? err : vn_invites_create(store, w->role, w->case_id, now, w->ttl, w->secret);
}

int vn_cmd_invite(vn_opts *o)
{
    vn_role role;
    uint64_t ttl = DEFAULT_INVITE_TTL_MS;
    vn_invite inv;
    char code[VN_INVITE_TEXT_MAX];
    if (!o->role || vn_role_parse(o->role, &role))
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              "--role must be participant, casemanager, buddy, naaste, "
                              "medical-lead, admin, intake or facilitator%s",
                              o->role ? "" : " (missing)");
    if (role == VN_ROLE_VISITOR)
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              "a visitor is not invited: anyone becomes one by redeeming the "
                              "programme's first-contact code (vangnetd intake-code)");
    if (o->ttl && (vn_parse_duration(o->ttl, &ttl) || ttl == 0))
        return vn_runopts_die(o->json, 2, VN_EINVAL, "--ttl must be a duration such as 7d, not %s",
                              o->ttl);
    uint8_t case_id[VN_ACCOUNT_LEN];
    bool has_case = o->case_id != NULL;
    bool case_role = role == VN_ROLE_PARTICIPANT || role == VN_ROLE_BUDDY || role == VN_ROLE_NAASTE;
    if (has_case &&
        (!vn_account_valid(o->case_id) || vn_hex_decode(o->case_id, case_id, VN_ACCOUNT_LEN)))
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              "--case must be a case id (32 hex characters)");
    if (case_role && !has_case)
        return vn_runopts_die(
            o->json, 2, VN_EINVAL,
            "a %s is invited into a case: their casemanager runs `vangnet invite --case "
            "CASE --role %s`, or pass --case CASE here",
            o->role, o->role);
    if (!case_role && has_case)
        return vn_runopts_die(o->json, 2, VN_EINVAL,
                              "a %s is not invited into a case (drop --case)", o->role);
    int rc = invite_target(o, &inv);
    if (rc) return rc;
    invite_write w = {role, has_case ? case_id : NULL, ttl, inv.secret};
    if ((rc = operator_write(o, write_invite, &w, "invite"))) {
        explicit_bzero(inv.secret, sizeof inv.secret);
        return rc;
    }
    vn_err err = vn_invite_encode(&inv, code, sizeof code);
    explicit_bzero(inv.secret, sizeof inv.secret);
    if (err)
        return vn_runopts_die(o->json, 1, err, "cannot create the invite: %s", vn_err_str(err));
    if (o->json)
        printf("{\"invite\": \"%s\", \"role\": \"%s\"}\n", code, vn_role_name(role));
    else
        printf("%s\n", code);
    explicit_bzero(code, sizeof code);
    return 0;
}

/* `vangnetd intake-code`: a new first-contact code (core/store vn/intake.h),
 * replacing the one before; the programme publishes it. */
typedef struct intake_write {
    uint32_t per_hour;
    uint8_t *secret;
} intake_write;

static vn_err write_intake_code(vn_sstore *store, void *ud)
{
    intake_write *w = ud;
    uint64_t now = 0;
    vn_err err = store_now(store, &now);
    return err ? err : vn_intake_code_create(store, w->per_hour, now, w->secret);
}

int vn_cmd_intake_code(vn_opts *o)
{
    uint64_t per_hour = 20;
    vn_invite inv;
    char code[VN_INVITE_TEXT_MAX], *end = NULL;
    if (o->per_hour) {
        per_hour = strtoull(o->per_hour, &end, 10);
        if (!o->per_hour[0] || *end || per_hour < 1 || per_hour > 100000)
            return vn_runopts_die(o->json, 2, VN_EINVAL,
                                  "--per-hour must be a number of redeems from 1 to 100000, not %s",
                                  o->per_hour);
    }
    int rc = invite_target(o, &inv);
    if (rc) return rc;
    intake_write w = {(uint32_t)per_hour, inv.secret};
    if ((rc = operator_write(o, write_intake_code, &w, "first-contact code"))) {
        explicit_bzero(inv.secret, sizeof inv.secret);
        return rc;
    }
    vn_err err = vn_invite_encode(&inv, code, sizeof code);
    explicit_bzero(inv.secret, sizeof inv.secret);
    if (err)
        return vn_runopts_die(o->json, 1, err, "cannot create the first-contact code: %s",
                              vn_err_str(err));
    if (o->json)
        printf("{\"code\": \"%s\", \"per_hour\": %llu}\n", code, (unsigned long long)per_hour);
    else
        printf("%s\n", code);
    explicit_bzero(code, sizeof code);
    return 0;
}
