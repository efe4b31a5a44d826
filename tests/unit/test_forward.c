/* vn_forward against a real nats-server (started here on a free loopback
 * port with JetStream, as a cluster runs it) and two vn_forward instances
 * on two NATS connections, a writer and a follower, on one libuv loop: a
 * forwarded request reaches the writer's serve callback with the frame and
 * the device key and its reply comes back; a push for a watched account
 * reaches the watching node and one for an unwatched account does not; with
 * no writer listening the request fails at once (NATS "no responders"), and
 * with a writer that never answers it times out, both with a sentence for
 * the client; garbage and payloads without the cluster's MAC on the
 * writer's and on a push subject are refused and counted; subjects carry no
 * account in clear. Without a nats-server on the PATH it is skipped (77). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <fcntl.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "forward.h"

typedef struct node {
    vn_forward *fw;
    natsConnection *nc;
    /* the writer's side */
    int served;
    uint8_t served_key[32];
    char served_frame[64];
    bool hold;             /* keep the call instead of answering */
    vn_forward_call *held; /* the call kept */
    /* the asking side */
    int replies;
    vn_err reply_err;
    char why[300];
    char reply[128];
    /* pushes */
    int pushes;
    uint8_t push_account[VN_ACCOUNT_LEN];
    char push_frame[64];
} node;

typedef struct world {
    pid_t nats;
    char dir[64];
    char url[64];
    uv_loop_t loop;
    node w, f; /* the writer and the follower */
} world;

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

static void on_serve(void *ud, vn_forward_call *call, const uint8_t *frame, size_t len,
                     const uint8_t key[32])
{
    node *n = ud;
    char out[80];
    n->served++;
    memcpy(n->served_key, key, 32);
    snprintf(n->served_frame, sizeof n->served_frame, "%.*s", (int)len, (const char *)frame);
    if (n->hold) {
        n->held = call;
        return;
    }
    int m = snprintf(out, sizeof out, "re:%.*s", (int)len, (const char *)frame);
    vn_forward_respond(n->fw, call, (const uint8_t *)out, (size_t)m);
}

static void on_push(void *ud, const uint8_t account[VN_ACCOUNT_LEN], const uint8_t *frame,
                    size_t len)
{
    node *n = ud;
    n->pushes++;
    memcpy(n->push_account, account, VN_ACCOUNT_LEN);
    snprintf(n->push_frame, sizeof n->push_frame, "%.*s", (int)len, (const char *)frame);
}

static void on_reply(void *ud, vn_err err, const char *why, const uint8_t *frame, size_t len)
{
    node *n = ud;
    n->replies++;
    n->reply_err = err;
    snprintf(n->why, sizeof n->why, "%s", why ? why : "");
    snprintf(n->reply, sizeof n->reply, "%.*s", (int)len, frame ? (const char *)frame : "");
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop until *count reaches want or ms pass; true if it did. */
static bool pump(world *w, const int *count, int want, int ms)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        if (count && *count >= want) return true;
        usleep(2000);
    }
    return count && *count >= want;
}

