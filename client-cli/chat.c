/* `vangnet chat [WHO | --case CASE]` (chat_view.h): the conversation's recent
 * history, then live messages and a prompt; a line typed is sent, a line
 * starting with / is a command. Ends at /quit or the end of the input. */
#include "chat_view.h"
#include "chat_backend.h"
#include "args.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECENT    20    /* messages of the history shown at the start */
#define LINE_MAX_ 16384 /* longest message text, in bytes (as send) */
#define TURN_MS   500   /* longest wait for the terminal or the server in one turn */
#define ARGS_MAX  8     /* words of a command */

typedef struct chat {
    vn_client *c;
    vn_chat_target t;
    vn_chat_view v;
    vn_chat_backend *b;
    char line[LINE_MAX_ + 2]; /* input not yet ended by a line break */
    size_t len;
    bool toolong; /* the line in the making is longer than LINE_MAX_: dropped */
    bool quit;
} chat;

static void help(chat *ch)
{
    vn_chat_view_line(&ch->v);
    printf("Type a message and press Enter to send it. Commands:\n"
           "  /alerts            the alerts you can see\n"
           "  /claim ALERT       take an SOS (buddies)\n"
           "  /ack ALERT         acknowledge an alert\n"
           "  /verify%s    show the safety number; /verify%s confirm marks it verified\n"
           "  /help              this list\n"
           "  /quit              leave the chat (also Ctrl-D)\n"
           "A line that starts with // is sent as text, from its second /.\n",
           ch->t.case_id ? " WHO    " : "        ", ch->t.case_id ? " WHO" : "");
}

/* Splits a command line into words (at most max); returns how many. */
static int split(char *s, char **words, int max)
{
    int n = 0;
    for (char *tok = strtok(s, " \t"); tok && n < max; tok = strtok(NULL, " \t"))
        words[n++] = tok;
    return n;
}

/* /verify [WHO] [confirm]: WHO is the peer of a 1:1 chat. */
static void verify(chat *ch, char **w, int n)
{
    char *argv[3];
    int argc = 0;
    bool confirm = n > 1 && strcmp(w[n - 1], "confirm") == 0;
    int names = n - 1 - (confirm ? 1 : 0);
    if (ch->t.case_id ? names != 1 : names > 0) {
        vn_client_fail_usage(ch->c, "/verify%s [confirm]", ch->t.case_id ? " WHO" : "");
        return;
    }
    argv[argc++] = ch->t.case_id ? w[1] : ch->t.peer;
    if (confirm) argv[argc++] = "--confirm";
    vn_chat_backend_run(ch->b, "verify", argc, argv);
}

static void command(chat *ch, char *line)
{
    char *w[ARGS_MAX];
    int n = split(line + 1, w, ARGS_MAX);
    vn_chat_view_line(&ch->v);
    if (n == 0 || strcmp(w[0], "help") == 0) {
        help(ch);
    } else if (strcmp(w[0], "quit") == 0 || strcmp(w[0], "q") == 0) {
        ch->quit = true;
    } else if (strcmp(w[0], "alerts") == 0) {
        vn_chat_backend_run(ch->b, "alerts", n - 1, w + 1);
    } else if (strcmp(w[0], "claim") == 0 || strcmp(w[0], "ack") == 0) {
        if (n != 2)
            vn_client_fail_usage(ch->c, "/%s ALERT (the alert id, as /alerts shows it)", w[0]);
        else
            vn_chat_backend_run(ch->b, w[0], 1, w + 1);
    } else if (strcmp(w[0], "verify") == 0) {
        verify(ch, w, n);
    } else {
        char f[64];
        vn_client_fail_usage(ch->c, "there is no /%s here; /help lists the commands",
                             vn_text_field(w[0], f, sizeof f));
    }
    fflush(stdout);
}

static void take_line(chat *ch, char *line)
{
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
    if (n == 0) return;
    if (line[0] == '/' && line[1] != '/') return command(ch, line);
    vn_chat_view_line(&ch->v);
    vn_chat_backend_send(ch->b, line[0] == '/' ? line + 1 : line);
    fflush(stdout);
}

/* Reads what the terminal has and takes each whole line; false at the end
 * of the input. */
