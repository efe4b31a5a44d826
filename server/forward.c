/* Request forwarding and cross-node pushes over NATS (forward.h). */
#include "forward.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* 2: payloads sealed (XChaCha20-Poly1305); 1 had them in the clear with
 * an HMAC. */
#define VERSION      2
#define NONCE_LEN    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_LEN      crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SEAL_LEN     (NONCE_LEN + TAG_LEN) /* what sealing adds after the head */
#define REQ_HEAD     1                     /* version; the device key is sealed with the frame */
#define REPLY_HEAD   2                     /* version, status */
#define PUSH_HEAD    1                     /* version */
#define STATUS_OK    0
#define STATUS_REFUS 1
#define TICK_MS      50
/* A reply subject: the inbox, a dot and a sequence number. */
#define REPLY_SUBJECT_MAX (VN_FORWARD_SUBJECT_MAX + 24)

enum kind { K_REPLY, K_REQUEST, K_PUSH };

/* A message handed from a libnats thread to the loop. */
typedef struct item {
    struct item *next;
    enum kind kind;
    natsMsg *msg;
} item;

/* A request of this node waiting for the writer. */
typedef struct waiting {
    uint64_t seq;
    uint64_t deadline; /* uv_now() time */
    vn_forward_reply_fn cb;
    void *ud;
} waiting;

typedef struct watch {
    uint8_t account[VN_ACCOUNT_LEN];
    char subject[VN_FORWARD_SUBJECT_MAX];
    natsSubscription *sub;
    unsigned count; /* watch calls not yet matched by unwatch */
} watch;

struct vn_forward_call {
    char reply[REPLY_SUBJECT_MAX]; /* where the asking node waits */
};

struct vn_forward {
    natsConnection *nc; /* borrowed */
    uv_loop_t *loop;
    uv_async_t wake;  /* a libnats thread queued something */
    uv_timer_t timer; /* expires waiting requests */
    int handles_open; /* of wake and timer, until closed */
    uint8_t subject_key[32], box_key[32];
    char writer[VN_FORWARD_SUBJECT_MAX];
    char inbox[VN_FORWARD_SUBJECT_MAX]; /* this node's reply prefix */
    natsSubscription *inbox_sub, *serve_sub;
    vn_forward_serve_fn serve;
    vn_forward_push_fn push;
    void *ud;
    int timeout_ms;
    uint64_t next_seq;
    waiting *wait;
    size_t nwait, wait_cap;
    watch *watches;
    size_t nwatch, watch_cap;
    uint64_t refused;
    pthread_mutex_t mu; /* guards head/tail/closing: libnats threads add */
    item *head, *tail;
    bool closing;
};

/* ---- keys, subjects, MACs ------------------------------------------- */

static void derive(const uint8_t key[32], const char *what, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)what, strlen(what), key, 32);
}

static void hashed_subject(const vn_forward *fw, const char *prefix, const char *what,
                           const uint8_t *extra, size_t extra_len, char out[VN_FORWARD_SUBJECT_MAX])
{
    uint8_t h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, fw->subject_key, 32, sizeof h);
    crypto_generichash_update(&st, (const uint8_t *)what, strlen(what) + 1);
    if (extra_len) crypto_generichash_update(&st, extra, extra_len);
    crypto_generichash_final(&st, h, sizeof h);
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, VN_FORWARD_SUBJECT_MAX, "%s%s", prefix, hex);
}

/* The associated data of a payload: subject | 0 | head; its length, or 0
 * for a subject too long to be one of this module's. */
#define AD_MAX (REPLY_SUBJECT_MAX + REPLY_HEAD)
static size_t ad_of(const char *subject, const uint8_t *head, size_t hl, uint8_t ad[AD_MAX])
{
    size_t sl = strlen(subject) + 1;
    if (sl > REPLY_SUBJECT_MAX || hl > REPLY_HEAD) return 0;
    memcpy(ad, subject, sl);
    memcpy(ad + sl, head, hl);
    return sl + hl;
}

