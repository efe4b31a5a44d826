/* join, whoami, verify, contacts: the commands about identities. */
#include "args.h"
#include "group.h"
#include "profile.h"
#include "names.h"

#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JOIN_PREKEYS 100

/* The display name of --name, or asked on a terminal (Enter: none): into
 * name (size > 64). False after saying why a given one is refused. */
static bool display_name(vn_client *c, const vn_args *a, char *name, size_t size, int *rc)
{
    const char *given = vn_args_get(a, "--name");
    char why[80];
    name[0] = '\0';
    if (!given && !c->json && isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
        fprintf(stderr, "Your name as your casemanager and care team will see it (end to end; "
                        "Enter to skip): ");
        if (fgets(name, (int)size, stdin))
            name[strcspn(name, "\r\n")] = '\0';
        else
            name[0] = '\0';
        if (!name[0]) return true;
        given = name;
    }
    if (!given) return true;
    if (!vn_names_display_ok(given, why, sizeof why)) {
        *rc = vn_args_invalid(c, a, "--name %s cannot be your name: %s", given, why);
        return false;
    }
    if (given != name) snprintf(name, size, "%s", given);
    return true;
}

/* Creates this device's keys once; a join that is retried after a failure
 * reuses them, so the server sees the same device. */
static vn_err ensure_device_keys(vn_client *c)
{
    uint8_t pub[32], sec[32];
    size_t n;
    vn_err err = VN_OK;
    if (vn_client_cfg_get(c, "curve_pub", pub, sizeof pub, &n) == VN_ENOTFOUND) {
        if ((err = vn_conn_curve_keypair(pub, sec))) return err;
        if ((err = vn_kv_begin(c->kv))) goto out;
        if ((err = vn_client_cfg_put(c, "curve_pub", pub, 32)) ||
            (err = vn_client_cfg_put(c, "curve_sec", sec, 32)))
            goto out; /* the failed put aborted the transaction */
        if ((err = vn_kv_commit(c->kv))) goto out;
    }
    if (!vn_e2ee_has_identity(c->e2ee)) err = vn_e2ee_create_identity(c->e2ee);
out:
    explicit_bzero(sec, sizeof sec);
    return err;
}

