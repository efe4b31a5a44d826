/* The backends of `vangnet chat` (chat_backend.h). With the profile's
 * daemon (chat_daemon.c) live events come from its socket and commands
 * run there. Without one, a session of chat's own, like `inbox --follow`:
 * store, show, acknowledge. Either way the profile is locked only while
 * something is done here, so that other commands need not wait. */
#include "chat_backend.h"
#include "chat_daemon.h"
#include "chat_inbox.h"
#include "args.h"
#include "receipt.h"

#include "vn/wallclock.h"

#include <stdlib.h>
#include <string.h>

struct vn_chat_backend {
    vn_client *c;
    vn_chat_view *v;
    const vn_chat_target *t;
    vn_inbox *in;        /* standalone: the live session */
    vn_chat_daemon *d;   /* or the daemon's events */
    vn_receipts *owed;   /* with the daemon: read receipts of what was shown */
    vn_stored_hook hook; /* standalone: receipts stored by the session */
    bool daemon_gone;    /* the daemon went away (said once) */
};

/* Standalone, the session stores what comes (and shows messages through
 * the view's shower); of the rest, a receipt for messages of ours is said. */
static void on_stored(void *ud, const vn_stored *s)
{
    vn_chat_backend *b = ud;
    if (s->receipt)
        vn_chat_view_receipt(b->v, s->receipt_from, (int)s->receipt->state, s->receipt_moved);
}

int vn_chat_backend_open(vn_client *c, vn_chat_view *v, const vn_chat_target *t,
                         vn_chat_backend **out)
{
    vn_chat_backend *b = calloc(1, sizeof *b);
    *out = NULL;
    if (!b) return vn_client_fail(c, VN_ENOMEM, "out of memory");
    b->c = c;
    b->v = v;
    b->t = t;
    int rc = vn_chat_daemon_open(c, &b->d);
    vn_err err = VN_OK;
    if (!rc && b->d && (err = vn_receipts_new(&b->owed)))
        rc = vn_client_fail(c, err, "out of memory");
    if (!rc && !b->d) {
        b->hook = (vn_stored_hook){.fn = on_stored, .ud = b};
        c->on_stored = &b->hook;
        rc = vn_inbox_open(c, &v->sh, &b->in);
    }
    if (rc) {
        vn_chat_backend_close(&b);
        return rc;
    }
    *out = b;
    return EXIT_OK;
}

const char *vn_chat_backend_name(const vn_chat_backend *b)
{
    return b->d ? "through the daemon" : "standalone";
}

size_t vn_chat_backend_fds(vn_chat_backend *b, int fds[2])
{
    if (!b->d) return vn_inbox_fds(b->in, fds);
    if (b->daemon_gone) return 0;
    fds[0] = vn_chat_daemon_fd(b->d);
    return 1;
}

bool vn_chat_backend_ready(vn_chat_backend *b)
{
    return !b->d && vn_inbox_ready(b->in);
}

vn_err vn_chat_backend_poll(vn_chat_backend *b, int wait_ms)
{
    if (!b->d) return vn_inbox_poll(b->in, wait_ms);
    vn_err err = vn_chat_daemon_poll(b->c, b->d, b->v, b->owed, wait_ms);
    if (err == VN_ETRANSPORT && !b->daemon_gone) {
        vn_chat_view_line(b->v);
        fprintf(stderr, "vangnet: the daemon went away; new messages will not show here until "
                        "you open the chat again\n");
        b->daemon_gone = true;
    }
    /* Read receipts go through the outbox, sent by a short connection of
     * our own (it sends only: the daemon keeps the subscription). */
    if (vn_receipts_pending(b->owed) && !vn_lock_take(b->c)) {
        vn_receipts_send(b->c, b->owed);
        vn_lock_drop(b->c);
    }
    return VN_OK;
}

