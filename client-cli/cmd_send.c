/* send: a message is durable in the sender's outbox before it is sent, and
 * resent until the server acknowledges it. */
#include "client.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 16384 /* longest message text, in bytes */

static vn_err queue_message(vn_client *c, const char *peer, const char *case_id, const char *text)
{
    Vn__Content content = VN__CONTENT__INIT;
    content.text = (char *)text;
    content.sent_ms = vn_now_ms();
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

int vn_cmd_send(vn_client *c, int argc, char **argv)
{
    char peer[VN_ACCOUNT_HEX + 1] = "";
    const char *case_id = NULL, *text = NULL, *who = NULL;
    bool from_stdin = false;
    size_t queued = 0;
    vn_flushed fl;
    vn_err err;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--case") == 0 && i + 1 < argc && !case_id)
            case_id = argv[++i];
        else if (strcmp(argv[i], "--stdin") == 0)
            from_stdin = true;
        else if (!case_id && !who)
            who = argv[i];
        else if (!text)
            text = argv[i];
        else
            who = NULL, case_id = NULL; /* too many arguments */
    }
    if ((!who && !case_id) || (who && case_id) || (from_stdin == (text != NULL)))
        return vn_client_fail(c, VN_EINVAL,
                              "usage: vangnet send WHO TEXT | send WHO --stdin | send --case CASE "
                              "TEXT | send --case CASE --stdin");
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    if (case_id && !vn_account_valid(case_id))
        return vn_client_fail(c, VN_EINVAL, "%s is not a case id (32 hex characters)", case_id);
    if (who && vn_client_resolve(c, who, peer))
        return vn_client_fail(c, VN_ENOACCOUNT, "%s is neither an account id nor a contact name",
                              who);
    if (text && strlen(text) > TEXT_MAX)
        return vn_client_fail(c, VN_ETOOBIG, "message text is %zu bytes; the limit is %d",
                              strlen(text), TEXT_MAX);
    if ((err = vn_client_connect(c))) return vn_client_fail(c, err, "cannot connect");
    /* Whatever an earlier run left unsent goes first, to keep the order. */
    err = vn_outbox_send(c, &fl);
    vn_outbox_report_refused(c, &fl);
    if (err) return vn_client_fail_call(c, err, "earlier messages are still waiting to be sent");
    if (case_id)
        err = vn_team_prepare(c, case_id);
    else if (!vn_e2ee_has_session(c->e2ee, peer))
        err = vn_client_start_session(c, peer);
    if (err == VN_EUNTRUSTED)
        return vn_client_fail(c, err,
                              "an identity key has changed; nothing was sent. Compare safety "
                              "numbers with `vangnet verify`");
    if (err)
        return vn_client_fail_call(
            c, err, case_id ? "cannot write to the care team" : "cannot start a secure session");
    if (text) {
        if ((err = queue_message(c, peer, case_id, text)))
            return vn_client_fail(c, err, "cannot encrypt the message: %s", vn_err_str(err));
        queued = 1;
    } else {
        char *line = malloc(TEXT_MAX + 2);
        bool toolong;
        if (!line) return vn_client_fail(c, VN_ENOMEM, "out of memory");
        while (read_line(stdin, line, TEXT_MAX + 2, &toolong)) {
            if (toolong) {
                free(line);
                return vn_client_fail(c, VN_ETOOBIG,
                                      "line %zu is longer than %d bytes; "
                                      "nothing from it on was sent",
                                      queued + 1, TEXT_MAX);
            }
            if ((err = queue_message(c, peer, case_id, line))) break;
            queued++;
            /* Send as we go, so a long stream is not all held back. */
            if ((err = vn_outbox_send(c, &fl)) || fl.refused) break;
        }
        free(line);
        if (err && err != VN_ETIMEOUT && err != VN_ETRANSPORT && err != VN_ERATE)
            return vn_client_fail(c, err, "cannot send: %s", vn_err_str(err));
    }
    if (!err && !fl.refused) err = vn_outbox_send(c, &fl);
    if (fl.refused) return vn_client_fail(c, fl.refusal, "not sent: %s", fl.why);
    if (err)
        return vn_client_fail_call(c, err,
                                   "message kept in the outbox; the next send or inbox "
                                   "retries it");
    if (c->json) printf("{\"sent\": %zu, \"to\": \"%s\"}\n", queued, case_id ? case_id : peer);
    return EXIT_OK;
}
