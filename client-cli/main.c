/* vangnet: the command-line client. The command table (commands.c) says
 * what each command accepts; this reads the global options, picks the
 * table's row for the command, parses its command line, opens the profile
 * and runs the row's handler. */
#include "args.h"
#include "daemon.h"
#include "keyfile.h"
#include "profile.h"
#include "sentlog.h"
#include "vn/parse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Says what was wrong with a global option; returns EXIT_USAGE. */
static int bad_option(vn_client *c, const vn_cli *l)
{
    const vn_opt *opt = vn_opt_find(vn_global_opts, l->bad);
    if (l->bad_value && opt)
        return vn_client_fail_usage(c, "%s needs a value (%s)", opt->name, opt->value);
    return vn_client_fail_usage(c, "unknown option %s (see vangnet --help)", l->bad);
}

/* Takes the global options of l into c; returns 0 or EXIT_USAGE. */
static int global_options(vn_client *c, const vn_cli *l)
{
    uint64_t t;
    if (l->profile) c->profile = l->profile;
    c->json = l->json;
    if (!l->timeout) return 0;
    if (vn_parse_u64(l->timeout, 1, 3600, &t) != VN_OK)
        return vn_client_fail_usage(c, "--timeout wants whole seconds from 1 to 3600, not %s",
                                    l->timeout);
    c->timeout_ms = (int)t * 1000;
    return 0;
}

/* Says which sub-commands name has; returns EXIT_USAGE. */
static int no_such_sub(vn_client *c, const char *name, const vn_cli *l)
{
    char subs[256], syn[2048];
    vn_commands_subs(name, subs, sizeof subs);
    vn_commands_synopsis(name, NULL, syn, sizeof syn);
    if (l->nrest == 0) return vn_client_fail_usage(c, "%s: which one? %s\n%s", name, subs, syn);
    return vn_client_fail_usage(c, "%s: unknown sub-command %s; one of %s\n%s", name, l->rest[0],
                                subs, syn);
}

/* Says why the profile could not be opened; returns the exit code. What
 * is wrong with the key file (or an old salt) is told before "wrong
 * passphrase": a damaged file fails the passphrase check too. */
static int open_failed(vn_client *c, vn_err err)
{
    char why[512];
    if ((err == VN_EUNTRUSTED || err == VN_ECRYPTO || err == VN_EIO || err == VN_ENOTFOUND) &&
        vn_profile_diagnose(c->profile, why, sizeof why))
        return vn_client_fail(c, VN_ECRYPTO, "profile %s cannot be opened: %s", c->profile, why);
    /* The store's own errors name no file; errno from mkdir or open does. */
    if (err == VN_EUNTRUSTED)
        return vn_client_fail(c, VN_EDENIED, "wrong passphrase for profile %s", c->profile);
    if (err == VN_EVERSION)
        return vn_client_fail(c, err,
                              "profile %s has a key file (profile.key) of another version: it "
                              "was written by a newer vangnet; use that one",
                              c->profile);
    if (err == VN_ECRYPTO)
        return vn_client_fail(c, err,
                              "profile %s cannot be decrypted: its key file (profile.key) is "
                              "whole but belongs to another store (another profile's key file?)",
                              c->profile);
    if (c->pass_refused)
        return vn_client_fail(c, err,
                              "no passphrase set for %s: a new one must be " VN_PASS_RULE
                              " and typed the same twice",
                              c->profile);
    if (err == VN_EDENIED)
        return vn_client_fail(c, err,
                              "profile %s is encrypted: set VANGNET_PASSPHRASE or run on a "
                              "terminal to be asked for it",
                              c->profile);
    return vn_client_fail(c, err, "cannot open profile %s: %s", c->profile,
                          err == VN_EIO && errno ? strerror(errno) : vn_err_str(err));
}

