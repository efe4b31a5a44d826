/* vn_pushspy: can a connection catch pushes meant for another account by
 * taking its ROUTER routing id? libzmq lets a client choose its routing id
 * (ZMQ_ROUTING_ID), so a spy can claim the id a victim's connection uses.
 *
 *   vn_pushspy VICTIM_INVITE SENDER_INVITE SPY_INVITE
 *
 * Three devices join with the invite codes (buddies of one case, so the
 * sender may message the victim): the victim connects with a chosen routing
 * id and subscribes; the spy, a registered account of its own, then
 *  1. live: connects with the victim's routing id while the victim is
 *     connected, and subscribes as itself;
 *  2. takeover: once the victim's connection has closed, takes the routing
 *     id and subscribes as itself on it;
 *  3. after: stays there while the victim comes back on a new connection
 *     and subscribes again.
 * In each phase the sender sends the victim one message. Prints one line
 * per phase, "PHASE: victim N spy M" with the pushes each got of that
 * message, and for the takeover whether the spy held the routing id. The
 * script asserts on them. Exits 0 when it could run the phases, 1 when
 * something failed on the way (and says what), 2 on bad arguments. */
#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/pad.h"
#include <stdbool.h>
#include <stdint.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define ROUTE       "vn_pushspy-victim"
#define WAIT_MS     10000 /* for a reply or a push that must come */
#define QUIET_MS    2000  /* for a push that must not come */
#define TAKEOVER_MS 20000 /* for the victim's routing id to become free */

typedef struct dev {
    const char *name;
    void *sock;
    char zpub[41], zsec[41];
    char account[128];
    uint64_t next_id;
    uint8_t last_msg[VN_MSGID_LEN]; /* pushes with this id are counted */
    int got;                        /* pushes of last_msg received */
} dev;

static void *ctx;
static vn_invite inv;

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(const dev *d, const char *what)
{
    fprintf(stderr, "vn_pushspy: %s: %s\n", d->name, what);
    return 1;
}

/* A CURVE DEALER with d's key, on route if not NULL. */
static int dev_connect(dev *d, const char *route)
{
    int zero = 0;
    d->sock = zmq_socket(ctx, ZMQ_DEALER);
    if (!d->sock || zmq_setsockopt(d->sock, ZMQ_CURVE_SERVERKEY, inv.server_key, 32) ||
        zmq_setsockopt(d->sock, ZMQ_CURVE_PUBLICKEY, d->zpub, 40) ||
        zmq_setsockopt(d->sock, ZMQ_CURVE_SECRETKEY, d->zsec, 40) ||
        zmq_setsockopt(d->sock, ZMQ_LINGER, &zero, sizeof zero) ||
        (route && zmq_setsockopt(d->sock, ZMQ_ROUTING_ID, route, strlen(route))) ||
        zmq_connect(d->sock, inv.endpoint) != 0)
        return fail(d, "cannot connect");
    return 0;
}

static void dev_disconnect(dev *d)
{
    if (d->sock) zmq_close(d->sock);
    d->sock = NULL;
}

/* Counts a push of d's watched message; ignores other pushes. */
static void note_push(dev *d, const Vn__Reply *rep)
{
    if (rep->body_case != VN__REPLY__BODY_ENVELOPES) return;
    for (size_t i = 0; i < rep->envelopes->n_envelopes; i++) {
        const Vn__Envelope *e = rep->envelopes->envelopes[i];
        if (e->id.len == VN_MSGID_LEN && memcmp(e->id.data, d->last_msg, VN_MSGID_LEN) == 0)
            d->got++;
    }
}

/* Reads what arrives on d for up to ms (stopping early once `until`
 * pushes of the watched message came, if until > 0); returns the reply to
 * request id want (caller frees), or NULL. Pushes are counted. */
static Vn__Reply *pump(dev *d, int ms, uint64_t want, int until)
{
    long long end = mono_ms() + ms;
    for (long long now = mono_ms(); now < end; now = mono_ms()) {
        zmq_pollitem_t it = {d->sock, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, (long)(end - now)) <= 0) continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, d->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        Vn__Reply *rep = NULL;
        vn_err err = vn_frame_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m), 1 << 20, &rep);
        zmq_msg_close(&m);
        if (err) continue;
        if (want && rep->request_id == want) return rep;
        note_push(d, rep);
        vn_frame_reply_free(rep);
        if (until && d->got >= until) return NULL;
    }
    return NULL;
}

/* Sends req on d and waits up to ms for its reply (body `body`). */
static int call(dev *d, Vn__Request *req, Vn__Reply__BodyCase body, int ms, Vn__Reply **out)
{
    uint8_t *frame = NULL;
    size_t len = 0;
    req->version = VN_PROTOCOL_VERSION;
    req->request_id = ++d->next_id;
    if (vn_frame_request_encode(req, VN_FRAME_MAX_DEFAULT, &frame, &len)) return 1;
    int sent = zmq_send(d->sock, frame, len, 0);
    free(frame);
    if (sent < 0) return 1;
    Vn__Reply *rep = pump(d, ms, req->request_id, 0);
    if (!rep) return 1;
    int rc = rep->body_case != body;
    if (rc && rep->body_case == VN__REPLY__BODY_ERROR)
        fprintf(stderr, "vn_pushspy: %s: error %d: %s\n", d->name, rep->error->code,
                rep->error->message);
    if (out && !rc)
        *out = rep;
    else
        vn_frame_reply_free(rep);
    return rc;
}