/* A payload as it crosses NATS: head | nonce | box(a | b), sealed under a
 * key derived from the store key with subject | 0 | head as associated
 * data. Sealed, not only signed: a forwarded request or reply is a
 * client's frame as CURVE delivered it (recipients' ids, a case's
 * members, alert levels), and the NATS network is not the client's
 * encrypted connection. The subject in the data binds a payload to where
 * it was sent, so none can be moved to another inbox or account. A new
 * buffer (NULL when out of memory), *len its size. */
static uint8_t *seal(const vn_forward *fw, const char *subject, const uint8_t *head, size_t hl,
                     const uint8_t *a, size_t al, const uint8_t *b, size_t bl, size_t *len)
{
    uint8_t ad[AD_MAX];
    size_t adl = ad_of(subject, head, hl, ad), n = hl + NONCE_LEN + al + bl + TAG_LEN;
    uint8_t *buf = adl ? malloc(n) : NULL;
    if (!buf) return NULL;
    uint8_t *nonce = buf + hl, *m = nonce + NONCE_LEN;
    memcpy(buf, head, hl);
    randombytes_buf(nonce, NONCE_LEN);
    if (al) memcpy(m, a, al);
    if (bl) memcpy(m + al, b, bl);
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(m, m + al + bl, NULL, m, al + bl, ad, adl,
                                                        NULL, nonce, fw->box_key);
    *len = n;
    return buf;
}

/* Opens a payload of n bytes whose head is hl bytes, sent to subject: its
 * plaintext in a new buffer, *plen its size, or NULL if it is too short,
 * was not sealed under this cluster's key for this subject and head, or
 * memory ran out. */
static uint8_t *unseal(const vn_forward *fw, const char *subject, const uint8_t *d, size_t n,
                       size_t hl, size_t *plen)
{
    uint8_t ad[AD_MAX];
    if (!d || n < hl + SEAL_LEN) return NULL;
    size_t adl = ad_of(subject, d, hl, ad), ml = n - hl - SEAL_LEN;
    uint8_t *m = adl ? malloc(ml ? ml : 1) : NULL;
    const uint8_t *nonce = d + hl, *c = nonce + NONCE_LEN;
    if (m && crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m, NULL, c, ml, c + ml, ad, adl,
                                                                 nonce, fw->box_key) == 0) {
        *plen = ml;
        return m;
    }
    free(m);
    return NULL;
}

const char *vn_forward_writer_subject(const vn_forward *self)
{
    return self->writer;
}

void vn_forward_push_subject(const vn_forward *self, const uint8_t account[VN_ACCOUNT_LEN],
                             char out[VN_FORWARD_SUBJECT_MAX])
{
    hashed_subject(self, "vn.fw.p.", "push", account, VN_ACCOUNT_LEN, out);
}

uint64_t vn_forward_refused(const vn_forward *self)
{
    return self->refused;
}

/* ---- from libnats' threads to the loop ------------------------------ */

static void enqueue(vn_forward *fw, enum kind kind, natsMsg *msg)
{
    item *it = malloc(sizeof *it);
    pthread_mutex_lock(&fw->mu);
    if (!it || fw->closing) {
        pthread_mutex_unlock(&fw->mu);
        free(it);
        natsMsg_Destroy(msg); /* lost like a message on the wire */
        return;
    }
    *it = (item){.kind = kind, .msg = msg};
    if (fw->tail)
        fw->tail->next = it;
    else
        fw->head = it;
    fw->tail = it;
    pthread_mutex_unlock(&fw->mu);
    uv_async_send(&fw->wake);
}

static void on_reply_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc, (void)sub;
    enqueue(closure, K_REPLY, msg);
}

static void on_request_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc, (void)sub;
    enqueue(closure, K_REQUEST, msg);
}

static void on_push_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc, (void)sub;
    enqueue(closure, K_PUSH, msg);
}

/* ---- the asking node ------------------------------------------------ */

static void take_waiting(vn_forward *fw, size_t i, waiting *out)
{
    *out = fw->wait[i];
    fw->wait[i] = fw->wait[--fw->nwait];
    if (fw->nwait == 0) uv_timer_stop(&fw->timer);
}