/* Opens the profile and runs the command. */
static int run_open(vn_client *c, const vn_cmd *cmd, const vn_args *a)
{
    vn_err err = vn_client_open(c);
    if (err) return open_failed(c, err);
    /* A case handle becomes its case id before any command sees it. */
    int rc = vn_args_resolve_cases(c, a);
    if (rc == EXIT_OK) rc = cmd->run(c, a);
    /* Where a user looks for news, tell of own messages that expired on
     * the server undelivered (sentlog.h); a failure here changes nothing
     * of the command's outcome. */
    if (rc == EXIT_OK && (cmd->run == vn_cmd_inbox || cmd->run == vn_cmd_send))
        vn_sentlog_check(c, NULL);
    vn_client_close(c);
    return rc;
}

/* Whether the open profile has recorded an account. */
static bool has_account(vn_client *c)
{
    char account[VN_ACCOUNT_HEX + 1];
    size_t n = 0;
    return vn_client_cfg_get(c, "account", account, sizeof account - 1, &n) == VN_OK &&
           n == VN_ACCOUNT_HEX;
}

/* Opens the staging directory for a join, starting over when an earlier
 * attempt there sent nothing to the server (whatever its passphrase). */
static vn_err open_staging(vn_client *c, const char *staging)
{
    bool resumed = false;
    vn_err err = vn_profile_stage(staging, &resumed);
    if (err) return err;
    err = vn_client_open(c);
    if (!err || !resumed || vn_profile_redeem_sent(staging)) return err;
    if ((err = vn_profile_discard(staging)) || (err = vn_profile_stage(staging, &resumed)))
        return err;
    return vn_client_open(c);
}

/* join on a path with no profile yet: the profile is made in a staging
 * directory beside it and moved into place once it has an account
 * (profile.h), so a failed or killed join leaves nothing at the path. */
static int run_join(vn_client *c, const vn_cmd *cmd, const vn_args *a)
{
    char staging[4096];
    const char *dir = c->profile;
    vn_profile_state state = vn_profile_state_of(dir);
    /* A profile made by an older client before it joined joins in place. */
    if (state == VN_PROFILE_READY) return run_open(c, cmd, a);
    if (state == VN_PROFILE_OTHER)
        return vn_client_fail(c, VN_EEXISTS,
                              "%s holds other files and is not a Vangnet profile: give join a "
                              "new or empty directory (--profile)",
                              dir);
    if (vn_profile_staging(dir, staging, sizeof staging))
        return vn_client_fail(c, VN_EINVAL, "profile path too long: %s", dir);
    c->profile = staging;
    vn_err err = open_staging(c, staging);
    if (err) {
        int rc;
        if (err == VN_EUNTRUSTED && vn_profile_redeem_sent(staging))
            rc = vn_client_fail(c, VN_EDENIED,
                                "an interrupted join of %s (in %s) was started with another "
                                "passphrase and may already have an account: run join again "
                                "with that passphrase to finish it, or remove %s to start over "
                                "(with a new invite code)",
                                dir, staging, staging);
        else
            rc = open_failed(c, err);
        if (!vn_profile_redeem_sent(staging)) vn_profile_discard(staging);
        c->profile = dir;
        return rc;
    }
    int rc = cmd->run(c, a);
    bool joined = has_account(c), sent = vn_profile_redeem_sent(staging);
    vn_client_close(c);
    c->profile = dir;
    if (joined) {
        if (vn_profile_commit(staging, dir) != VN_OK)
            return vn_client_fail(c, VN_EIO,
                                  "joined, but cannot move %s into place as %s: %s; run the "
                                  "same join again to finish",
                                  staging, dir, strerror(errno));
        return rc;
    }
    if (sent && rc == EXIT_RETRY) {
        /* The server may have taken the redeem: keep the device keys, so
         * a retry is answered with this device's account. */
        fprintf(stderr, "vangnet: the join of %s is not finished: run the same join again\n", dir);
        return rc;
    }
    /* Refused (or never sent): nothing of this attempt is worth keeping,
     * and no passphrase is bound to the path. */
    vn_profile_discard(staging);
    return rc;
}