static int subscribe(dev *d, int ms)
{
    Vn__Subscribe sub = VN__SUBSCRIBE__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_SUBSCRIBE;
    req.subscribe = &sub;
    return call(d, &req, VN__REPLY__BODY_SUBSCRIBED, ms, NULL);
}

/* A fresh key, the invite redeemed on a connection of its own. */
static int join(dev *d, const char *name, const char *code)
{
    vn_invite mine;
    Vn__Reply *rep = NULL;
    memset(d, 0, sizeof *d);
    d->name = name;
    if (vn_invite_decode(code, &mine) || zmq_curve_keypair(d->zpub, d->zsec))
        return fail(d, "bad invite code");
    Vn__Redeem rd = VN__REDEEM__INIT;
    rd.secret = (ProtobufCBinaryData){sizeof mine.secret, mine.secret};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &rd;
    if (dev_connect(d, NULL) || call(d, &req, VN__REPLY__BODY_REDEEMED, WAIT_MS, &rep))
        return fail(d, "cannot redeem the invite");
    snprintf(d->account, sizeof d->account, "%s", rep->redeemed->account);
    vn_frame_reply_free(rep);
    dev_disconnect(d);
    return 0;
}

/* The sender sends `to` a padded message; both watch for its id. */
static int send_to(dev *s, dev *to, dev *spy)
{
    uint8_t body[64], *padded = NULL;
    size_t plen = 0;
    randombytes_buf(body, sizeof body);
    randombytes_buf(to->last_msg, VN_MSGID_LEN);
    memcpy(spy->last_msg, to->last_msg, VN_MSGID_LEN);
    to->got = spy->got = 0;
    if (vn_pad_encode(body, sizeof body, &padded, &plen)) return fail(s, "cannot pad");
    Vn__Send snd = VN__SEND__INIT;
    snd.to = to->account;
    snd.id = (ProtobufCBinaryData){VN_MSGID_LEN, to->last_msg};
    snd.body = (ProtobufCBinaryData){plen, padded};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_SEND;
    req.send = &snd;
    int rc = call(s, &req, VN__REPLY__BODY_SENT, WAIT_MS, NULL);
    free(padded);
    return rc ? fail(s, "the send was refused") : 0;
}

/* The spy takes the victim's routing id once it is free: a connection
 * whose id is still in use is left unidentified by the ROUTER and gets no
 * reply, so it retries on a new connection. */
static bool take_route(dev *spy)
{
    long long end = mono_ms() + TAKEOVER_MS;
    while (mono_ms() < end) {
        if (dev_connect(spy, ROUTE)) return false;
        if (subscribe(spy, 1000) == 0) return true;
        dev_disconnect(spy);
    }
    return false;
}

int main(int argc, char **argv)
{
    dev victim, sender, spy;
    if (argc != 4 || vn_invite_decode(argv[1], &inv) || sodium_init() < 0) {
        fprintf(stderr, "usage: vn_pushspy VICTIM_INVITE SENDER_INVITE SPY_INVITE\n");
        return 2;
    }
    ctx = zmq_ctx_new();
    int rc = join(&victim, "victim", argv[1]) || join(&sender, "sender", argv[2]) ||
             join(&spy, "spy", argv[3]) || dev_connect(&sender, NULL) ||
             dev_connect(&victim, ROUTE) || subscribe(&victim, WAIT_MS);
    if (rc) goto done;

    /* 1. The victim is connected; the spy asks for its routing id too. Its
     *    subscription is not answered (the ROUTER ignores the duplicate). */
    if ((rc = dev_connect(&spy, ROUTE))) goto done;
    bool spy_answered = subscribe(&spy, 1000) == 0;
    if ((rc = send_to(&sender, &victim, &spy))) goto done;
    pump(&victim, WAIT_MS, 0, 1);
    pump(&spy, QUIET_MS, 0, 0);
    printf("live: victim %d spy %d%s\n", victim.got, spy.got,
           spy_answered ? " (the spy's subscription was answered)" : "");
    dev_disconnect(&spy);

    /* 2. The victim's connection closes; the spy takes its routing id and
     *    subscribes as itself. */
    dev_disconnect(&victim);
    bool held = take_route(&spy);
    if ((rc = send_to(&sender, &victim, &spy))) goto done;
    pump(&spy, QUIET_MS, 0, 0);
    printf("takeover: spy holds the route %s; spy %d\n", held ? "yes" : "no", spy.got);

    /* 3. The victim comes back on a new connection while the spy stays. */
    if ((rc = dev_connect(&victim, ROUTE "-2")) || (rc = subscribe(&victim, WAIT_MS))) goto done;
    if ((rc = send_to(&sender, &victim, &spy))) goto done;
    pump(&victim, WAIT_MS, 0, 1);
    pump(&spy, QUIET_MS, 0, 0);
    printf("after: victim %d spy %d\n", victim.got, spy.got);

done:
    dev_disconnect(&spy);
    dev_disconnect(&victim);
    dev_disconnect(&sender);
    zmq_ctx_term(ctx);
    return rc ? 1 : 0;
}