static void on_tick(uv_timer_t *t)
{
    vn_forward *fw = t->data;
    uint64_t now = uv_now(fw->loop);
    char why[160];
    snprintf(why, sizeof why,
             "no answer from the cluster's writer within %d ms (forwarded); nothing may have "
             "been done, try again",
             fw->timeout_ms);
    /* A callback may forward again: take one at a time, then look again. */
    for (size_t i = 0; i < fw->nwait;) {
        if (fw->wait[i].deadline > now) {
            i++;
            continue;
        }
        waiting w;
        take_waiting(fw, i, &w);
        w.cb(w.ud, VN_ETIMEOUT, why, NULL, 0);
        i = 0;
    }
}

static vn_err add_waiting(vn_forward *fw, uint64_t seq, vn_forward_reply_fn cb, void *ud)
{
    if (fw->nwait == fw->wait_cap) {
        size_t cap = fw->wait_cap ? fw->wait_cap * 2 : 16;
        waiting *w = realloc(fw->wait, cap * sizeof *w);
        if (!w) return VN_ENOMEM;
        fw->wait = w;
        fw->wait_cap = cap;
    }
    fw->wait[fw->nwait++] = (waiting){
        .seq = seq, .deadline = uv_now(fw->loop) + (uint64_t)fw->timeout_ms, .cb = cb, .ud = ud};
    if (!uv_is_active((uv_handle_t *)&fw->timer))
        uv_timer_start(&fw->timer, on_tick, TICK_MS, TICK_MS);
    return VN_OK;
}

vn_err vn_forward_request(vn_forward *self, const uint8_t *frame, size_t len,
                          const uint8_t device_key[32], vn_forward_reply_fn cb, void *ud)
{
    char reply[REPLY_SUBJECT_MAX];
    const uint8_t head[REQ_HEAD] = {VERSION};
    size_t n = 0;
    if (len == 0 || len > VN_FORWARD_FRAME_MAX) return VN_ETOOBIG;
    uint64_t seq = self->next_seq++;
    snprintf(reply, sizeof reply, "%s.%llu", self->inbox, (unsigned long long)seq);
    /* Bound to the reply subject: the writer answers there, nowhere else. */
    uint8_t *buf = seal(self, reply, head, sizeof head, device_key, 32, frame, len, &n);
    if (!buf) return VN_ENOMEM;
    vn_err err = add_waiting(self, seq, cb, ud);
    if (!err &&
        natsConnection_PublishRequest(self->nc, self->writer, reply, buf, (int)n) != NATS_OK) {
        waiting w;
        take_waiting(self, self->nwait - 1, &w); /* the one just added */
        err = VN_ETRANSPORT;
    }
    free(buf);
    return err;
}

static void handle_reply(vn_forward *fw, natsMsg *msg)
{
    const char *subject = natsMsg_GetSubject(msg);
    size_t plen = strlen(fw->inbox);
    char *end = NULL;
    if (strncmp(subject, fw->inbox, plen) != 0 || subject[plen] != '.') return;
    uint64_t seq = strtoull(subject + plen + 1, &end, 10);
    if (*end != '\0') return;
    size_t i = 0;
    while (i < fw->nwait && fw->wait[i].seq != seq)
        i++;
    if (i == fw->nwait) return; /* late: it already timed out */
    waiting w;
    if (natsMsg_IsNoResponders(msg)) {
        take_waiting(fw, i, &w);
        w.cb(w.ud, VN_ETIMEOUT,
             "no writer in the cluster takes requests right now (one is being chosen); nothing "
             "was done, try again in a few seconds",
             NULL, 0);
        return;
    }
    const uint8_t *d = (const uint8_t *)natsMsg_GetData(msg);
    size_t n = (size_t)natsMsg_GetDataLength(msg), bl = 0;
    uint8_t *body = NULL;
    if (!d || n < REPLY_HEAD + SEAL_LEN || d[0] != VERSION || d[1] > STATUS_REFUS ||
        n - REPLY_HEAD - SEAL_LEN > VN_FORWARD_FRAME_MAX ||
        !(body = unseal(fw, subject, d, n, REPLY_HEAD, &bl))) {
        fw->refused++; /* not from a node of this cluster: the real one may still come */
        return;
    }
    take_waiting(fw, i, &w);
    if (d[1] == STATUS_OK) {
        w.cb(w.ud, VN_OK, NULL, body, bl);
        free(body);
        return;
    }
    char why[300];
    snprintf(why, sizeof why, "the cluster's writer refused the forwarded request: %.*s",
             (int)(bl > 200 ? 200 : bl), (const char *)body);
    free(body);
    w.cb(w.ud, VN_EPROTO, why, NULL, 0);
}

