/* change-passphrase: the command about the profile itself. */
#include "args.h"
#include "keyfile.h"

#include "vn/frame.h"
#include "vn/invite.h"

#include <stdlib.h>
#include <string.h>

int vn_cmd_change_passphrase(vn_client *c, const vn_args *a)
{
    /* The profile is open, so the old passphrase was right (main.c refuses
     * a wrong one before any command runs). */
    vn_err err = vn_client_change_passphrase(c);
    if (c->pass_refused)
        return vn_client_fail(c, err,
                              "passphrase not changed: a new one must be " VN_PASS_RULE
                              " and typed the same twice");
    if (err == VN_EDENIED)
        return vn_client_fail(c, err,
                              "no new passphrase: set VANGNET_NEW_PASSPHRASE or run on a terminal "
                              "(asked twice; both must match)");
    if (err)
        return vn_client_fail(c, err,
                              "cannot change the passphrase: %s (the old one still opens "
                              "the profile)",
                              vn_err_str(err));
    if (c->json)
        printf("{\"changed\": true}\n");
    else
        printf("passphrase changed: the old one no longer opens %s\n", c->profile);
    return EXIT_OK;
}

/* ---- profile restore ------------------------------------------------ */

#define RESTORE_PREKEYS 100 /* one-time prekeys published afresh */
#define RESTORE_MAX     256 /* most peers and teams one restore renews */
/* "e2ee_session": the fourth of VN_E2EE_DBS, keyed by peer account, NUL, device. */
#define E2EE_SESSION_DB 3

/* Account ids collected from a database walk, without repeats. */
struct ids {
    char id[RESTORE_MAX][VN_ACCOUNT_HEX + 1]; /* the ids */
    size_t n;                                 /* how many */
    bool truncated;                           /* more than RESTORE_MAX */
};

static void ids_add(struct ids *s, const void *key, size_t klen)
{
    if (klen < VN_ACCOUNT_HEX) return;
    for (size_t i = 0; i < s->n; i++)
        if (memcmp(s->id[i], key, VN_ACCOUNT_HEX) == 0) return;
    if (s->n == RESTORE_MAX) {
        s->truncated = true;
        return;
    }
    memcpy(s->id[s->n], key, VN_ACCOUNT_HEX);
    s->id[s->n][VN_ACCOUNT_HEX] = '\0';
    if (vn_account_valid(s->id[s->n])) s->n++;
}

static vn_err collect_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    ids_add(ud, k, kl);
    return VN_OK;
}

/* Tells the server to drop every one-time prekey it holds for us (the
 * secret halves of those published after the backup are gone), then
 * publishes the restored signed prekey and fresh one-time prekeys. */
static vn_err republish_keys(vn_client *c)
{
    vn_bundle b;
    Vn__Reply *rep = NULL;
    vn_err err = vn_e2ee_public_bundle(c->e2ee, &b);
    if (err || (err = vn_client_connect(c))) return err;
    Vn__PublishKeys pub = VN__PUBLISH_KEYS__INIT;
    pub.registration_id = b.registration_id;
    pub.identity_key = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.identity_key};
    pub.signed_prekey_id = b.signed_prekey_id;
    pub.signed_prekey = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.signed_prekey};
    pub.signed_prekey_sig = (ProtobufCBinaryData){VN_E2EE_SIG_LEN, b.signed_prekey_sig};
    pub.replace_prekeys = true;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_PUBLISH_KEYS;
    req.publish_keys = &pub;
    err = vn_conn_call(c->conn, &req, &rep);
    if (!err && rep->body_case != VN__REPLY__BODY_KEYS_PUBLISHED) err = VN_EPROTO;
    vn_frame_reply_free(rep);
    if (err) return err;
    return vn_client_publish_keys(c, RESTORE_PREKEYS, NULL, NULL);
}

/* Forgets our sender key of every team we wrote to and who holds it, so
 * the next team message goes under a fresh key, handed to every member
 * again (team.c). */
