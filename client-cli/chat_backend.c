/* The standalone backend of `vangnet chat` (chat_backend.h): its own
 * session to the server, like `inbox --follow`: store, show, acknowledge.
 * The profile is locked only while something is done, so that other
 * commands (a `send` from another terminal) need not wait for the chat. */
#include "chat_backend.h"
#include "chat_inbox.h"
#include "args.h"
#include "receipt.h"

#include "vn/wallclock.h"

#include <stdlib.h>
#include <string.h>

struct chat_backend {
    vn_client *c;
    chat_view *v;
    const chat_target *t;
    vn_inbox *in; /* the live session */
};

int chat_backend_open(vn_client *c, chat_view *v, const chat_target *t, chat_backend **out)
{
    chat_backend *b = calloc(1, sizeof *b);
    *out = NULL;
    if (!b) return vn_client_fail(c, VN_ENOMEM, "out of memory");
    b->c = c;
    b->v = v;
    b->t = t;
    int rc = vn_inbox_open(c, &v->sh, &b->in);
    if (rc) {
        free(b);
        return rc;
    }
    *out = b;
    return EXIT_OK;
}

const char *chat_backend_name(const chat_backend *b)
{
    return "standalone";
}

vn_err chat_backend_poll(chat_backend *b, int wait_ms)
{
    return vn_inbox_poll(b->in, wait_ms);
}

/* The peer or the team can be written to; says why not. */
static int ready_to_send(chat_backend *b)
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

static int send_locked(chat_backend *b, const char *text)
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
    chat_view_show(b->v, &r, queued ? VN_MSG_QUEUED : VN_MSG_SENT);
    if (queued) vn_outbox_report_queued(c, err);
    return queued ? EXIT_RETRY : EXIT_OK;
}

int chat_backend_send(chat_backend *b, const char *text)
{
    vn_err err = vn_lock_take(b->c);
    if (err) return EXIT_RETRY;
    int rc = send_locked(b, text);
    vn_lock_drop(b->c);
    return rc;
}

int chat_backend_run(chat_backend *b, const char *name, int argc, char **argv)
{
    vn_client *c = b->c;
    const vn_cmd *cmd = vn_commands_find(name, NULL);
    vn_args a;
    char msg[256];
    if (!cmd) return vn_client_fail_usage(c, "there is no command %s", name);
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

void chat_backend_close(chat_backend **bp)
{
    chat_backend *b = *bp;
    if (!b) return;
    vn_inbox_close(&b->in);
    free(b);
    *bp = NULL;
}