static bool read_input(chat *ch)
{
    char buf[4096];
    ssize_t got = read(STDIN_FILENO, buf, sizeof buf);
    if (got < 0) return errno == EINTR || errno == EAGAIN;
    if (got == 0) {
        if (ch->len > 0 && !ch->toolong) {
            ch->line[ch->len] = '\0';
            take_line(ch, ch->line);
        }
        return false;
    }
    for (ssize_t i = 0; i < got && !ch->quit; i++) {
        if (buf[i] != '\n') {
            if (ch->len < LINE_MAX_)
                ch->line[ch->len++] = buf[i];
            else
                ch->toolong = true;
            continue;
        }
        ch->line[ch->len] = '\0';
        /* The Enter ended the prompt's line. */
        ch->v.prompt_out = false;
        ch->v.reprompt = true;
        if (ch->toolong) {
            vn_chat_view_line(&ch->v);
            vn_client_fail(ch->c, VN_ETOOBIG, "that line is longer than %d bytes; not sent",
                           LINE_MAX_);
        } else {
            take_line(ch, ch->line);
        }
        ch->len = 0;
        ch->toolong = false;
    }
    return true;
}

static int parse_target(vn_client *c, const vn_args *a, vn_chat_target *t)
{
    const char *who = vn_args_pos(a, 0);
    t->case_id = vn_args_get(a, "--case");
    if (who && t->case_id) return vn_args_usage(c, a, "give either WHO or --case, not both");
    if (!who && !t->case_id) return vn_args_usage(c, a, "WHO or --case CASE is missing");
    if (c->json)
        return vn_client_fail_usage(c, "chat is a view for people; --json is not for it (the "
                                       "daemon's socket is, for programs)");
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    if (t->case_id && !vn_account_valid(t->case_id))
        return vn_client_fail_usage(c, "%s is not a case id (32 hex characters)", t->case_id);
    if (who && vn_client_resolve(c, who, t->peer))
        return vn_client_fail(c, VN_ENOACCOUNT, "%s is neither an account id nor a contact name",
                              who);
    t->label = who ? who : t->case_id;
    return EXIT_OK;
}

int vn_cmd_chat(vn_client *c, const vn_args *a)
{
    chat *ch = calloc(1, sizeof *ch);
    char f[160];
    if (!ch) return vn_client_fail(c, VN_ENOMEM, "out of memory");
    int rc = parse_target(c, a, &ch->t);
    if (rc) goto out;
    ch->c = c;
    vn_chat_view_init(&ch->v, c, &ch->t);
    if (ch->t.case_id)
        printf("care-team chat of case %.8s\n", ch->t.case_id);
    else
        printf("chat with %s\n", vn_text_field(ch->t.label, f, sizeof f));
    vn_err err = vn_chat_view_recent(&ch->v, &ch->t, RECENT);
    if (err) {
        rc = vn_client_fail(c, err, "cannot read the history: %s", vn_err_str(err));
        goto out;
    }
    if ((rc = vn_chat_backend_open(c, &ch->v, &ch->t, &ch->b))) goto out;
    vn_chat_view_line(&ch->v);
    printf("-- live (%s); /help for commands, /quit to leave\n", vn_chat_backend_name(ch->b));
    /* Locked only while something is done (as inbox --follow). */
    vn_lock_drop(c);
    while (!ch->quit) {
        vn_chat_view_prompt(&ch->v);
        /* One wait for the terminal and the server together: a line
         * typed and a message pushed are each taken as they come. */
        struct pollfd p[3] = {{.fd = STDIN_FILENO, .events = POLLIN}};
        int fds[2];
        size_t n = 1 + vn_chat_backend_fds(ch->b, fds);
        for (size_t i = 1; i < n; i++)
            p[i] = (struct pollfd){.fd = fds[i - 1], .events = POLLIN};
        int ready = poll(p, n, vn_chat_backend_ready(ch->b) ? 0 : TURN_MS);
        if (ready > 0 && p[0].revents && !read_input(ch)) break;
        if ((err = vn_chat_backend_poll(ch->b, 0))) {
            vn_chat_view_line(&ch->v);
            rc = vn_client_fail_call(c, err, "the chat stopped");
            break;
        }
    }
    vn_chat_view_line(&ch->v);
    fflush(stdout);
    vn_lock_take(c); /* the level vn_client_close lets go of */
out:
    vn_chat_backend_close(&ch->b);
    free(ch);
    return rc;
}