static bool pump_refused(world *w, const vn_forward *fw, uint64_t want, int ms)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end && vn_forward_refused(fw) < want) {
        uv_run(&w->loop, UV_RUN_NOWAIT);
        usleep(2000);
    }
    return vn_forward_refused(fw) >= want;
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    uint8_t key[VN_FORWARD_KEY_LEN];
    char port[16];
    int p = free_port();
    if (!w || p < 0) return -1;
    snprintf(port, sizeof port, "%d", p);
    snprintf(w->dir, sizeof w->dir, "/tmp/vn-forward.XXXXXX");
    if (!mkdtemp(w->dir)) return -1;
    w->nats = fork();
    if (w->nats == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", port, "-js", "-sd", w->dir,
               (char *)NULL);
        _exit(127);
    }
    snprintf(w->url, sizeof w->url, "nats://127.0.0.1:%d", p);
    int64_t end = now_ms() + 15000;
    while (natsConnection_ConnectTo(&w->w.nc, w->url) != NATS_OK) {
        int st;
        if (waitpid(w->nats, &st, WNOHANG) == w->nats || now_ms() > end) {
            fprintf(stderr, "test_forward: no nats-server could be started on port %d\n", p);
            rmdir(w->dir);
            free(w);
            return -1;
        }
        usleep(50000);
    }
    if (natsConnection_ConnectTo(&w->f.nc, w->url) != NATS_OK) return -1;
    uv_loop_init(&w->loop);
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    if (vn_forward_open(&w->w.fw, w->w.nc, key, &w->loop, on_serve, on_push, &w->w) ||
        vn_forward_open(&w->f.fw, w->f.nc, key, &w->loop, on_serve, on_push, &w->f))
        return -1;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    if (w->w.held) vn_forward_drop(w->w.held);
    vn_forward_close(&w->w.fw);
    vn_forward_close(&w->f.fw);
    uv_run(&w->loop, UV_RUN_DEFAULT); /* the handles close */
    uv_loop_close(&w->loop);
    natsConnection_Destroy(w->w.nc);
    natsConnection_Destroy(w->f.nc);
    kill(w->nats, SIGTERM);
    waitpid(w->nats, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", w->dir);
    if (system(cmd) != 0) fprintf(stderr, "test_forward: could not remove %s\n", w->dir);
    free(w);
    return 0;
}

static const uint8_t device[32] = {0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
                                   0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5,
                                   0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef};
static const uint8_t alice[VN_ACCOUNT_LEN] = {0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1,
                                              0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0xa1, 0x01};
static const uint8_t bob[VN_ACCOUNT_LEN] = {0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0,
                                            0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0xb0, 0x02};

static void test_request_reply(void **state)
{
    world *w = *state;
    assert_int_equal(vn_forward_serve_start(w->w.fw), VN_OK);
    assert_int_equal(natsConnection_Flush(w->w.nc), NATS_OK);
    for (int i = 1; i <= 3; i++) {
        char frame[32];
        int n = snprintf(frame, sizeof frame, "request-%d", i);
        assert_int_equal(
            vn_forward_request(w->f.fw, (const uint8_t *)frame, (size_t)n, device, on_reply, &w->f),
            VN_OK);
        assert_int_equal(w->f.replies, i - 1); /* never from inside the call */
        assert_true(pump(w, &w->f.replies, i, 5000));
        assert_int_equal(w->f.reply_err, VN_OK);
        char want[40];
        snprintf(want, sizeof want, "re:%s", frame);
        assert_string_equal(w->f.reply, want);
        assert_string_equal(w->w.served_frame, frame);
        assert_memory_equal(w->w.served_key, device, 32);
    }
    assert_int_equal(w->w.served, 3);
    assert_int_equal(w->f.served, 0); /* the follower serves nothing */
    static uint8_t big[VN_FORWARD_FRAME_MAX + 1];
    assert_int_equal(vn_forward_request(w->f.fw, big, sizeof big, device, on_reply, &w->f),
                     VN_ETOOBIG);
    assert_int_equal(vn_forward_refused(w->w.fw), 0);
}