int vn_cmd_join(vn_client *c, const vn_args *a)
{
    vn_invite inv;
    Vn__Reply *rep = NULL;
    int rc;
    char role[32] = {0}, name[VN_CONTACT_NAME_MAX * 2 + 2] = "";
    size_t n = 0, introduced = 0;
    vn_err err;
    /* A join killed after the server gave the account, before the
     * profile was moved into place (profile.h): only the keys are left to
     * publish. */
    if (c->account[0] && vn_profile_staged(c->profile)) {
        vn_client_cfg_get(c, "role", role, sizeof role - 1, &n);
        goto publish;
    }
    /* A joined profile may still redeem a group invite (docs/GROUPS.md). */
    if (c->account[0] && vn_invite_decode(vn_args_pos(a, 0), &inv) == VN_OK) {
        rc = vn_group_join_code(c, &inv);
        explicit_bzero(&inv, sizeof inv);
        return rc;
    }
    if (!c->account[0] && !display_name(c, a, name, sizeof name, &rc)) return rc;
    if (c->account[0])
        return vn_client_fail(c, VN_EEXISTS,
                              "this profile has already joined as %s; use another --profile",
                              c->account);
    err = vn_invite_decode(vn_args_pos(a, 0), &inv);
    if (err)
        return vn_client_fail(c, err,
                              "not a Vangnet invite code (it starts with vn1- or vn2-): check "
                              "that it was copied whole");
    if ((err = ensure_device_keys(c)))
        return vn_client_fail(c, err, "cannot create device keys: %s", vn_err_str(err));
    /* Pin the server key from the code: from now on we talk only to it. */
    if ((err = vn_kv_begin(c->kv)) || (err = vn_client_set_endpoints(c, &inv.endpoints)) ||
        (err = vn_client_cfg_put(c, "server_key", inv.server_key, 32)) ||
        (err = vn_kv_commit(c->kv))) {
        explicit_bzero(&inv, sizeof inv);
        return vn_client_fail(c, err, "cannot write the profile: %s", vn_err_str(err));
    }
    if ((err = vn_client_connect(c))) {
        rc = vn_client_fail(c, err, "cannot connect to %s: %s", inv.endpoint, vn_err_str(err));
        explicit_bzero(&inv, sizeof inv);
        return rc;
    }
    Vn__Redeem red = VN__REDEEM__INIT;
    red.secret.data = inv.secret;
    red.secret.len = VN_INVITE_SECRET_LEN;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &red;
    /* From here the server may know this device: a new profile keeps its
     * keys if this is interrupted (profile.h). */
    if ((err = vn_profile_mark_redeem(c->profile))) {
        explicit_bzero(&inv, sizeof inv);
        return vn_client_fail(c, err, "cannot write the profile: %s", vn_err_str(err));
    }
    err = vn_conn_call(c->conn, &req, &rep);
    explicit_bzero(&inv, sizeof inv);
    if (err) return vn_client_fail_call(c, err, "cannot join");
    if (rep->body_case != VN__REPLY__BODY_REDEEMED || !vn_account_valid(rep->redeemed->account)) {
        vn_frame_reply_free(rep);
        return vn_client_fail(c, VN_EPROTO, "cannot join: unexpected reply from the server");
    }
    memcpy(c->account, rep->redeemed->account, VN_ACCOUNT_HEX + 1);
    snprintf(role, sizeof role, "%s", rep->redeemed->role);
    vn_frame_reply_free(rep);
    if ((err = vn_kv_begin(c->kv)) ||
        (err = vn_client_cfg_put(c, "account", c->account, VN_ACCOUNT_HEX)) ||
        (err = vn_client_cfg_put(c, "role", role, strlen(role))) || (err = vn_kv_commit(c->kv)) ||
        (err = vn_e2ee_set_account(c->e2ee, c->account)))
        return vn_client_fail(c, err, "joined as %s but cannot record it: %s", c->account,
                              vn_err_str(err));
publish:
    err = vn_client_publish_keys(c, JOIN_PREKEYS, NULL, NULL);
    if (err) {
        rc = vn_client_fail_call(c, err,
                                 "joined, but publishing keys failed (the next inbox "
                                 "retries)");
        return rc;
    }
    /* The name goes end to end, after the keys (receivers answer it). The
     * join stands if it cannot go yet: said so, and the outbox keeps it. */
    if (name[0]) vn_client_intro_join(c, name, role, &introduced);
    if (c->json && name[0])
        printf("{\"account\": \"%s\", \"role\": \"%s\", \"name_sent_to\": %zu}\n", c->account, role,
               introduced);
    else if (c->json)
        printf("{\"account\": \"%s\", \"role\": \"%s\"}\n", c->account, role);
    else
        printf("%s\n", c->account);
    return EXIT_OK;
}

int vn_cmd_whoami(vn_client *c, const vn_args *a)
{
    char role[32] = {0};
    size_t n = 0;
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    vn_client_cfg_get(c, "role", role, sizeof role - 1, &n);
    if (c->json)
        printf("{\"account\": \"%s\", \"role\": \"%s\"}\n", c->account, role);
    else
        printf("%s %s\n", c->account, role);
    return EXIT_OK;
}