/* Through the daemon: `send` there, shown here as sent or queued. */
static int send_daemon(vn_chat_backend *b, const char *text)
{
    char *argv[4];
    int argc = 0;
    if (b->t->case_id) {
        argv[argc++] = "--case";
        argv[argc++] = (char *)b->t->case_id;
    } else {
        argv[argc++] = (char *)b->t->peer;
    }
    argv[argc++] = (char *)text;
    int rc = vn_chat_daemon_run(b->c, "send", argc, argv);
    if (rc && rc != EXIT_RETRY) return rc;
    Vn__Received r = VN__RECEIVED__INIT;
    r.from = b->c->account;
    r.to = b->t->case_id ? "" : (char *)b->t->peer;
    r.case_id = b->t->case_id ? (char *)b->t->case_id : "";
    r.time_ms = vn_wallclock_ms();
    r.text = (char *)text;
    vn_chat_view_show(b->v, &r, rc ? VN_MSG_QUEUED : VN_MSG_SENT);
    return rc;
}

/* The peer or the team can be written to; says why not. */
static int ready_to_send(vn_chat_backend *b)
{
    vn_client *c = b->c;
    vn_err err = b->t->case_id ? vn_team_prepare(c, b->t->case_id)
                 : vn_e2ee_has_session(c->e2ee, b->t->peer)
                     ? VN_OK
                     : vn_client_start_session(c, b->t->peer);
    if (err == VN_EUNTRUSTED)
        return vn_client_fail(c, err,
                              "an identity key has changed; nothing was sent. Compare safety "
                              "numbers: /verify");
    if (err)
        return vn_client_fail_call(c, err,
                                   b->t->case_id ? "cannot write to the care team; nothing was sent"
                                                 : "cannot start a secure session; nothing was "
                                                   "sent");
    return EXIT_OK;
}

static int send_locked(vn_chat_backend *b, const char *text)
{
    vn_client *c = b->c;
    vn_flushed fl;
    int rc = ready_to_send(b);
    if (rc) return rc;
    Vn__Content content = VN__CONTENT__INIT;
    content.text = (char *)text;
    content.sent_ms = vn_wallclock_ms();
    vn_err err = vn_outbox_queue(c, b->t->case_id ? NULL : b->t->peer, b->t->case_id, &content);
    if (err)
        return vn_client_fail(c, err, "cannot encrypt the message: %s; nothing was sent",
                              vn_err_str(err));
    err = vn_outbox_send(c, &fl);
    if (fl.refused) return vn_client_fail(c, fl.refusal, "not sent: %s", fl.why);
    bool queued = err && vn_err_is_retryable(err);
    if (err && !queued) return vn_client_fail_call(c, err, "not sent");
    Vn__Received r = VN__RECEIVED__INIT;
    r.from = c->account;
    r.to = b->t->case_id ? "" : (char *)b->t->peer;
    r.case_id = b->t->case_id ? (char *)b->t->case_id : "";
    r.time_ms = content.sent_ms;
    r.text = (char *)text;
    vn_chat_view_show(b->v, &r, queued ? VN_MSG_QUEUED : VN_MSG_SENT);
    if (queued) vn_outbox_report_queued(c, err);
    return queued ? EXIT_RETRY : EXIT_OK;
}

int vn_chat_backend_send(vn_chat_backend *b, const char *text)
{
    if (b->d) return send_daemon(b, text);
    vn_err err = vn_lock_take(b->c);
    if (err) return EXIT_RETRY;
    int rc = send_locked(b, text);
    vn_lock_drop(b->c);
    return rc;
}

int vn_chat_backend_run(vn_chat_backend *b, const char *name, int argc, char **argv)
{
    vn_client *c = b->c;
    const vn_cmd *cmd = vn_commands_find(name, NULL);
    vn_args a;
    char msg[256];
    if (!cmd) return vn_client_fail_usage(c, "there is no command %s", name);
    if (b->d) return vn_chat_daemon_run(c, name, argc, argv);
    vn_err err = vn_args_parse(&a, cmd, argc, argv, msg, sizeof msg);
    if (err) {
        vn_args_free(&a);
        return vn_client_fail_usage(c, "/%s: %s", name, msg);
    }
    int rc = EXIT_RETRY;
    if (!vn_lock_take(c)) {
        rc = cmd->run(c, &a);
        vn_lock_drop(c);
    }
    vn_args_free(&a);
    return rc;
}

void vn_chat_backend_close(vn_chat_backend **bp)
{
    vn_chat_backend *b = *bp;
    if (!b) return;
    vn_inbox_close(&b->in);
    if (b->c->on_stored == &b->hook) b->c->on_stored = NULL;
    vn_chat_daemon_close(&b->d);
    vn_receipts_free(&b->owed);
    free(b);
    *bp = NULL;
}
