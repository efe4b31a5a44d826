/* What `vangnet chat` shows (chat_view.h): messages in the format of inbox and
 * history (show.c, every peer string through text.c), a prompt, and a
 * bell for what must reach a person now. */
#include "chat_view.h"
#include "receipt.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROMPT "> "

/* Whether r asks for attention now: an SOS or a crisis signal (as inbox
 * stores them, "[SOS] ..." and "[signal crisis] ..."), or a server notice
 * of a crisis alert or an SOS. A peer who writes such text by hand rings
 * the bell too: it shows nothing false (the text is shown as theirs). */
static bool urgent(const Vn__Received *r)
{
    const char *t = r->text ? r->text : "", *from = r->from ? r->from : "";
    if (strncmp(t, "[SOS]", 5) == 0 || strncmp(t, "[signal crisis]", 15) == 0) return true;
    return strcmp(from, "server") == 0 && strncmp(t, "[notice] alert", 14) == 0 &&
           (strstr(t, " crisis ") || strstr(t, " sos ") || strstr(t, " SOS "));
}

/* The shower's hook, before each message it shows. */
static void before_item(void *ud, const Vn__Received *r)
{
    vn_chat_view *v = ud;
    vn_chat_view_line(v);
    if (urgent(r) && !(r->to && r->to[0])) fputc('\a', stdout);
    v->reprompt = true;
}

void vn_chat_view_init(vn_chat_view *v, vn_client *c, const vn_chat_target *t)
{
    memset(v, 0, sizeof *v);
    v->c = c;
    v->t = t;
    v->sh = (vn_shower){.c = c, .before = before_item, .ud = v};
    v->interactive = isatty(STDIN_FILENO);
    vn_show_begin(&v->sh);
}

void vn_chat_view_prompt(vn_chat_view *v)
{
    if (v->prompt_out && !v->reprompt) return;
    fputs(PROMPT, stdout);
    fflush(stdout);
    v->prompt_out = true;
    v->reprompt = false;
}

void vn_chat_view_line(vn_chat_view *v)
{
    /* The user may have typed part of a line after the prompt: it stays
     * where it is, and what we show starts under it. */
    if (v->prompt_out) fputc('\n', stdout);
    v->prompt_out = false;
    v->reprompt = true;
}

void vn_chat_view_show(vn_chat_view *v, const Vn__Received *r, int state)
{
    v->sh.state = state;
    vn_show_item(&v->sh, r);
    v->sh.state = 0;
}

void vn_chat_view_receipt(vn_chat_view *v, const char *from, int state, size_t n)
{
    char name[128], shown[128];
    const char *mark = vn_msg_state_mark((vn_msg_state)state);
    if (!mark || n == 0 || !v->t || v->t->case_id || !from || strcmp(from, v->t->peer) != 0) return;
    const char *nm = vn_client_name_of(v->c, from, name, sizeof name);
    vn_chat_view_line(v);
    printf("(%s by %s: %zu message%s of yours)\n", mark,
           vn_text_field(nm ? nm : v->t->label, shown, sizeof shown), n, n == 1 ? "" : "s");
}

/* The last messages of a conversation, a ring of the newest. */
typedef struct recent {
    const vn_chat_target *t;
    Vn__Received **ring;
    size_t cap, n; /* n counts all matches; the ring holds the last cap */
} recent;

static bool in_conversation(const vn_chat_target *t, const Vn__Received *r)
{
    const char *from = r->from ? r->from : "", *to = r->to ? r->to : "";
    const char *case_id = r->case_id ? r->case_id : "";
    if (t->case_id) return strcmp(case_id, t->case_id) == 0;
    return !case_id[0] && (strcmp(from, t->peer) == 0 || strcmp(to, t->peer) == 0);
}

static vn_err recent_cb(void *ud, const void *k, size_t kl, const void *val, size_t vl, bool *stop)
{
    recent *rc = ud;
    Vn__Received *r = vn__received__unpack(NULL, vl, val);
    if (!r) return VN_OK;
    if (!in_conversation(rc->t, r)) {
        vn__received__free_unpacked(r, NULL);
        return VN_OK;
    }
    size_t slot = rc->n++ % rc->cap;
    if (rc->ring[slot]) vn__received__free_unpacked(rc->ring[slot], NULL);
    rc->ring[slot] = r;
    return VN_OK;
}

vn_err vn_chat_view_recent(vn_chat_view *v, const vn_chat_target *t, size_t n)
{
    recent rc = {.t = t, .cap = n ? n : 1};
    if (!(rc.ring = calloc(rc.cap, sizeof *rc.ring))) return VN_ENOMEM;
    vn_err err = vn_kv_each(v->c->kv, CDB_HISTORY, NULL, 0, recent_cb, &rc);
    v->sh.before = NULL; /* the past rings no bell */
    size_t shown = rc.n < rc.cap ? rc.n : rc.cap;
    if (!err && rc.n > shown) printf("(%zu earlier messages: vangnet history)\n", rc.n - shown);
    for (size_t i = 0; i < shown; i++) {
        Vn__Received *r = rc.ring[(rc.n - shown + i) % rc.cap];
        int state = r->to && r->to[0] ? (int)vn_receipt_state(v->c, r->id.data, r->id.len) : 0;
        if (!err) {
            v->sh.state = state;
            vn_show_item(&v->sh, r);
            v->sh.state = 0;
        }
    }
    for (size_t i = 0; i < rc.cap; i++)
        if (rc.ring[i]) vn__received__free_unpacked(rc.ring[i], NULL);
    free(rc.ring);
    v->sh.before = before_item;
    if (!err && rc.n == 0) printf("(no messages yet)\n");
    return err;
}