/* ---- the writer ----------------------------------------------------- */

static vn_err publish_reply(vn_forward *fw, const char *reply, uint8_t status, const uint8_t *body,
                            size_t len)
{
    const uint8_t head[REPLY_HEAD] = {VERSION, status};
    size_t n = 0;
    uint8_t *buf = seal(fw, reply, head, sizeof head, body, len, NULL, 0, &n);
    if (!buf) return VN_ENOMEM;
    natsStatus s = natsConnection_Publish(fw->nc, reply, buf, (int)n);
    free(buf);
    return s == NATS_OK ? VN_OK : VN_ETRANSPORT;
}

static void handle_request(vn_forward *fw, natsMsg *msg)
{
    static const char refusal[] = "not a forwarded request of this cluster";
    const char *reply = natsMsg_GetReply(msg);
    const uint8_t *d = (const uint8_t *)natsMsg_GetData(msg);
    size_t n = (size_t)natsMsg_GetDataLength(msg), pl = 0;
    uint8_t *p = NULL;
    if (!fw->serve_sub || !fw->serve) return; /* no longer the writer: the asker times out */
    if (!reply || !reply[0] || strlen(reply) >= REPLY_SUBJECT_MAX) {
        fw->refused++; /* nowhere to answer */
        return;
    }
    /* The plaintext: the device's CURVE key, then the frame. */
    if (!d || n <= REQ_HEAD + SEAL_LEN + 32 || d[0] != VERSION ||
        n - REQ_HEAD - SEAL_LEN - 32 > VN_FORWARD_FRAME_MAX ||
        !(p = unseal(fw, reply, d, n, REQ_HEAD, &pl))) {
        fw->refused++;
        publish_reply(fw, reply, STATUS_REFUS, (const uint8_t *)refusal, sizeof refusal - 1);
        return;
    }
    vn_forward_call *call = malloc(sizeof *call);
    if (call) {
        memcpy(call->reply, reply, strlen(reply) + 1);
        fw->serve(fw->ud, call, p + 32, pl - 32, p);
    } /* else the asker times out */
    sodium_memzero(p, pl);
    free(p);
}

vn_err vn_forward_respond(vn_forward *self, vn_forward_call *call, const uint8_t *frame, size_t len)
{
    vn_err err = len > VN_FORWARD_FRAME_MAX
                     ? VN_ETOOBIG
                     : publish_reply(self, call->reply, STATUS_OK, frame, len);
    free(call);
    return err;
}

void vn_forward_drop(vn_forward_call *call)
{
    free(call);
}

vn_err vn_forward_serve_start(vn_forward *self)
{
    if (self->serve_sub) return VN_OK;
    if (!self->serve) return VN_EINVAL;
    return natsConnection_Subscribe(&self->serve_sub, self->nc, self->writer, on_request_msg,
                                    self) == NATS_OK
               ? VN_OK
               : VN_ETRANSPORT;
}

/* Stops a subscription and waits until libnats calls its handler no more. */
static void end_sub(natsSubscription **sub)
{
    if (!*sub) return;
    if (natsSubscription_Drain(*sub) == NATS_OK)
        natsSubscription_WaitForDrainCompletion(*sub, 2000);
    else
        natsSubscription_Unsubscribe(*sub);
    natsSubscription_Destroy(*sub);
    *sub = NULL;
}

void vn_forward_serve_stop(vn_forward *self)
{
    end_sub(&self->serve_sub);
}

/* ---- pushes --------------------------------------------------------- */