static void test_push(void **state)
{
    world *w = *state;
    char subject[VN_FORWARD_SUBJECT_MAX], hex[VN_ACCOUNT_LEN * 2 + 1];
    assert_int_equal(vn_forward_watch(w->f.fw, alice), VN_OK);
    assert_int_equal(vn_forward_watch(w->f.fw, alice), VN_OK); /* a second connection */
    assert_int_equal(natsConnection_Flush(w->f.nc), NATS_OK);
    assert_int_equal(vn_forward_push(w->w.fw, alice, (const uint8_t *)"push-1", 6), VN_OK);
    assert_true(pump(w, &w->f.pushes, 1, 5000));
    assert_memory_equal(w->f.push_account, alice, VN_ACCOUNT_LEN);
    assert_string_equal(w->f.push_frame, "push-1");
    /* Bob is watched nowhere: his push goes nowhere. */
    assert_int_equal(vn_forward_push(w->w.fw, bob, (const uint8_t *)"push-bob", 8), VN_OK);
    assert_false(pump(w, &w->f.pushes, 2, 300));
    /* One unwatch of two: still watched. */
    vn_forward_unwatch(w->f.fw, alice);
    assert_int_equal(vn_forward_push(w->w.fw, alice, (const uint8_t *)"push-2", 6), VN_OK);
    assert_true(pump(w, &w->f.pushes, 2, 5000));
    assert_string_equal(w->f.push_frame, "push-2");
    vn_forward_unwatch(w->f.fw, alice);
    assert_int_equal(natsConnection_Flush(w->f.nc), NATS_OK);
    assert_int_equal(vn_forward_push(w->w.fw, alice, (const uint8_t *)"push-3", 6), VN_OK);
    assert_false(pump(w, &w->f.pushes, 3, 300));
    assert_int_equal(w->w.pushes, 0);
    /* No account in clear in any subject. */
    for (int i = 0; i < 2; i++) {
        const uint8_t *acc = i ? bob : alice;
        for (int k = 0; k < VN_ACCOUNT_LEN; k++)
            snprintf(hex + 2 * k, 3, "%02x", acc[k]);
        vn_forward_push_subject(w->w.fw, acc, subject);
        assert_null(strstr(subject, hex));
        assert_null(strstr(vn_forward_writer_subject(w->w.fw), hex));
    }
    vn_forward_push_subject(w->w.fw, alice, subject);
    char other[VN_FORWARD_SUBJECT_MAX];
    vn_forward_push_subject(w->f.fw, alice, other);
    assert_string_equal(subject, other); /* every node names it alike */
    vn_forward_push_subject(w->w.fw, bob, other);
    assert_string_not_equal(subject, other);
}

static void test_no_writer_and_timeout(void **state)
{
    world *w = *state;
    vn_forward_set_timeout(w->f.fw, 400);
    /* Nobody subscribed to the writer's subject: NATS says so at once. */
    vn_forward_serve_stop(w->w.fw);
    int64_t t0 = now_ms();
    assert_int_equal(vn_forward_request(w->f.fw, (const uint8_t *)"x", 1, device, on_reply, &w->f),
                     VN_OK);
    assert_true(pump(w, &w->f.replies, 1, 5000));
    assert_int_equal(w->f.reply_err, VN_ETIMEOUT);
    assert_non_null(strstr(w->f.why, "no writer"));
    assert_int_equal(w->w.served, 0);
    /* A writer that takes it but never answers: the timeout. */
    w->w.hold = true;
    assert_int_equal(vn_forward_serve_start(w->w.fw), VN_OK);
    assert_int_equal(natsConnection_Flush(w->w.nc), NATS_OK);
    t0 = now_ms();
    assert_int_equal(vn_forward_request(w->f.fw, (const uint8_t *)"y", 1, device, on_reply, &w->f),
                     VN_OK);
    assert_true(pump(w, &w->f.replies, 2, 5000));
    int64_t took = now_ms() - t0;
    assert_int_equal(w->f.reply_err, VN_ETIMEOUT);
    assert_non_null(strstr(w->f.why, "within 400 ms"));
    assert_true(took >= 350);
    assert_int_equal(w->w.served, 1);
    assert_non_null(w->w.held);
    /* Its late answer is dropped, not delivered twice. */
    assert_int_equal(vn_forward_respond(w->w.fw, w->w.held, (const uint8_t *)"late", 4), VN_OK);
    w->w.held = NULL;
    assert_false(pump(w, &w->f.replies, 3, 300));
}