int vn_cmd_verify(vn_client *c, const vn_args *a)
{
    char peer[VN_ACCOUNT_HEX + 1], digits[VN_E2EE_SAFETY_LEN + 1], name[128];
    bool confirm = vn_args_has(a, "--confirm"), pending = false;
    const char *who = vn_args_pos(a, 0);
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    vn_err err = vn_client_resolve(c, who, peer);
    if (err) return vn_client_fail(c, err, "%s is neither an account id nor a contact name", who);
    err = vn_e2ee_safety_number(c->e2ee, peer, digits, &pending);
    if (err == VN_ENOTFOUND) {
        /* No key known yet: fetch it (this also prepares a session). */
        err = vn_client_start_session(c, peer);
        if (err && err != VN_EUNTRUSTED) return vn_client_fail_call(c, err, "cannot fetch keys");
        err = vn_e2ee_safety_number(c->e2ee, peer, digits, &pending);
    }
    if (err) return vn_client_fail(c, err, "cannot compute the safety number: %s", vn_err_str(err));
    const char *label = vn_client_name_of(c, peer, name, sizeof name);
    if (confirm) {
        if ((err = vn_e2ee_confirm_peer(c->e2ee, peer)))
            return vn_client_fail(c, err, "cannot mark verified: %s", vn_err_str(err));
    }
    bool verified = vn_e2ee_peer_verified(c->e2ee, peer);
    if (c->json) {
        printf("{\"account\": \"%s\", \"safety_number\": \"%s\", \"verified\": %s, "
               "\"changed\": %s}\n",
               peer, digits, verified ? "true" : "false", pending && !confirm ? "true" : "false");
        return EXIT_OK;
    }
    if (pending && !confirm)
        printf("WARNING: the identity key of %s has CHANGED. Messages are held until you compare\n"
               "this new safety number with them in person or by phone, then run\n"
               "  vangnet verify %s --confirm\n",
               label ? label : peer, who);
    printf("safety number with %s:\n", label ? label : peer);
    for (int i = 0; i < VN_E2EE_SAFETY_LEN; i += 5)
        printf("%.5s%s", digits + i, (i + 5) % 30 == 0 ? "\n" : " ");
    printf("%s\n", verified ? "verified" : "not verified: compare it, then run with --confirm");
    return EXIT_OK;
}

struct list_ctx {
    vn_client *c;    /* for the output mode */
    const char *sep; /* JSON separator before the next item */
};

static vn_err list_cb(void *ud, const char *name, const char *account, bool *stop)
{
    struct list_ctx *l = ud;
    if (l->c->json) {
        fputs(l->sep, stdout);
        fputs("{\"name\": ", stdout);
        vn_json_str(stdout, name);
        printf(", \"account\": \"%s\"}", account);
        l->sep = ", ";
    } else {
        printf("%-20s %s\n", name, account);
    }
    return VN_OK;
}

int vn_cmd_contacts_list(vn_client *c, const vn_args *a)
{
    if (c->json) fputs("[", stdout);
    struct list_ctx l = {c, ""};
    vn_err err = vn_client_contacts_each(c, list_cb, &l);
    if (c->json) fputs("]\n", stdout);
    return err ? vn_client_fail(c, err, "cannot read contacts: %s", vn_err_str(err)) : 0;
}

int vn_cmd_contacts_add(vn_client *c, const vn_args *a)
{
    const char *name = vn_args_pos(a, 0), *acct = vn_args_pos(a, 1);
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen > VN_CONTACT_NAME_MAX || vn_account_valid(name))
        return vn_client_fail_usage(c, "contact name must be 1..64 characters and not look like an "
                                       "account id");
    if (!vn_account_valid(acct))
        return vn_client_fail_usage(c, "%s is not an account id (32 hex characters)", acct);
    /* A name already in use keeps its account unless told otherwise: a
     * mistyped id would quietly send the next message to someone else. */
    char old[VN_ACCOUNT_HEX + 1];
    vn_err err = vn_client_resolve(c, name, old);
    if (err == VN_OK && strcmp(old, acct) != 0 && !vn_args_has(a, "--replace"))
        return vn_client_fail(c, VN_EEXISTS,
                              "contact %s already names %s: give --replace to point it at %s", name,
                              old, acct);
    if (err && err != VN_ENOACCOUNT)
        return vn_client_fail(c, err, "cannot read contacts: %s", vn_err_str(err));
    /* Names stay on this device, sealed: they are never sent anywhere. */
    err = vn_client_contact_add(c, name, acct);
    if (err) return vn_client_fail(c, err, "cannot store contact: %s", vn_err_str(err));
    if (c->json) {
        fputs("{\"name\": ", stdout);
        vn_json_str(stdout, name);
        printf(", \"account\": \"%s\"}\n", acct);
    }
    return EXIT_OK;
}
