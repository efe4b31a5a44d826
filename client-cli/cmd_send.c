/* send: a message is durable in the sender's outbox before it is sent, and
 * resent until the server acknowledges it. */
#include "args.h"
#include "vn/wallclock.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 16384 /* longest message text, in bytes */

static vn_err queue_message(vn_client *c, const char *peer, const char *case_id, const char *text)
{
    Vn__Content content = VN__CONTENT__INIT;
    content.text = (char *)text;
    content.sent_ms = vn_wallclock_ms();
    return vn_outbox_queue(c, peer, case_id, &content);
}

static char *read_line(FILE *f, char *buf, size_t size, bool *toolong)
{
    *toolong = false;
    if (!fgets(buf, (int)size, f)) return NULL;
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (!feof(f)) {
        *toolong = true;
        int ch;
        while ((ch = fgetc(f)) != EOF && ch != '\n') {
        }
    }
    return buf;
}

/* Where a send goes: a peer (1:1) or a case's care team. */
typedef struct target {
    char peer[VN_ACCOUNT_HEX + 1]; /* the peer's account; "" for the team */
    const char *case_id;           /* the case for the team; NULL for a peer */
} target;

/* Queues and sends each line of standard input; returns an exit code.
 * *errp comes in set when the server is known to be out of reach: then,
 * as when it drops out on the way, every line is queued and waits in the
 * outbox, none is lost. A refusal, a rate limit or a full mailbox stops
 * the reading (the caller says up to which line). */
static int send_lines(vn_client *c, const target *to, size_t *queued, vn_flushed *fl, vn_err *errp)
{
    char *line = malloc(TEXT_MAX + 2);
    bool toolong;
    vn_err err = VN_OK, offline = *errp;
    if (!line) return vn_client_fail(c, VN_ENOMEM, "out of memory");
    for (;;) {
        /* A line may be long in coming (a person typing): meanwhile the
         * profile is free for other commands. */
        vn_lock_drop(c);
        char *got = read_line(stdin, line, TEXT_MAX + 2, &toolong);
        if ((err = vn_lock_take(c))) {
            free(line);
            *errp = err;
            return EXIT_RETRY;
        }
        if (!got) break;
        if (toolong) {
            free(line);
            return vn_client_fail(c, VN_ETOOBIG,
                                  "line %zu is longer than %d bytes; nothing from it on was sent",
                                  *queued + 1, TEXT_MAX);
        }
        if ((err = queue_message(c, to->peer, to->case_id, line))) {
            free(line);
            *errp = err;
            return vn_client_fail(c, err,
                                  "cannot encrypt line %zu: %s; nothing from it on was sent",
                                  *queued + 1, vn_err_str(err));
        }
        ++*queued;
        if (offline) continue;
        /* Send as we go, so a long stream is not all held back. */
        err = vn_outbox_send(c, fl);
        /* Out of reach: queue the rest. The server saying no for now (a
         * rate limit, a full mailbox) stops the reading. */
        if (fl->refused || (err && err != VN_ETIMEOUT && err != VN_ETRANSPORT)) break;
        offline = err;
        err = VN_OK;
    }
    free(line);
    /* A failed send: what was queued waits in the outbox. */
    *errp = err ? err : offline;
    return EXIT_OK;
}

/* Sends what an earlier run left (what that did is in *fl), then makes
 * sure the target can be written to (a session with the peer, the team
 * holding our key). When the server is out of reach or failed part-way,
 * *offline gets why and a peer we have a session with can still be
 * written to: the message waits in the outbox. */
