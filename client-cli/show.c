/* Messages as the user sees them, for inbox and history. Everything after
 * the timestamp may come from a peer and goes through text.c.
 *
 * A message counts as shown once the reader has it: inbox acknowledges a
 * message to the server only after that, so `vangnet inbox | head -n 1`
 * must not count lines that sat in the pipe when head went away. On a
 * pipe each message therefore waits (briefly) until the reader has taken
 * it, and a reader that is gone makes the write fail instead of killing
 * the process (SIGPIPE). */
#include "client.h"
#include "notice.h"
#include "receipt.h"

#include "vn/frame.h"
#include "vn/hex.h"
#include "vn/account.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PIPE_WAIT_MS 5000 /* longest wait for a pipe's reader to take a message */

void vn_show_begin(vn_shower *sh)
{
    signal(SIGPIPE, SIG_IGN);
    sh->n = 0;
    sh->opened = false;
    sh->reader_gone = false;
    if (sh->c->json && !sh->json_lines) {
        fputs("[", stdout);
        sh->opened = true;
    }
}

void vn_show_end(vn_shower *sh)
{
    if (sh->opened && !sh->reader_gone) fputs("]\n", stdout);
    sh->opened = false;
    fflush(stdout);
}

/* On a pipe: waits until the reader has taken what was written. VN_EIO
 * when it went away first. Anything else (a file, a terminal) has it at
 * once. */
static vn_err reader_took(void)
{
    struct stat st;
    int fd = fileno(stdout);
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)) return VN_OK;
    /* A reader that reads as it goes takes it within a moment: look
     * again soon, then less often. */
    long pause_us = 100, waited_us = 0;
    while (waited_us < PIPE_WAIT_MS * 1000L) {
        int left = 0;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        /* Taken (the reader may have gone since, as head does at once). */
        if (ioctl(fd, FIONREAD, &left) != 0 || left == 0) return VN_OK;
        /* POLLERR on a pipe's write end: nobody reads it any more. */
        if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP))) return VN_EIO;
        struct timespec pause = {0, pause_us * 1000L};
        nanosleep(&pause, NULL);
        waited_us += pause_us;
        if (pause_us < 10000) pause_us *= 2;
    }
    /* A reader that keeps it waiting this long is still there: it has it. */
    return VN_OK;
}

static void print_json(vn_shower *sh, const Vn__Received *r, const char *id, const char *when)
{
    vn_client *c = sh->c;
    char name[128];
    bool mine = r->to && r->to[0];
    const char *label = vn_client_name_of(c, mine ? r->to : r->from, name, sizeof name);
    if (sh->opened && sh->n > 0) fputs(",\n ", stdout);
    /* A notice from the server stays typed, with its sentence as "text". */
    if (r->notice) {
        printf("{\"id\": \"%s\", \"from\": \"server\", \"time\": \"%s\", ", id, when);
        vn_notice_json(c, stdout, r->notice);
        fputs("}", stdout);
        if (sh->json_lines) fputs("\n", stdout);
        return;
    }
    printf("{\"id\": \"%s\", \"from\": \"%s\", ", id, r->from ? r->from : "");
    if (mine) printf("\"to\": \"%s\", ", r->to);
    if (label) {
        fputs(mine ? "\"to_name\": " : "\"from_name\": ", stdout);
        vn_json_str(stdout, label);
        fputs(", ", stdout);
    }
    if (r->case_id && r->case_id[0]) printf("\"case\": \"%s\", ", r->case_id);
    if (vn_msg_state_name(sh->state)) printf("\"state\": \"%s\", ", vn_msg_state_name(sh->state));
    printf("\"time\": \"%s\", \"text\": ", when);
    vn_json_str(stdout, r->text);
    fputs("}", stdout);
    if (sh->json_lines) fputs("\n", stdout);
}

static void print_text(vn_shower *sh, const Vn__Received *r, const char *when)
{
    char label[VN_CONTACT_NAME_MAX * 4 + 1], handle[VN_ACCOUNT_HEX + 1];
    const char *from = r->from ? r->from : "", *to = r->to ? r->to : "";
    bool sent = to[0] || (sh->c->account[0] && strcmp(from, sh->c->account) == 0);
    const char *who = to[0] ? to : from;
    printf("[%s] ", when);
    if (r->case_id && r->case_id[0])
        printf("[team %s] ", sh->wide
                                 ? r->case_id
                                 : vn_client_case_handle(sh->c, r->case_id, handle, sizeof handle));
    /* Its later lines are indented under the sender, so none can pass
     * for a line of ours. A person shows by contact name, else a short id
     * ("server" for the server's notices). */
    if (sent) fputs(to[0] ? "you -> " : "you", stdout);
    if (!sent || to[0]) {
        bool account = strlen(who) == VN_ACCOUNT_HEX;
        fputs(account ? vn_client_label(sh->c, who, label, sizeof label) : "", stdout);
        if (!account) vn_text_put(stdout, who, "    ");
        if (account && sh->wide) printf(" (%s)", who);
    }
    fputs(": ", stdout);
    vn_text_put(stdout, r->text, "    ");
    if (vn_msg_state_mark(sh->state)) printf("  [%s]", vn_msg_state_mark(sh->state));
    fputc('\n', stdout);
}

vn_err vn_show_item(vn_shower *sh, const Vn__Received *r)
{
    char when[32], id[VN_MSGID_LEN * 2 + 1] = "";
    if (r->id.len == VN_MSGID_LEN) vn_hex_encode(r->id.data, VN_MSGID_LEN, id);
    vn_iso_time(r->time_ms, when, sizeof when);
    if (sh->before) sh->before(sh->ud, r);
    if (sh->c->json)
        print_json(sh, r, id, when);
    else
        print_text(sh, r, when);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        sh->reader_gone = errno == EPIPE;
        return VN_EIO;
    }
    vn_err err = reader_took();
    if (err) sh->reader_gone = true;
    if (!err) sh->n++;
    return err;
}