static vn_err forget_team_keys(vn_client *c, const struct ids *teams)
{
    vn_err err = vn_kv_begin(c->kv);
    for (size_t i = 0; !err && i < teams->n; i++)
        if (!(err = vn_e2ee_group_rotate(c->e2ee, teams->id[i])))
            err = vn_kv_del(c->kv, CDB_TEAMS, teams->id[i], VN_ACCOUNT_HEX);
    if (err == VN_ENOTFOUND) err = VN_OK;
    if (!err) return vn_kv_commit(c->kv);
    if (vn_kv_in_txn(c->kv)) vn_kv_abort(c->kv);
    return err;
}

int vn_cmd_profile_restore(vn_client *c, const vn_args *a)
{
    struct ids *peers = calloc(1, sizeof *peers), *teams = calloc(1, sizeof *teams);
    size_t renewed = 0, failed = 0, teams_done = 0;
    int rc = EXIT_OK;
    vn_err err;
    if (!peers || !teams) {
        rc = vn_client_fail(c, VN_ENOMEM, "out of memory");
        goto out;
    }
    if (!c->account[0]) {
        rc = vn_client_fail(c, VN_ENOTFOUND, "this profile has not joined: nothing to restore");
        goto out;
    }
    if ((err = vn_kv_each(c->kv, CDB_E2EE + E2EE_SESSION_DB, NULL, 0, collect_cb, peers)) ||
        (err = vn_kv_each(c->kv, CDB_TEAMS, NULL, 0, collect_cb, teams))) {
        rc = vn_client_fail(c, err, "cannot read the profile: %s", vn_err_str(err));
        goto out;
    }
    if ((err = republish_keys(c))) {
        rc = vn_client_fail_call(c, err,
                                 "cannot publish fresh keys (nothing changed; run it again)");
        goto out;
    }
    if ((err = forget_team_keys(c, teams))) {
        rc = vn_client_fail(c, err, "cannot renew team keys: %s", vn_err_str(err));
        goto out;
    }
    /* A fresh session per peer: its first message is a prekey message
     * with counters of its own, whatever the peer saw from the old one;
     * the old session stays for messages still on their way to us. */
    for (size_t i = 0; i < peers->n; i++) {
        err = vn_client_start_session(c, peers->id[i]);
        if (!err) {
            renewed++;
            continue;
        }
        failed++;
        fprintf(stderr, "vangnet: no fresh session with %s: %s (run profile restore again)\n",
                peers->id[i], vn_err_str(err));
    }
    /* The new team keys go out now, so members switch to the fresh
     * sessions at once rather than at our next team message. */
    for (size_t i = 0; i < teams->n; i++) {
        if ((err = vn_team_prepare(c, teams->id[i]))) {
            fprintf(stderr, "vangnet: cannot hand out a new team key for case %s: %s\n",
                    teams->id[i], vn_err_str(err));
            failed++;
        } else {
            teams_done++;
        }
    }
    if (teams_done && (err = vn_outbox_flush(c)))
        fprintf(stderr, "vangnet: the new team keys wait in the outbox: %s\n", vn_err_str(err));
    if (peers->truncated || teams->truncated)
        fprintf(stderr, "vangnet: more than %d peers or teams: run profile restore again\n",
                RESTORE_MAX);
    if (c->json)
        printf("{\"sessions_renewed\": %zu, \"teams_renewed\": %zu, \"failed\": %zu}\n", renewed,
               teams_done, failed);
    else
        printf("profile restored: keys republished, sessions renewed: %zu, team keys renewed: "
               "%zu%s\n",
               renewed, teams_done, failed ? ", some failed (see above): run it again" : "");
    rc = failed ? EXIT_RETRY : EXIT_OK;
out:
    free(peers);
    free(teams);
    return rc;
}

/* ---- server set-endpoint --------------------------------------------- */