/* Runs the command on the profile; only join makes one. */
static int run(vn_client *c, const vn_cmd *cmd, const vn_args *a)
{
    char staging[4096];
    struct stat st;
    if (cmd->run == vn_cmd_join) return run_join(c, cmd, a);
    vn_profile_state state = vn_profile_state_of(c->profile);
    if (state == VN_PROFILE_READY) return run_open(c, cmd, a);
    if (state == VN_PROFILE_OTHER)
        return vn_client_fail(c, VN_ENOTFOUND, "%s is not a Vangnet profile (it holds other files)",
                              c->profile);
    if (vn_profile_staging(c->profile, staging, sizeof staging) == VN_OK && stat(staging, &st) == 0)
        return vn_client_fail(c, VN_ENOTFOUND,
                              "profile %s is not complete: its join was interrupted; run vangnet "
                              "join CODE again (with the same passphrase) to finish it",
                              c->profile);
    return vn_client_fail(c, VN_ENOTFOUND,
                          "there is no profile at %s yet: vangnet join CODE makes one (or give "
                          "--profile)",
                          c->profile);
}

int main(int argc, char **argv)
{
    vn_client c = {.timeout_ms = 10000};
    const char *env = getenv("VANGNET_PROFILE"), *home = getenv("HOME");
    char defprofile[4096], msg[512], syn[2048];
    int rc = 0;
    bool by_sub;
    vn_args a = {0};
    c.profile = env && env[0] ? env : NULL;
    char **rest = calloc((size_t)argc, sizeof *rest);
    if (!rest) return vn_client_fail(&c, VN_ENOMEM, "out of memory");
    vn_cli l = {.rest = rest};
    bool split = vn_cli_split(&l, argc, argv);
    if ((rc = global_options(&c, &l))) goto out;
    if (!split && l.bad_at == VN_CLI_BEFORE) {
        rc = bad_option(&c, &l);
        goto out;
    }
    if (l.version == VN_CLI_BEFORE) {
        printf("vangnet %s\n", VN_VERSION);
        goto out;
    }
    if (l.help == VN_CLI_BEFORE) {
        vn_commands_usage(stdout);
        goto out;
    }
    if (!l.name) {
        vn_commands_usage(stderr);
        rc = EXIT_USAGE;
        goto out;
    }
    const char *name = l.name;
    if (!vn_commands_exist(name)) {
        rc = vn_client_fail_usage(&c, "unknown command %s (see vangnet --help)", name);
        goto out;
    }
    if (!split) {
        rc = bad_option(&c, &l);
        goto out;
    }
    if (l.version) {
        printf("vangnet %s\n", VN_VERSION);
        goto out;
    }
    const vn_cmd *cmd = vn_commands_pick(name, &l.rest, &l.nrest, &by_sub);
    if (l.help) {
        vn_commands_help(stdout, name, by_sub ? cmd : NULL);
        goto out;
    }
    if (!cmd) {
        rc = no_such_sub(&c, name, &l);
        goto out;
    }
    c.out_tty = isatty(STDOUT_FILENO);
    c.out_cols = vn_cli_term_cols();
    vn_err err = vn_args_parse(&a, cmd, l.nrest, l.rest, msg, sizeof msg);
    if (err == VN_EINVAL) {
        vn_commands_synopsis(name, cmd, syn, sizeof syn);
        rc = vn_client_fail_usage(&c, "%s\n%s", msg, syn);
    } else if (err) {
        rc = vn_client_fail(&c, err, "%s", vn_err_str(err));
    } else {
        if (!c.profile) {
            snprintf(defprofile, sizeof defprofile, "%s/.vangnet", home && home[0] ? home : ".");
            c.profile = defprofile;
        }
        if (!vn_daemon_forward(&c, cmd, &a, l.nrest, l.rest, &rc)) rc = run(&c, cmd, &a);
    }
    vn_args_free(&a);
out:
    free(rest);
    return rc;
}
