/* The daemon backend of `vangnet chat` (chat_backend.h): when the
 * profile's daemon answers on PROFILE/daemon.sock, the chat does not open
 * a server session of its own (the server keeps one push subscription per
 * account: a second subscriber would take the daemon's pushes). Live
 * events come from a "subscribe" connection (docs/JSONRPC.md); what the
 * chat sends or runs goes to the daemon as a "run" call, and its output is
 * shown as the CLI would print it. */
#include "chat_daemon.h"
#include "dsock.h"
#include "receipt.h"

#include "vn/day.h"
#include "vn/frame.h"
#include "vn/hex.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_ (4u << 20) /* longest event or answer we take */
#define GRACE_MS  10000      /* beyond the command's own --timeout */

struct vn_chat_daemon {
    int fd;          /* the subscribed connection */
    char *buf;       /* bytes read, not yet a whole line */
    size_t len, cap; /* used and allocated */
};

static bool send_line(int fd, const char *s, int64_t deadline)
{
    return vn_dsock_send(fd, s, strlen(s), deadline) && vn_dsock_send(fd, "\n", 1, deadline);
}

/* Takes the next whole line from d->buf into a parsed JSON value (NULL
 * when none is whole yet, or it is not JSON: skipped). */
static json_t *next_line(vn_chat_daemon *d, bool *had)
{
    char *nl = d->len ? memchr(d->buf, '\n', d->len) : NULL;
    *had = nl != NULL;
    if (!nl) return NULL;
    size_t n = (size_t)(nl - d->buf);
    json_error_t e;
    json_t *v = json_loadb(d->buf, n, 0, &e);
    memmove(d->buf, nl + 1, d->len - n - 1);
    d->len -= n + 1;
    return v;
}

/* Reads what the socket has, waiting up to wait_ms; VN_ETRANSPORT when the
 * daemon went away. */
static vn_err fill(vn_chat_daemon *d, int wait_ms)
{
    struct pollfd p = {.fd = d->fd, .events = POLLIN};
    int r = poll(&p, 1, wait_ms);
    if (r <= 0) return VN_OK;
    if (d->cap - d->len < 65536) {
        size_t cap = d->cap ? d->cap * 2 : 131072;
        if (cap > LINE_MAX_) return VN_ETOOBIG;
        char *b = realloc(d->buf, cap);
        if (!b) return VN_ENOMEM;
        d->buf = b;
        d->cap = cap;
    }
    ssize_t k = recv(d->fd, d->buf + d->len, d->cap - d->len, 0);
    if (k < 0 && (errno == EINTR || errno == EAGAIN)) return VN_OK;
    if (k <= 0) return VN_ETRANSPORT;
    d->len += (size_t)k;
    return VN_OK;
}

int vn_chat_daemon_open(vn_client *c, vn_chat_daemon **out)
{
    *out = NULL;
    if (getenv("VANGNET_NO_DAEMON")) return EXIT_OK;
    int fd = vn_dsock_connect(c->profile);
    if (fd < 0) return EXIT_OK; /* no daemon: standalone */
    vn_chat_daemon *d = calloc(1, sizeof *d);
    if (!d) {
        close(fd);
        return vn_client_fail(c, VN_ENOMEM, "out of memory");
    }
    d->fd = fd;
    int64_t deadline = vn_dsock_mono_ms() + c->timeout_ms;
    bool ok = send_line(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\"}", deadline);
    /* Its answer: the first line that carries our id. */
    while (ok) {
        bool had;
        json_t *v = next_line(d, &had);
        if (v) {
            json_t *res = json_object_get(v, "result");
            bool done = json_object_get(v, "id") != NULL;
            ok = json_is_true(json_object_get(res, "subscribed"));
            json_decref(v);
            if (done) break;
            continue;
        }
        if (had) continue;
        if (vn_dsock_mono_ms() >= deadline || fill(d, 200)) ok = false;
    }
    if (!ok) {
        vn_chat_daemon_close(&d);
        return vn_client_fail(c, VN_ETRANSPORT,
                              "the daemon of profile %s did not take the chat's subscription; "
                              "stop it or try again",
                              c->profile);
    }
    *out = d;
    return EXIT_OK;
}

void vn_chat_daemon_close(vn_chat_daemon **dp)
{
    vn_chat_daemon *d = *dp;
    if (!d) return;
    close(d->fd);
    free(d->buf);
    free(d);
    *dp = NULL;
}

/* ISO 8601 UTC (as the events give it) to ms since the epoch; 0 if not. */
static uint64_t iso_ms(const char *s)
{
    int y, mo, d, h, mi, sec;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &sec) != 6) return 0;
    int32_t day = vn_day_from_civil(y, mo, d);
    if (day < 0) return 0;
    return ((uint64_t)day * 86400 + (uint64_t)(h * 3600 + mi * 60 + sec)) * 1000;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Shows one event as inbox would show what it stored. */