int vn_cmd_server_show(vn_client *c, const vn_args *a)
{
    (void)a;
    vn_endpoints eps;
    char last[VN_ENDPOINT_MAX + 1] = "";
    size_t n = 0;
    vn_err err = vn_client_endpoints(c, &eps);
    if (err) return vn_client_fail(c, err, "this profile has no server address: it has not joined");
    if (!vn_client_cfg_get(c, "endpoint_last", last, VN_ENDPOINT_MAX, &n)) last[n] = '\0';
    /* Not stored: the first is where the next command starts. */
    if (vn_invite_endpoints_find(&eps, last) < 0) snprintf(last, sizeof last, "%s", eps.ep[0]);
    if (c->json) {
        fputs("{\"endpoints\": [", stdout);
        for (size_t k = 0; k < eps.n; k++) {
            if (k) fputs(", ", stdout);
            vn_json_str(stdout, eps.ep[k]);
        }
        fputs("], \"last\": ", stdout);
        vn_json_str(stdout, last);
        fputs("}\n", stdout);
    } else {
        for (size_t k = 0; k < eps.n; k++)
            printf("%s%s\n", eps.ep[k],
                   strcmp(eps.ep[k], last) == 0 ? "  (the next command starts here)" : "");
    }
    return EXIT_OK;
}

/* The addresses given: one or more arguments, each one address or several
 * comma-separated. EXIT_OK, or the usage error's exit code. */
static int endpoints_arg(vn_client *c, const vn_args *a, vn_endpoints *eps)
{
    char why[300];
    memset(eps, 0, sizeof *eps);
    for (int i = 0; vn_args_pos(a, i); i++)
        if (vn_invite_endpoints_parse(vn_args_pos(a, i), eps, why, sizeof why))
            return vn_args_usage(c, a, "%s", why);
    for (size_t k = 0; k < eps->n; k++)
        if (!vn_invite_endpoint_ok(eps->ep[k]))
            return vn_args_usage(c, a, "%s is not tcp://HOST:PORT", eps->ep[k]);
    return EXIT_OK;
}

int vn_cmd_server_set_endpoint(vn_client *c, const vn_args *a)
{
    char old[VN_ENDPOINTS_TEXT_MAX], list[VN_ENDPOINTS_TEXT_MAX];
    vn_endpoints eps;
    size_t n = 0;
    int rc = endpoints_arg(c, a, &eps);
    if (rc) return rc;
    vn_err err = vn_client_cfg_get(c, "endpoint", old, sizeof old - 1, &n);
    if (err) return vn_client_fail(c, err, "this profile has no server address: it has not joined");
    old[n] = '\0';
    if ((err = vn_invite_endpoints_join(&eps, list, sizeof list)) ||
        (err = vn_client_set_endpoints(c, &eps)))
        return vn_client_fail(c, err, "cannot store the address: %s", vn_err_str(err));
    const char *ep = list;
    if (!vn_args_has(a, "--no-check")) {
        /* Only the server whose key this profile pinned can answer under
         * CURVE: any other there looks like no server at all. */
        Vn__Reply *rep = NULL;
        Vn__Whoami w = VN__WHOAMI__INIT;
        Vn__Request req = VN__REQUEST__INIT;
        req.body_case = VN__REQUEST__BODY_WHOAMI;
        req.whoami = &w;
        rc = vn_client_call(c, &req, VN__REPLY__BODY_IDENTITY, "no check at the new address", &rep);
        if (rep) vn_frame_reply_free(rep);
        if (rc) {
            err = vn_client_cfg_put(c, "endpoint", old, n);
            fprintf(stderr,
                    "vangnet: the address %s %s: no server holding this profile's pinned key "
                    "answered at %s (a server with another key cannot; --no-check sets it "
                    "anyway)\n",
                    err ? "could not be put back to" : "stays", old, ep);
            return rc;
        }
    }
    if (c->json) {
        fputs("{\"endpoint\": ", stdout);
        vn_json_str(stdout, ep);
        fputs(", \"endpoints\": [", stdout);
        for (size_t k = 0; k < eps.n; k++) {
            if (k) fputs(", ", stdout);
            vn_json_str(stdout, eps.ep[k]);
        }
        fputs("]}\n", stdout);
    } else {
        printf("server address%s now %s (the same pinned server key)\n", eps.n > 1 ? "es" : "", ep);
    }
    return EXIT_OK;
}