static void test_garbage_refused(void **state)
{
    world *w = *state;
    natsMsg *reply = NULL;
    assert_int_equal(vn_forward_serve_start(w->w.fw), VN_OK);
    assert_int_equal(natsConnection_Flush(w->w.nc), NATS_OK);
    const char *writer = vn_forward_writer_subject(w->w.fw);
    /* Three bad requests: junk, one of the right shape not sealed under
     * the cluster's key, and one of the version before, whose payloads
     * were in the clear. Each is refused with a reply. */
    uint8_t forged[1 + 24 + 32 + 5 + 16];
    memset(forged, 0, sizeof forged);
    forged[0] = 2;
    memcpy(forged + 25, device, 32);
    memcpy(forged + 57, "hello", 5);
    uint8_t version1[1 + 32 + 32 + 5];
    memset(version1, 0, sizeof version1);
    version1[0] = 1;
    memcpy(version1 + 1, device, 32);
    memcpy(version1 + 65, "hello", 5);
    const void *bad[] = {"garbage", forged, version1};
    const int bad_len[] = {7, (int)sizeof forged, (int)sizeof version1};
    for (int i = 0; i < 3; i++) {
        /* natsConnection_Request runs its own loop: the writer's loop must
         * turn meanwhile, so the request goes out and is pumped here. */
        natsInbox *inbox = NULL;
        natsSubscription *sub = NULL;
        assert_int_equal(natsInbox_Create(&inbox), NATS_OK);
        assert_int_equal(natsConnection_SubscribeSync(&sub, w->f.nc, inbox), NATS_OK);
        assert_int_equal(natsConnection_PublishRequest(w->f.nc, writer, inbox, bad[i], bad_len[i]),
                         NATS_OK);
        assert_true(pump_refused(w, w->w.fw, (uint64_t)i + 1, 5000));
        assert_int_equal(natsSubscription_NextMsg(&reply, sub, 5000), NATS_OK);
        const uint8_t *d = (const uint8_t *)natsMsg_GetData(reply);
        assert_true(natsMsg_GetDataLength(reply) > 2 + 24 + 16);
        assert_int_equal(d[0], 2);
        assert_int_equal(d[1], 1); /* refused */
        natsMsg_Destroy(reply);
        natsSubscription_Destroy(sub);
        natsInbox_Destroy(inbox);
    }
    assert_int_equal(w->w.served, 0);
    assert_int_equal(vn_forward_refused(w->w.fw), 3);
    /* Garbage on a watched account's push subject is not delivered. */
    char subject[VN_FORWARD_SUBJECT_MAX];
    assert_int_equal(vn_forward_watch(w->f.fw, alice), VN_OK);
    assert_int_equal(natsConnection_Flush(w->f.nc), NATS_OK);
    vn_forward_push_subject(w->f.fw, alice, subject);
    uint8_t fake[1 + 24 + 4 + 16] = {2};
    memcpy(fake + 25, "fake", 4);
    assert_int_equal(natsConnection_Publish(w->w.nc, subject, fake, sizeof fake), NATS_OK);
    assert_int_equal(natsConnection_PublishString(w->w.nc, subject, "x"), NATS_OK);
    assert_true(pump_refused(w, w->f.fw, 2, 5000));
    assert_int_equal(w->f.pushes, 0);
    /* A real push still goes through afterwards. */
    assert_int_equal(vn_forward_push(w->w.fw, alice, (const uint8_t *)"real", 4), VN_OK);
    assert_true(pump(w, &w->f.pushes, 1, 5000));
    assert_string_equal(w->f.push_frame, "real");
    /* And a real request. */
    assert_int_equal(vn_forward_request(w->f.fw, (const uint8_t *)"ok", 2, device, on_reply, &w->f),
                     VN_OK);
    assert_true(pump(w, &w->f.replies, 1, 5000));
    assert_int_equal(w->f.reply_err, VN_OK);
    assert_string_equal(w->f.reply, "re:ok");
}

/* A node with another key: its requests are refused by the writer, its
 * pushes are not delivered. */