static void show_event(vn_client *c, vn_chat_view *v, vn_receipts *rc, json_t *ev)
{
    const char *kind = str(ev, "kind");
    Vn__Received r = VN__RECEIVED__INIT;
    uint8_t id[VN_MSGID_LEN];
    if (!kind) return;
    if (strcmp(kind, "identity-changed") == 0) {
        const char *acc = str(ev, "account"), *nm = str(ev, "name");
        char f[128];
        vn_chat_view_line(v);
        printf("(the identity key of %s changed; their messages are held: /verify)\n",
               vn_text_field(nm ? nm : acc, f, sizeof f));
        return;
    }
    if (strcmp(kind, "receipt") == 0) {
        vn_msg_state state = vn_msg_state_from_name(str(ev, "state"));
        vn_chat_view_receipt(v, str(ev, "from"), (int)state,
                             (size_t)json_integer_value(json_object_get(ev, "moved")));
        return;
    }
    if (!str(ev, "text")) return; /* a kind with nothing to show */
    const char *hex = str(ev, "id");
    if (hex && strlen(hex) == 2 * VN_MSGID_LEN && !vn_hex_decode(hex, id, sizeof id))
        r.id = (ProtobufCBinaryData){sizeof id, id};
    r.from = (char *)(str(ev, "from") ? str(ev, "from") : "server");
    r.case_id = (char *)(str(ev, "case") ? str(ev, "case") : "");
    r.time_ms = iso_ms(str(ev, "time"));
    r.text = (char *)str(ev, "text");
    vn_chat_view_show(v, &r, 0);
    if (!r.id.len) return;
    /* Shown here: the next inbox need not show it again (the daemon keeps
     * what it stores for the next inbox). */
    vn_chat_daemon_forget_unshown(c, id);
    if (rc) vn_receipts_shown(c, rc, &r);
}

int vn_chat_daemon_fd(const vn_chat_daemon *d)
{
    return d->fd;
}

vn_err vn_chat_daemon_poll(vn_client *c, vn_chat_daemon *d, vn_chat_view *v, vn_receipts *rc,
                           int wait_ms)
{
    vn_err err = fill(d, wait_ms);
    for (;;) {
        bool had;
        json_t *m = next_line(d, &had);
        if (!had) break;
        const char *method = str(m, "method");
        if (method && strcmp(method, "event") == 0)
            show_event(c, v, rc, json_object_get(m, "params"));
        json_decref(m);
    }
    return err;
}

/* Decodes base64 text and writes it to f. */
static void put_b64(FILE *f, const char *s)
{
    size_t n = s ? strlen(s) : 0, len = 0;
    unsigned char *b = n ? malloc(n) : NULL;
    if (b && !sodium_base642bin(b, n, s, n, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL))
        fwrite(b, 1, len, f);
    free(b);
    fflush(f);
}

int vn_chat_daemon_run(vn_client *c, const char *name, int argc, char **argv)
{
    json_t *words = json_array();
    for (int i = 0; words && i < argc; i++)
        if (json_array_append_new(words, json_string(argv[i]))) {
            json_decref(words);
            return vn_client_fail(c, VN_EINVAL, "that is not UTF-8 text; nothing was done");
        }
    json_t *req = json_pack("{s:s, s:i, s:s, s:{s:s, s:o, s:b, s:i}}", "jsonrpc", "2.0", "id", 1,
                            "method", "run", "params", "command", name, "argv", words, "json",
                            false, "timeout", c->timeout_ms / 1000);
    char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!s) return vn_client_fail(c, VN_ENOMEM, "out of memory");
    vn_chat_daemon one = {.fd = vn_dsock_connect(c->profile)};
    int64_t deadline = vn_dsock_mono_ms() + c->timeout_ms + GRACE_MS;
    json_t *rep = NULL;
    bool sent = one.fd >= 0 && send_line(one.fd, s, deadline);
    free(s);
    while (sent && !rep && vn_dsock_mono_ms() < deadline) {
        bool had;
        rep = next_line(&one, &had);
        if (!had && fill(&one, 200)) break;
    }
    if (one.fd >= 0) close(one.fd);
    free(one.buf);
    json_t *res = json_object_get(rep, "result"), *ex = json_object_get(res, "exit");
    int rc;
    if (json_is_integer(ex)) {
        fflush(stdout);
        put_b64(stdout, str(res, "stdout"));
        put_b64(stderr, str(res, "stderr"));
        rc = (int)json_integer_value(ex);
    } else {
        const char *m = str(json_object_get(rep, "error"), "message");
        rc = vn_client_fail(c, VN_ETIMEOUT, "the daemon %s%s",
                            m ? "refused it: "
                              : "did not answer in time; it may or may not have "
                                "been done",
                            m ? m : "");
    }
    json_decref(rep);
    return rc;
}

/* An entry of CDB_UNSHOWN whose message has this id. */
typedef struct unshown_find {
    const uint8_t *id;
    uint8_t key[8];
    bool found;
} unshown_find;

static vn_err unshown_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    unshown_find *f = ud;
    Vn__Received *r = kl == 8 ? vn__received__unpack(NULL, vl, v) : NULL;
    if (!r) return VN_OK;
    if (r->id.len == VN_MSGID_LEN && memcmp(r->id.data, f->id, VN_MSGID_LEN) == 0) {
        memcpy(f->key, k, 8);
        f->found = *stop = true;
    }
    vn__received__free_unpacked(r, NULL);
    return VN_OK;
}

void vn_chat_daemon_forget_unshown(vn_client *c, const uint8_t *id)
{
    unshown_find f = {.id = id};
    if (vn_lock_take(c)) return;
    if (!vn_kv_each(c->kv, CDB_UNSHOWN, NULL, 0, unshown_cb, &f) && f.found)
        vn_kv_del(c->kv, CDB_UNSHOWN, f.key, 8);
    vn_lock_drop(c);
}