static watch *find_watch(vn_forward *fw, const uint8_t account[VN_ACCOUNT_LEN])
{
    for (size_t i = 0; i < fw->nwatch; i++)
        if (memcmp(fw->watches[i].account, account, VN_ACCOUNT_LEN) == 0) return &fw->watches[i];
    return NULL;
}

vn_err vn_forward_watch(vn_forward *self, const uint8_t account[VN_ACCOUNT_LEN])
{
    watch *w = find_watch(self, account);
    if (w) {
        w->count++;
        return VN_OK;
    }
    if (!self->push) return VN_EINVAL;
    if (self->nwatch == self->watch_cap) {
        size_t cap = self->watch_cap ? self->watch_cap * 2 : 16;
        watch *ws = realloc(self->watches, cap * sizeof *ws);
        if (!ws) return VN_ENOMEM;
        self->watches = ws;
        self->watch_cap = cap;
    }
    w = &self->watches[self->nwatch];
    memset(w, 0, sizeof *w);
    memcpy(w->account, account, VN_ACCOUNT_LEN);
    vn_forward_push_subject(self, account, w->subject);
    if (natsConnection_Subscribe(&w->sub, self->nc, w->subject, on_push_msg, self) != NATS_OK)
        return VN_ETRANSPORT;
    w->count = 1;
    self->nwatch++;
    return VN_OK;
}

void vn_forward_unwatch(vn_forward *self, const uint8_t account[VN_ACCOUNT_LEN])
{
    watch *w = find_watch(self, account);
    if (!w || --w->count > 0) return;
    /* A push already queued finds no watch and is dropped. The handler's
     * closure is the vn_forward, so no wait is needed here. */
    natsSubscription_Unsubscribe(w->sub);
    natsSubscription_Destroy(w->sub);
    *w = self->watches[--self->nwatch];
}

vn_err vn_forward_push(vn_forward *self, const uint8_t account[VN_ACCOUNT_LEN],
                       const uint8_t *frame, size_t len)
{
    char subject[VN_FORWARD_SUBJECT_MAX];
    const uint8_t head[PUSH_HEAD] = {VERSION};
    size_t n = 0;
    if (len > VN_FORWARD_FRAME_MAX) return VN_ETOOBIG;
    vn_forward_push_subject(self, account, subject);
    uint8_t *buf = seal(self, subject, head, sizeof head, frame, len, NULL, 0, &n);
    if (!buf) return VN_ENOMEM;
    natsStatus s = natsConnection_Publish(self->nc, subject, buf, (int)n);
    free(buf);
    return s == NATS_OK ? VN_OK : VN_ETRANSPORT;
}

static void handle_push(vn_forward *fw, natsMsg *msg)
{
    const char *subject = natsMsg_GetSubject(msg);
    const uint8_t *d = (const uint8_t *)natsMsg_GetData(msg);
    size_t n = (size_t)natsMsg_GetDataLength(msg);
    watch *w = NULL;
    for (size_t i = 0; i < fw->nwatch && !w; i++)
        if (strcmp(fw->watches[i].subject, subject) == 0) w = &fw->watches[i];
    if (!w) return; /* unwatched since */
    uint8_t *frame = NULL;
    size_t fl = 0;
    if (!d || n < PUSH_HEAD + SEAL_LEN || d[0] != VERSION ||
        n - PUSH_HEAD - SEAL_LEN > VN_FORWARD_FRAME_MAX ||
        !(frame = unseal(fw, subject, d, n, PUSH_HEAD, &fl))) {
        fw->refused++;
        return;
    }
    uint8_t account[VN_ACCOUNT_LEN];
    memcpy(account, w->account, sizeof account); /* the callback may unwatch */
    fw->push(fw->ud, account, frame, fl);
    free(frame);
}

/* ---- the loop side -------------------------------------------------- */