static int prepare(vn_client *c, const target *to, vn_flushed *fl, vn_err *offline)
{
    vn_err err = vn_client_connect(c);
    *offline = VN_OK;
    if (err) return vn_client_fail(c, err, "cannot connect");
    /* Whatever an earlier run left unsent goes first, to keep the order. */
    err = vn_outbox_send(c, fl);
    vn_outbox_report_refused(c, fl);
    bool session = !to->case_id && vn_e2ee_has_session(c->e2ee, to->peer);
    if (err && vn_err_is_retryable(err) && session) {
        *offline = err;
        return EXIT_OK;
    }
    if (err && vn_err_is_retryable(err))
        return vn_client_fail_call(c, err,
                                   "earlier messages are queued and will be retried; nothing new "
                                   "was sent");
    if (err) return vn_client_fail_call(c, err, "earlier messages could not be sent");
    if (to->case_id)
        err = vn_team_prepare(c, to->case_id);
    else if (!session)
        err = vn_client_start_session(c, to->peer);
    if (err == VN_EUNTRUSTED)
        return vn_client_fail(c, err,
                              "an identity key has changed; nothing was sent. Compare safety "
                              "numbers with `vangnet verify`");
    if (err)
        return vn_client_fail_call(c, err,
                                   to->case_id ? "cannot write to the care team; nothing was sent"
                                               : "cannot start a secure session; nothing was sent");
    return EXIT_OK;
}

int vn_cmd_send(vn_client *c, const vn_args *a)
{
    target to = {.case_id = vn_args_get(a, "--case")};
    bool from_stdin = vn_args_has(a, "--stdin");
    /* WHO is left out with --case, TEXT with --stdin. */
    int want = (to.case_id ? 0 : 1) + (from_stdin ? 0 : 1);
    const char *who = to.case_id ? NULL : vn_args_pos(a, 0);
    const char *text = from_stdin ? NULL : vn_args_pos(a, to.case_id ? 0 : 1);
    size_t queued = 0;
    vn_flushed fl;
    vn_err err = VN_OK;
    int rc;
    if (a->npos < want)
        return vn_args_usage(c, a, "%s is missing", a->npos == 0 && !to.case_id ? "WHO" : "TEXT");
    if (a->npos > want)
        return vn_args_usage(c, a, "unexpected argument %s%s", a->pos[want],
                             from_stdin   ? " (--stdin reads the text)"
                             : to.case_id ? " (--case names where it goes)"
                                          : "");
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    if (to.case_id && !vn_account_valid(to.case_id))
        return vn_client_fail_usage(c, "%s is not a case id (32 hex characters)", to.case_id);
    if (who && vn_client_resolve(c, who, to.peer))
        return vn_client_fail(c, VN_ENOACCOUNT, "%s is neither an account id nor a contact name",
                              who);
    if (text && strlen(text) > TEXT_MAX)
        return vn_client_fail(c, VN_ETOOBIG, "message text is %zu bytes; the limit is %d",
                              strlen(text), TEXT_MAX);
    if ((rc = prepare(c, &to, &fl, &err))) return rc;
    if (text) {
        /* All or nothing: on failure no trace of it stays, no key is used. */
        vn_err qerr = queue_message(c, to.peer, to.case_id, text);
        if (qerr)
            return vn_client_fail(c, qerr, "cannot encrypt the message: %s; nothing was sent",
                                  vn_err_str(qerr));
        queued = 1;
    } else if ((rc = send_lines(c, &to, &queued, &fl, &err))) {
        return rc;
    }
    /* Known to be out of reach (err set by prepare): do not wait again. */
    if (!err && !fl.refused) err = vn_outbox_send(c, &fl);
    /* `--stdin` that stopped early: whoever piped lines in must know
     * which of them were taken. */
    bool stopped = from_stdin && !feof(stdin);
    if (fl.refused && stopped)
        return vn_client_fail(c, fl.refusal,
                              "not sent: %s. Standard input was read up to line %zu; nothing "
                              "after it was read or sent",
                              fl.why, queued);
    if (fl.refused) return vn_client_fail(c, fl.refusal, "not sent: %s", fl.why);
    if (err && vn_err_is_retryable(err)) {
        if (stopped)
            vn_outbox_report_stopped(c, err, queued);
        else
            vn_outbox_report_queued(c, err);
        return EXIT_RETRY;
    }
    if (err) return vn_client_fail_call(c, err, "not sent");
    if (c->json)
        printf("{\"sent\": %zu, \"to\": \"%s\"}\n", queued, to.case_id ? to.case_id : to.peer);
    return EXIT_OK;
}