static void test_other_key(void **state)
{
    world *w = *state;
    uint8_t key[VN_FORWARD_KEY_LEN] = {9};
    node o = {0};
    assert_int_equal(natsConnection_ConnectTo(&o.nc, w->url), NATS_OK);
    assert_int_equal(vn_forward_open(&o.fw, o.nc, key, &w->loop, on_serve, on_push, &o), VN_OK);
    assert_int_equal(vn_forward_serve_start(w->w.fw), VN_OK);
    assert_int_equal(natsConnection_Flush(w->w.nc), NATS_OK);
    /* Another key names another writer subject: nobody listens there. */
    assert_string_not_equal(vn_forward_writer_subject(o.fw), vn_forward_writer_subject(w->w.fw));
    assert_int_equal(vn_forward_request(o.fw, (const uint8_t *)"z", 1, device, on_reply, &o),
                     VN_OK);
    assert_true(pump(w, &o.replies, 1, 5000));
    assert_int_equal(o.reply_err, VN_ETIMEOUT);
    assert_int_equal(w->w.served, 0);
    vn_forward_close(&o.fw);
    uv_run(&w->loop, UV_RUN_NOWAIT);
    natsConnection_Destroy(o.nc);
}

/* Does d[0..n) hold needle anywhere? */
static bool holds(const char *d, size_t n, const void *needle, size_t len)
{
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(d + i, needle, len) == 0) return true;
    return false;
}

/* What crosses NATS is sealed: a listener on every forwarding subject
 * (someone on the NATS network, or a NATS server without TLS) sees the
 * request, its reply and a push, and finds neither frame nor the device
 * key in them. */
static void test_sealed_on_the_wire(void **state)
{
    world *w = *state;
    natsConnection *spy_nc = NULL;
    natsSubscription *spy = NULL;
    natsMsg *m = NULL;
    static const char req[] = "request-frame-in-the-clear";
    static const char push[] = "push-frame-in-the-clear";
    assert_int_equal(natsConnection_ConnectTo(&spy_nc, w->url), NATS_OK);
    assert_int_equal(natsConnection_SubscribeSync(&spy, spy_nc, "vn.fw.>"), NATS_OK);
    assert_int_equal(natsConnection_Flush(spy_nc), NATS_OK);
    assert_int_equal(vn_forward_serve_start(w->w.fw), VN_OK);
    assert_int_equal(vn_forward_watch(w->f.fw, alice), VN_OK);
    assert_int_equal(natsConnection_Flush(w->w.nc), NATS_OK);
    assert_int_equal(natsConnection_Flush(w->f.nc), NATS_OK);
    assert_int_equal(
        vn_forward_request(w->f.fw, (const uint8_t *)req, sizeof req - 1, device, on_reply, &w->f),
        VN_OK);
    assert_true(pump(w, &w->f.replies, 1, 5000));
    assert_string_equal(w->f.reply, "re:request-frame-in-the-clear");
    assert_memory_equal(w->w.served_key, device, 32);
    assert_int_equal(vn_forward_push(w->w.fw, alice, (const uint8_t *)push, sizeof push - 1),
                     VN_OK);
    assert_true(pump(w, &w->f.pushes, 1, 5000));
    assert_string_equal(w->f.push_frame, push);
    int seen = 0;
    while (natsSubscription_NextMsg(&m, spy, 1000) == NATS_OK) {
        const char *d = natsMsg_GetData(m);
        size_t n = (size_t)natsMsg_GetDataLength(m);
        seen++;
        assert_false(holds(d, n, "in-the-clear", 12));
        assert_false(holds(d, n, device, 32));
        natsMsg_Destroy(m);
        if (seen == 3) break;
    }
    assert_int_equal(seen, 3); /* the request, its reply and the push */
    natsSubscription_Destroy(spy);
    natsConnection_Destroy(spy_nc);
}

int main(void)
{
    if (system("command -v nats-server >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_forward: skipped: no nats-server on the PATH "
                        "(deploy/install-deps.sh installs it)\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_writer_and_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_on_the_wire, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    nats_Close();
    return rc;
}