static void on_wake(uv_async_t *h)
{
    vn_forward *fw = h->data;
    pthread_mutex_lock(&fw->mu);
    item *it = fw->head;
    fw->head = fw->tail = NULL;
    pthread_mutex_unlock(&fw->mu);
    while (it) {
        item *next = it->next;
        if (it->kind == K_REPLY)
            handle_reply(fw, it->msg);
        else if (it->kind == K_REQUEST)
            handle_request(fw, it->msg);
        else
            handle_push(fw, it->msg);
        natsMsg_Destroy(it->msg);
        free(it);
        it = next;
    }
}

void vn_forward_set_timeout(vn_forward *self, int timeout_ms)
{
    self->timeout_ms = timeout_ms;
}

vn_err vn_forward_open(vn_forward **out, natsConnection *nc, const uint8_t key[VN_FORWARD_KEY_LEN],
                       uv_loop_t *loop, vn_forward_serve_fn serve, vn_forward_push_fn push,
                       void *ud)
{
    uint8_t nonce[12];
    char hex[sizeof nonce * 2 + 1];
    if (sodium_init() < 0) return VN_ECRYPTO;
    vn_forward *fw = calloc(1, sizeof *fw);
    if (!fw) return VN_ENOMEM;
    fw->nc = nc;
    fw->loop = loop;
    fw->serve = serve;
    fw->push = push;
    fw->ud = ud;
    fw->timeout_ms = 5000;
    derive(key, "vn-forward-subject", fw->subject_key);
    derive(key, "vn-forward-box", fw->box_key);
    hashed_subject(fw, "vn.fw.w.", "writer", NULL, 0, fw->writer);
    /* The inbox names this node to no one: random, new at each start. */
    randombytes_buf(nonce, sizeof nonce);
    sodium_bin2hex(hex, sizeof hex, nonce, sizeof nonce);
    snprintf(fw->inbox, sizeof fw->inbox, "vn.fw.r.%s", hex);
    if (pthread_mutex_init(&fw->mu, NULL) != 0) goto err_free;
    if (uv_async_init(loop, &fw->wake, on_wake) != 0) goto err_mutex;
    fw->wake.data = fw;
    fw->handles_open = 1;
    uv_timer_init(loop, &fw->timer);
    fw->timer.data = fw;
    fw->handles_open = 2;
    char wild[VN_FORWARD_SUBJECT_MAX + 2];
    snprintf(wild, sizeof wild, "%s.*", fw->inbox);
    if (natsConnection_Subscribe(&fw->inbox_sub, nc, wild, on_reply_msg, fw) != NATS_OK) {
        vn_forward_close(&fw);
        return VN_ETRANSPORT;
    }
    *out = fw;
    return VN_OK;
err_mutex:
    pthread_mutex_destroy(&fw->mu);
err_free:
    sodium_memzero(fw, sizeof *fw);
    free(fw);
    return VN_ENOMEM;
}

static void on_closed(uv_handle_t *h)
{
    vn_forward *fw = h->data;
    if (--fw->handles_open > 0) return;
    pthread_mutex_destroy(&fw->mu);
    sodium_memzero(fw, sizeof *fw);
    free(fw);
}

void vn_forward_close(vn_forward **self_p)
{
    if (!self_p || !*self_p) return;
    vn_forward *fw = *self_p;
    *self_p = NULL;
    end_sub(&fw->serve_sub);
    end_sub(&fw->inbox_sub);
    for (size_t i = 0; i < fw->nwatch; i++)
        end_sub(&fw->watches[i].sub);
    pthread_mutex_lock(&fw->mu);
    fw->closing = true;
    item *it = fw->head;
    fw->head = fw->tail = NULL;
    pthread_mutex_unlock(&fw->mu);
    while (it) {
        item *next = it->next;
        natsMsg_Destroy(it->msg);
        free(it);
        it = next;
    }
    while (fw->nwait > 0) {
        waiting w;
        take_waiting(fw, fw->nwait - 1, &w);
        w.cb(w.ud, VN_ETIMEOUT, "this node is shutting down; try again", NULL, 0);
    }
    free(fw->wait);
    free(fw->watches);
    fw->wait = NULL;
    fw->watches = NULL;
    uv_close((uv_handle_t *)&fw->wake, on_closed);
    uv_close((uv_handle_t *)&fw->timer, on_closed);
}
