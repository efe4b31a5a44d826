/* bench_relay: how fast does vangnetd relay messages between subscribed
 * clients, and how long does one message take from send to push?
 *
 * The program starts a real vangnetd on 127.0.0.1 with a temporary state
 * directory, joins N clients through invite codes, subscribes each to
 * pushes and pairs them in rings. The routing policy only lets people of
 * one case talk and a case holds at most 63 members, so the clients are
 * buddies of ceil(N/50) cases a benchmark casemanager opens, and each sends
 * to the next buddy of its own case. vangnetd runs with its rate limits
 * lifted and room for 10,000 queued replies a connection (--send-queue);
 * a send refused anyway is resent after the delay the server
 * names, and counted in the output.
 * Every body is `size` random bytes padded with vn_pad_encode, exactly as a
 * real client pads its ciphertext, so the server stores and pushes one
 * padded bucket per message.
 *
 * Why not vn_conn: vn_conn_call is synchronous by design (one request in
 * flight, and its reply only leaves the server after the group commit's
 * fsync), and every vn_conn owns a ZeroMQ context with its own threads. One
 * benchmark thread driving vn_conn could only ever measure one fsync per
 * message. So the benchmark speaks the same wire protocol with the same
 * framing and padding code (vn_frame_*, vn_pad_*) over its own DEALER
 * sockets under CURVE, all in one context, and keeps many requests in
 * flight on each of them.
 *
 * Two phases, both over the same connections:
 *  - throughput: up to --window messages are in flight at once (sent but
 *    not yet pushed to the recipient), spread evenly over the senders, so
 *    many requests share one server transaction the way real traffic does.
 *    It reports delivered messages per second of wall time and the
 *    send-to-push latency under that load.
 *  - latency: one message at a time, so the figures are those of an idle
 *    server: one request, one commit, one push.
 *  - open loop (--rate R, instead of the throughput phase): messages are
 *    offered at R a second over all senders for --duration seconds, each on
 *    its schedule whatever became of the ones before, and a message's
 *    latency counts from its scheduled time, so a server that falls behind
 *    shows it in the latency instead of slowing the offer (no coordinated
 *    omission). It reports p50/p99/p99.9 and the rate achieved.
 * With --idle N, N more connections (fresh keys, each answered once, so
 * authenticated) stay idle through the phases, and the server's resident
 * memory before and after them gives the cost of one (relay_idle.c).
 * Each message carries a magic, its sequence number and the monotonic time
 * just before its send in the first payload bytes; the rest is a pseudo
 * random stream derived from the sequence number, which the receiver
 * checks, so a corrupted, misrouted or duplicated message is noticed.
 * Receivers ack what they got in batches, as real clients do. At the end
 * every mailbox must be empty: every message was delivered exactly once
 * and deleted. Anything else is a failure and a non-zero exit.
 * With --kill9 K the server is killed (SIGKILL) K times during the first
 * phase and restarted on the same store and endpoint; the clients recover
 * the way a real one does (kill_restart), and the same check must hold. */
/* nftw() (removing the temporary directory) is an XSI extension. */
#define _XOPEN_SOURCE 700

#include "vn/conn.h"
#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/pad.h"
#include "vn/rand.h"
#include "vn/parse.h"
#include "vn/be.h"
#include "vn/account.h"
#include <stdint.h>

#include "relay_idle.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define MAGIC            0x564e4231u  /* "VNB1" */
#define HEADER_LEN       20           /* magic, sequence number, send time */
#define CTL_BIT          (1ULL << 63) /* request ids of redeem, subscribe, ack, fetch */
#define ACK_MAX          1024         /* ids per ack, the server's limit */
#define PER_SENDER_MAX   400          /* keeps every pipe well under ZeroMQ's HWM of 1000 */
#define REPLY_MAX        (VN_FRAME_MAX_DEFAULT * 2)
#define STALL_MS         5000 /* no delivery for this long: fetch what the pushes lost */
#define STALLS_MAX       3    /* then give up */
#define SETUP_TIMEOUT_MS 30000
#define INVITE_PARALLEL  8 /* `vangnetd invite` processes at once */
#define LOG_TAIL         8192
#define SERVER_ARGS_MAX  16
#define CLIENTS_MAX      250
#define CASE_CLIENTS     50 /* clients per case (a case holds at most 63 members) */
#define CASES_MAX        ((CLIENTS_MAX + CASE_CLIENTS - 1) / CASE_CLIENTS)
/* The benchmark measures the relay, not the abuse limits: lift the
 * per-pair limit as far as `vangnetd run` allows. */
#define RATE_MAX    "1000000"
#define INBOUND_MAX "1000000000000"

/* Command-line settings. */
typedef struct opts {
    const char *vangnetd;                     /* path of the server binary */
    const char *tmpdir;                       /* where the temporary state directory goes */
    size_t clients;                           /* N */
    size_t messages;                          /* M, throughput phase */
    size_t latency_msgs;                      /* messages of the latency phase */
    size_t size;                              /* payload bytes before padding */
    size_t window;                            /* messages in flight in the throughput phase */
    size_t rate;                              /* open loop: messages offered a second (0: off) */
    size_t duration;                          /* open loop: seconds */
    size_t idle;                              /* idle connections held through the phases */
    size_t kill9;                             /* kill -9 and restarts of the server in the run */
    bool keep;                                /* keep the state directory */
    const char *server_args[SERVER_ARGS_MAX]; /* extra arguments of `vangnetd run` */
    size_t nserver_args;
} opts;

/* One benchmark client: a device with its own key pair and connection. */
typedef struct client {
    void *sock;                       /* DEALER under CURVE */
    char account[VN_ACCOUNT_HEX + 1]; /* from the Redeemed reply */
    bool subscribed;                  /* Subscribed reply seen */
    size_t inflight;                  /* own sends not yet pushed to the recipient */
    uint8_t (*ack_ids)[VN_MSGID_LEN]; /* delivered ids waiting for an ack */
    size_t nack;                      /* how many */
    bool refetch;                     /* a fetch came back full: fetch again after the ack */
    uint8_t pub[32], sec[32];         /* its CURVE key pair (a reconnect after a kill needs it) */
} client;

/* What the benchmark knows about one message. */
typedef struct msg {
    int64_t t_send;           /* CLOCK_MONOTONIC ns just before the first send */
    uint8_t id[VN_MSGID_LEN]; /* message id: run prefix + sequence number */
    bool sent;                /* Sent reply received */
    bool delivered;           /* reached the recipient */
    unsigned pushes;          /* pushes of it seen; two in one server run are a duplicate */
    unsigned push_epoch;      /* the server run (epoch) of the last push */
    int64_t retry_at;         /* resend due at (ns) after a rate-limit refusal; 0 if none */
} msg;

/* Figures of one phase. */
typedef struct phase_result {
    size_t count;                /* messages delivered */
    int64_t wall_ns;             /* first send to last delivery */
    int64_t p50, p99, p999, max; /* send-to-push latency, ns */
} phase_result;

typedef struct bench {
    opts o;
    char dir[4096];                   /* temporary directory */
    char state[4096];                 /* state directory inside it */
    char store_key[4096];             /* the store key, beside the state directory */
    char log[4096];                   /* the server's stderr */
    pid_t server;                     /* vangnetd run, or 0 */
    void *zctx;                       /* one ZeroMQ context for all clients */
    client *cl;                       /* N ring clients, then the casemanager at index N */
    size_t ncl;                       /* N + 1 */
    zmq_pollitem_t *items;            /* one per client */
    char case_id[VN_ACCOUNT_HEX + 1]; /* the case last created */
    char case_ids[CASES_MAX][VN_ACCOUNT_HEX + 1]; /* the cases the ring clients are buddies in */
    uint8_t server_key[32];
    char endpoint[VN_ENDPOINT_MAX + 1];
    msg *msgs; /* every message of both phases */
    size_t nmsgs;
    uint8_t run_id[8];  /* random prefix of message ids */
    size_t padded_len;  /* size of a padded body */
    uint64_t next_ctl;  /* next control request id */
    size_t ctl_pending; /* control requests without a reply */
    int64_t *lat;       /* latencies of the current phase */
    size_t nlat;
    size_t phase_delivered; /* deliveries in the current phase */
    int64_t last_delivery;  /* time of the latest delivery */
    size_t delivered_total; /* all deliveries */
    size_t via_fetch;       /* deliveries whose push was lost */
    size_t duplicates;      /* pushes of an already delivered message */
    size_t bad;             /* corrupt, misrouted or foreign envelopes */
    size_t acked;           /* sum of Acked counts */
    size_t retries;         /* sends refused with RATE and resent */
    size_t pending_retries; /* of those, not yet resent */
    bool final_check;       /* fetch replies now count as leftovers */
    size_t leftover;        /* envelopes still stored at the end */
    bool failed;            /* a fatal error was reported */
    /* --kill9: the server is killed and restarted on the same store. */
    unsigned epoch;     /* server runs so far, less one */
    uint64_t ctl_floor; /* control ids below this were sent to a killed server */
    size_t redelivered; /* pushed again by a later server run (its ack was lost) */
    size_t resent;      /* sends resent because a killed server never confirmed them */
    int64_t restart_ns; /* time spent killing and restarting, all runs */
} bench;

static void fail(bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(bench *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_relay: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    b->failed = true;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- child processes ---- */

/* Starts argv with stdout on a pipe (*out_fd) or, with log set, stdout and
 * stderr appended to that file. The child dies with us. */
static pid_t spawn(char *const argv[], int *out_fd, const char *log)
{
    int pfd[2] = {-1, -1};
    if (out_fd && pipe(pfd) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        if (out_fd) {
            close(pfd[0]);
            close(pfd[1]);
        }
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (out_fd) {
            dup2(pfd[1], STDOUT_FILENO);
            close(pfd[0]);
            close(pfd[1]);
        }
        if (log) {
            int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) {
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
                close(fd);
            }
        }
        execv(argv[0], argv);
        _exit(127);
    }
    if (out_fd) {
        close(pfd[1]);
        *out_fd = pfd[0];
    }
    return pid;
}

/* Reads the child's stdout into out (NUL-terminated, first line only) and
 * reaps it. Returns 0 if it exited with status 0. */
static int finish(pid_t pid, int fd, char *out, size_t size)
{
    size_t len = 0;
    for (;;) {
        char chunk[512];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size_t take = (size_t)n < size - 1 - len ? (size_t)n : size - 1 - len;
        memcpy(out + len, chunk, take);
        len += take;
    }
    close(fd);
    out[len] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int run_tool(char *const argv[], char *out, size_t size)
{
    int fd;
    pid_t pid = spawn(argv, &fd, NULL);
    if (pid < 0) return -1;
    return finish(pid, fd, out, size);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void print_log_tail(const bench *b)
{
    char buf[LOG_TAIL + 1];
    int fd = open(b->log, O_RDONLY);
    if (fd < 0) return;
    off_t end = lseek(fd, 0, SEEK_END);
    lseek(fd, end > LOG_TAIL ? end - LOG_TAIL : 0, SEEK_SET);
    ssize_t n = read(fd, buf, LOG_TAIL);
    close(fd);
    if (n <= 0) return;
    buf[n] = '\0';
    fprintf(stderr, "---- vangnetd log (tail) ----\n%s----\n", buf);
}

/* Waits for `vangnetd run` to write DIR/endpoint. */
static int wait_endpoint(bench *b)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/endpoint", b->state);
    int64_t deadline = now_ns() + (int64_t)10 * 1000000000;
    while (now_ns() < deadline) {
        int status;
        if (waitpid(b->server, &status, WNOHANG) == b->server) {
            b->server = 0;
            fail(b, "vangnetd run exited before it listened");
            return -1;
        }
        FILE *f = fopen(path, "r");
        if (f) {
            char line[VN_ENDPOINT_MAX + 2];
            bool ok = fgets(line, sizeof line, f) != NULL && strchr(line, '\n') != NULL;
            fclose(f);
            if (ok) {
                size_t len = strcspn(line, "\r\n");
                if (len > VN_ENDPOINT_MAX) len = VN_ENDPOINT_MAX;
                memcpy(b->endpoint, line, len);
                b->endpoint[len] = '\0';
                return 0;
            }
        }
        usleep(10000);
    }
    fail(b, "vangnetd did not write %s within 10 s", path);
    return -1;
}

/* Runs `vangnetd run` on listen: a free port at first, the same endpoint
 * after a kill -9 (the clients reconnect to it). */
static int run_server(bench *b, const char *listen)
{
    char path[4200];
    /* A restart must not read the endpoint its predecessor wrote. */
    snprintf(path, sizeof path, "%s/endpoint", b->state);
    unlink(path);
    /* The abuse limits would measure themselves, not the relay: lift them. */
    char *run[24 + SERVER_ARGS_MAX] = {
        (char *)b->o.vangnetd, "run",        "--state",           b->state,
        "--store-key",         b->store_key, "--listen",          (char *)listen,
        "--rate-burst",        RATE_MAX,     "--rate-per-sec",    RATE_MAX,
        "--account-burst",     RATE_MAX,     "--account-per-sec", RATE_MAX,
        "--inbound-burst",     INBOUND_MAX,  "--inbound-per-sec", INBOUND_MAX};
    size_t k = 20;
    /* The window puts up to 400 sends a client in flight, and an open
     * loop a burst the bench reads late: the slow-reader limit (64 replies
     * queued per connection by default) would drop their replies and the
     * benchmark would measure its own resends. */
    run[k++] = "--send-queue";
    run[k++] = "10000";
    for (size_t i = 0; i < b->o.nserver_args; i++)
        run[k++] = (char *)b->o.server_args[i];
    b->server = spawn(run, NULL, b->log);
    if (b->server < 0) {
        b->server = 0;
        fail(b, "cannot start %s: %s", b->o.vangnetd, strerror(errno));
        return -1;
    }
    return wait_endpoint(b);
}

static int start_server(bench *b)
{
    char out[256];
    char *init[] = {(char *)b->o.vangnetd, "init",       "--state", b->state,
                    "--store-key",         b->store_key, NULL};
    if (run_tool(init, out, sizeof out) != 0) {
        fail(b, "`%s init --state %s` failed", b->o.vangnetd, b->state);
        return -1;
    }
    return run_server(b, "tcp://127.0.0.1:*");
}

static void stop_server(bench *b)
{
    if (b->server <= 0) return;
    kill(b->server, SIGTERM);
    int status;
    for (int i = 0; i < 1000; i++) { /* up to 10 s */
        pid_t r = waitpid(b->server, &status, WNOHANG);
        if (r == b->server || (r < 0 && errno != EINTR)) {
            b->server = 0;
            return;
        }
        usleep(10000);
    }
    fprintf(stderr, "bench_relay: vangnetd ignored SIGTERM for 10 s; killing it\n");
    kill(b->server, SIGKILL);
    waitpid(b->server, &status, 0);
    b->server = 0;
}

/* Creates count invites for role (into case_id if not NULL), a few
 * `vangnetd invite` processes at a time (each opens the store, so they
 * serialise on its write lock). */
static int make_invites(bench *b, vn_invite *inv, size_t count, const char *role,
                        const char *case_id)
{
    char *argv[] = {(char *)b->o.vangnetd,
                    "invite",
                    "--state",
                    b->state,
                    "--store-key",
                    b->store_key,
                    "--role",
                    (char *)role,
                    case_id ? "--case" : NULL,
                    (char *)case_id,
                    NULL};
    for (size_t done = 0; done < count;) {
        pid_t pid[INVITE_PARALLEL];
        int fd[INVITE_PARALLEL];
        size_t k = 0;
        for (; k < INVITE_PARALLEL && done + k < count; k++) {
            pid[k] = spawn(argv, &fd[k], NULL);
            if (pid[k] < 0) break;
        }
        int bad = 0;
        for (size_t j = 0; j < k; j++) {
            char code[VN_INVITE_TEXT_MAX + 8];
            if (finish(pid[j], fd[j], code, sizeof code) != 0 ||
                vn_invite_decode(code, &inv[done + j]) != VN_OK)
                bad++;
        }
        if (k == 0 || bad) {
            fail(b, "`vangnetd invite` failed or printed no valid code");
            return -1;
        }
        done += k;
    }
    return 0;
}

/* ---- wire ---- */

static int send_request(bench *b, size_t ci, Vn__Request *req)
{
    uint8_t *buf = NULL;
    size_t len;
    req->version = VN_PROTOCOL_VERSION;
    vn_err err = vn_frame_request_encode(req, VN_FRAME_MAX_DEFAULT, &buf, &len);
    if (err) {
        fail(b, "cannot encode a request: %s", vn_err_str(err));
        return -1;
    }
    /* Blocking send: the window keeps every pipe below its high-water mark. */
    int rc = zmq_send(b->cl[ci].sock, buf, len, 0);
    free(buf);
    if (rc < 0) {
        fail(b, "send on client %zu failed: %s", ci, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

static int send_ctl(bench *b, size_t ci, Vn__Request *req)
{
    req->request_id = CTL_BIT | b->next_ctl++;
    if (send_request(b, ci, req)) return -1;
    b->ctl_pending++;
    return 0;
}

static uint64_t stream_next(uint64_t *s)
{
    /* xorshift64*: cheap, and all we need is bytes the receiver can recompute */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void fill_stream(uint64_t seq, uint8_t *p, size_t len)
{
    uint64_t s = (seq + 1) * 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = stream_next(&s);
        for (size_t k = 0; k < 8 && i + k < len; k++)
            p[i + k] = (uint8_t)(v >> (8 * k));
    }
}

static size_t sender_of(const bench *b, size_t seq)
{
    return seq % b->o.clients;
}

/* Clients are spread over ceil(N / CASE_CLIENTS) cases, client i in case
 * i mod ncases, and each sends to the next client of its own case (the
 * routing policy lets buddies of one case message each other). */
static size_t ncases(const bench *b)
{
    return (b->o.clients + CASE_CLIENTS - 1) / CASE_CLIENTS;
}

static size_t recipient_of(const bench *b, size_t seq)
{
    size_t i = sender_of(b, seq), g = ncases(b), next = i + g;
    return next < b->o.clients ? next : i % g;
}

/* Sends message seq (again, after a refusal: same id, same bytes). */
static int send_msg(bench *b, size_t seq)
{
    msg *m = &b->msgs[seq];
    size_t si = sender_of(b, seq), ri = recipient_of(b, seq);
    uint8_t *payload = malloc(b->o.size), *body = NULL;
    size_t body_len;
    if (!payload) {
        fail(b, "out of memory");
        return -1;
    }
    if (m->t_send == 0) m->t_send = now_ns();
    vn_be_put32(payload, MAGIC);
    vn_be_put64(payload + 4, seq);
    vn_be_put64(payload + 12, (uint64_t)m->t_send);
    fill_stream(seq, payload + HEADER_LEN, b->o.size - HEADER_LEN);
    vn_err err = vn_pad_encode(payload, b->o.size, &body, &body_len);
    free(payload);
    if (err) {
        fail(b, "cannot pad a %zu-byte payload: %s", b->o.size, vn_err_str(err));
        return -1;
    }
    Vn__Send s = VN__SEND__INIT;
    s.to = b->cl[ri].account;
    s.id.data = m->id;
    s.id.len = VN_MSGID_LEN;
    s.body.data = body;
    s.body.len = body_len;
    Vn__Request req = VN__REQUEST__INIT;
    req.request_id = seq + 1;
    req.body_case = VN__REQUEST__BODY_SEND;
    req.send = &s;
    int rc = send_request(b, si, &req);
    free(body);
    return rc;
}

/* Acks what client ci received so far. */
static int flush_ack(bench *b, size_t ci)
{
    client *c = &b->cl[ci];
    ProtobufCBinaryData ids[ACK_MAX];
    if (c->nack == 0) return 0;
    for (size_t i = 0; i < c->nack; i++) {
        ids[i].data = c->ack_ids[i];
        ids[i].len = VN_MSGID_LEN;
    }
    Vn__Ack a = VN__ACK__INIT;
    a.n_ids = c->nack;
    a.ids = ids;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_ACK;
    req.ack = &a;
    int rc = send_ctl(b, ci, &req);
    c->nack = 0;
    return rc;
}

static void queue_ack(bench *b, size_t ci, const uint8_t id[VN_MSGID_LEN])
{
    client *c = &b->cl[ci];
    if (c->nack == ACK_MAX) flush_ack(b, ci);
    memcpy(c->ack_ids[c->nack++], id, VN_MSGID_LEN);
}

/* Checks one envelope that reached client ci and records its delivery. */
static void on_envelope(bench *b, size_t ci, const Vn__Envelope *e, bool via_fetch)
{
    const uint8_t *p;
    size_t plen;
    int64_t t = now_ns();
    if (b->final_check) b->leftover++;
    if (vn_pad_decode(e->body.data, e->body.len, &p, &plen) != VN_OK || plen != b->o.size ||
        vn_be_get32(p) != MAGIC) {
        b->bad++;
        return;
    }
    uint64_t seq = vn_be_get64(p + 4);
    if (seq >= b->nmsgs || recipient_of(b, seq) != ci || e->id.len != VN_MSGID_LEN ||
        memcmp(e->id.data, b->msgs[seq].id, VN_MSGID_LEN) != 0) {
        b->bad++;
        return;
    }
    msg *m = &b->msgs[seq];
    if (!via_fetch) {
        /* A later server run pushes again what a killed one pushed but
         * whose ack it never committed: that is a redelivery, the id
         * tells the receiver it has it. Twice from one run is a duplicate. */
        if (m->pushes > 0 && m->push_epoch == b->epoch)
            b->duplicates++;
        else if (m->pushes > 0 || (m->delivered && b->epoch > 0))
            b->redelivered++;
        m->pushes++;
        m->push_epoch = b->epoch;
    }
    /* A fetch also returns delivered envelopes whose ack is on its way.
     * After a kill -9 that ack may be lost: ack again (an ack of an id
     * already gone counts nothing). */
    if (m->delivered) {
        if (b->o.kill9) queue_ack(b, ci, e->id.data);
        return;
    }
    uint8_t *expect = malloc(plen - HEADER_LEN + 1);
    bool intact = expect != NULL;
    if (intact) {
        fill_stream(seq, expect, plen - HEADER_LEN);
        intact = memcmp(expect, p + HEADER_LEN, plen - HEADER_LEN) == 0;
    }
    free(expect);
    if (!intact) {
        b->bad++;
        return;
    }
    m->delivered = true;
    b->delivered_total++;
    b->phase_delivered++;
    b->last_delivery = t;
    if (via_fetch) b->via_fetch++;
    b->lat[b->nlat++] = t - (int64_t)vn_be_get64(p + 12);
    b->cl[sender_of(b, seq)].inflight--;
    queue_ack(b, ci, e->id.data);
}

static void on_send_reply(bench *b, size_t ci, const Vn__Reply *r)
{
    uint64_t seq = r->request_id - 1;
    if (seq >= b->nmsgs || sender_of(b, seq) != ci) {
        fail(b, "reply to unknown request %llu on client %zu", (unsigned long long)r->request_id,
             ci);
        return;
    }
    msg *m = &b->msgs[seq];
    if (r->body_case == VN__REPLY__BODY_SENT) {
        if (r->sent->id.len != VN_MSGID_LEN || memcmp(r->sent->id.data, m->id, VN_MSGID_LEN))
            fail(b, "Sent reply for message %llu names another id", (unsigned long long)seq);
        m->sent = true;
        return;
    }
    if (r->body_case == VN__REPLY__BODY_ERROR && r->error->code == VN_ERATE) {
        /* The same id again later: the server de-duplicates it. */
        uint64_t after = r->error->retry_after_ms ? r->error->retry_after_ms : 100;
        m->retry_at = now_ns() + (int64_t)after * 1000000;
        b->retries++;
        b->pending_retries++;
        return;
    }
    if (r->body_case == VN__REPLY__BODY_ERROR)
        fail(b, "server refused message %llu: %s (%s)", (unsigned long long)seq,
             vn_err_name(r->error->code), r->error->message ? r->error->message : "");
    else
        fail(b, "unexpected reply type %d to a send", (int)r->body_case);
}

static void on_ctl_reply(bench *b, size_t ci, const Vn__Reply *r)
{
    client *c = &b->cl[ci];
    /* The replies a killed server still sent were written off at the restart. */
    if ((r->request_id & ~CTL_BIT) >= b->ctl_floor) b->ctl_pending--;
    switch (r->body_case) {
    case VN__REPLY__BODY_REDEEMED:
        if (!r->redeemed->account || !vn_account_valid(r->redeemed->account)) {
            fail(b, "redeem of client %zu returned no account id", ci);
            return;
        }
        memcpy(c->account, r->redeemed->account, VN_ACCOUNT_HEX + 1);
        return;
    case VN__REPLY__BODY_SUBSCRIBED:
        c->subscribed = true;
        if (r->subscribed->waiting != 0 && b->epoch == 0)
            fail(b, "a fresh account has %u waiting messages", r->subscribed->waiting);
        return;
    case VN__REPLY__BODY_ACKED:
        b->acked += r->acked->count;
        return;
    case VN__REPLY__BODY_CASE_INFO:
        if (!r->case_info->case_id || !vn_account_valid(r->case_info->case_id)) {
            fail(b, "the new case has no valid id");
            return;
        }
        memcpy(b->case_id, r->case_info->case_id, VN_ACCOUNT_HEX + 1);
        return;
    case VN__REPLY__BODY_ENVELOPES: /* a fetch */
        for (size_t i = 0; i < r->envelopes->n_envelopes; i++)
            on_envelope(b, ci, r->envelopes->envelopes[i], true);
        /* After a restart a mailbox may hold more than one fetch returns. */
        if (b->o.kill9 && !b->final_check && r->envelopes->n_envelopes == VN_FETCH_MAX)
            c->refetch = true;
        return;
    case VN__REPLY__BODY_ERROR:
        fail(b, "client %zu: server error %s: %s", ci, vn_err_name(r->error->code),
             r->error->message ? r->error->message : "");
        return;
    default:
        fail(b, "client %zu: unexpected reply type %d", ci, (int)r->body_case);
    }
}

/* Asks for what waits in client ci's mailbox (the replies come in pump). */
static int fetch_one(bench *b, size_t ci)
{
    Vn__Fetch f = VN__FETCH__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_FETCH;
    req.fetch = &f;
    f.max = VN_FETCH_MAX;
    return send_ctl(b, ci, &req);
}

/* Receives everything waiting on client ci. */
static void drain(bench *b, size_t ci)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, b->cl[ci].sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            if (errno != EAGAIN) fail(b, "receive failed: %s", zmq_strerror(errno));
            return;
        }
        Vn__Reply *r = NULL;
        vn_err err = vn_frame_reply_decode(zmq_msg_data(&m), zmq_msg_size(&m), REPLY_MAX, &r);
        bool more = zmq_msg_more(&m);
        zmq_msg_close(&m);
        if (err || more) {
            fail(b, "client %zu received a malformed frame (%s)", ci,
                 err ? vn_err_name(err) : "several parts");
            vn_frame_reply_free(r);
            return;
        }
        if (r->request_id == 0 && r->body_case == VN__REPLY__BODY_ENVELOPES) {
            for (size_t i = 0; i < r->envelopes->n_envelopes; i++)
                on_envelope(b, ci, r->envelopes->envelopes[i], false);
        } else if (r->request_id & CTL_BIT) {
            on_ctl_reply(b, ci, r);
        } else {
            on_send_reply(b, ci, r);
        }
        vn_frame_reply_free(r);
    }
}

/* Waits up to timeout_ms for traffic, handles it, then acks what arrived. */
static void pump(bench *b, int timeout_ms)
{
    int rc = zmq_poll(b->items, (int)b->ncl, timeout_ms);
    if (rc < 0) {
        if (errno != EINTR) fail(b, "poll failed: %s", zmq_strerror(errno));
        return;
    }
    for (size_t i = 0; rc > 0 && i < b->ncl; i++)
        if (b->items[i].revents & ZMQ_POLLIN) drain(b, i);
    for (size_t i = 0; i < b->o.clients; i++) {
        flush_ack(b, i);
        if (b->cl[i].refetch) {
            b->cl[i].refetch = false;
            fetch_one(b, i);
        }
    }
}

/* Pumps until no control request is waiting for its reply. */
static int await_ctl(bench *b, const char *what)
{
    int64_t deadline = now_ns() + (int64_t)SETUP_TIMEOUT_MS * 1000000;
    while (b->ctl_pending > 0 && !b->failed) {
        if (now_ns() > deadline) {
            fail(b, "%s: %zu replies missing after %d s", what, b->ctl_pending,
                 SETUP_TIMEOUT_MS / 1000);
            return -1;
        }
        pump(b, 100);
    }
    return b->failed ? -1 : 0;
}

/* ---- setup ---- */

/* Connects client i with a fresh key pair, pinning the invite's server
 * key, and sends its redeem. */
/* Connects client i with its key pair to the server (key b->server_key). */
static int connect_client(bench *b, size_t i)
{
    int zero = 0;
    client *c = &b->cl[i];
    c->sock = zmq_socket(b->zctx, ZMQ_DEALER);
    bool ok = c->sock && !zmq_setsockopt(c->sock, ZMQ_CURVE_SERVERKEY, b->server_key, 32) &&
              !zmq_setsockopt(c->sock, ZMQ_CURVE_PUBLICKEY, c->pub, 32) &&
              !zmq_setsockopt(c->sock, ZMQ_CURVE_SECRETKEY, c->sec, 32) &&
              !zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero) &&
              !zmq_connect(c->sock, b->endpoint);
    if (!ok) {
        fail(b, "cannot connect client %zu to %s: %s", i, b->endpoint, zmq_strerror(errno));
        return -1;
    }
    b->items[i].socket = c->sock;
    b->items[i].events = ZMQ_POLLIN;
    return 0;
}

static int open_client(bench *b, size_t i, const vn_invite *inv)
{
    client *c = &b->cl[i];
    if (vn_conn_curve_keypair(c->pub, c->sec) != VN_OK) {
        fail(b, "cannot make a CURVE key pair");
        return -1;
    }
    memcpy(b->server_key, inv->server_key, sizeof b->server_key);
    if (connect_client(b, i)) return -1;
    Vn__Redeem rd = VN__REDEEM__INIT;
    rd.secret.data = (uint8_t *)inv->secret;
    rd.secret.len = VN_INVITE_SECRET_LEN;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_REDEEM;
    req.redeem = &rd;
    return send_ctl(b, i, &req);
}

/* The routing policy lets a buddy message the other buddies of their own
 * case, so the rings are buddies of a few cases: a casemanager joins and
 * opens the cases, and the buddies are invited into them. All ring
 * connections redeem at once, then all subscribe. */
static int join_all(bench *b)
{
    size_t n = b->o.clients;
    int rc = -1;
    vn_invite *inv = calloc(n + 1, sizeof *inv);
    if (!inv) {
        fail(b, "out of memory");
        return -1;
    }
    if (make_invites(b, &inv[n], 1, "casemanager", NULL) || open_client(b, n, &inv[n]) ||
        await_ctl(b, "redeem (casemanager)"))
        goto out;
    size_t g = ncases(b);
    for (size_t k = 0; k < g; k++) {
        Vn__CaseNew cn = VN__CASE_NEW__INIT;
        Vn__Request req = VN__REQUEST__INIT;
        req.body_case = VN__REQUEST__BODY_CASE_NEW;
        req.case_new = &cn;
        if (send_ctl(b, n, &req) || await_ctl(b, "new case")) goto out;
        memcpy(b->case_ids[k], b->case_id, sizeof b->case_id);
    }
    for (size_t i = 0; i < n; i++)
        if (make_invites(b, &inv[i], 1, "buddy", b->case_ids[i % g])) goto out;
    for (size_t i = 0; i < n; i++)
        if (open_client(b, i, &inv[i])) goto out;
    if (await_ctl(b, "redeem")) goto out;
    for (size_t i = 0; i < n; i++) {
        Vn__Subscribe sb = VN__SUBSCRIBE__INIT;
        Vn__Request sreq = VN__REQUEST__INIT;
        sreq.body_case = VN__REQUEST__BODY_SUBSCRIBE;
        sreq.subscribe = &sb;
        if (send_ctl(b, i, &sreq)) goto out;
    }
    rc = await_ctl(b, "subscribe");
out:
    explicit_bzero(inv, (n + 1) * sizeof *inv);
    free(inv);
    return rc;
}

/* ---- phases ---- */

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, c = *(const int64_t *)y;
    return (a > c) - (a < c);
}

/* Nearest-rank percentile of sorted v[0..n). */
static int64_t percentile(const int64_t *v, size_t n, unsigned pct)
{
    size_t rank = (n * pct + 99) / 100;
    return v[rank ? rank - 1 : 0];
}

/* Nearest-rank per-mille of sorted v[0..n). */
static int64_t permille(const int64_t *v, size_t n, unsigned pm)
{
    size_t rank = (n * pm + 999) / 1000;
    return v[rank ? rank - 1 : 0];
}

static void fetch_lost(bench *b)
{
    for (size_t i = 0; i < b->o.clients; i++)
        if (fetch_one(b, i)) return;
}

static void resend_due(bench *b, size_t first, size_t end)
{
    int64_t t = now_ns();
    for (size_t s = first; s < end && b->pending_retries > 0; s++) {
        msg *m = &b->msgs[s];
        if (m->retry_at == 0 || m->retry_at > t) continue;
        m->retry_at = 0;
        b->pending_retries--;
        if (send_msg(b, s)) return;
    }
}

/* kill -9 of the server in the middle of the traffic, and a restart on
 * the same store and endpoint. Whatever was in flight is lost both ways.
 * Each client connects again with its keys, as a real one does when its
 * server stops answering: the new connection drops what the old one still
 * queued (ZeroMQ would otherwise deliver it to the new server, next to the
 * resend: two copies in flight, and if the first is delivered and acked
 * before the second arrives, the store, which forgets an id once it is
 * acked, takes the second as new). Then it subscribes again, fetches what
 * waits (pushes of the dead server never came), and resends, with the same
 * id and bytes, every message the dead server never confirmed; the store's
 * message index makes a resend of a stored one a no-op. Replies to control
 * requests sent to the dead server are not awaited any more. */
static int kill_restart(bench *b, size_t first, size_t next)
{
    int64_t t0 = now_ns();
    int status;
    char endpoint[sizeof b->endpoint];
    kill(b->server, SIGKILL);
    while (waitpid(b->server, &status, 0) < 0 && errno == EINTR) {
    }
    b->server = 0;
    /* What the dead server sent before it died still counts (a Sent
     * reply read here is a send not to repeat): read it first. */
    for (int64_t until = now_ns() + 100 * 1000000; now_ns() < until && !b->failed;)
        pump(b, 10);
    b->epoch++;
    b->ctl_floor = b->next_ctl;
    b->ctl_pending = 0;
    memcpy(endpoint, b->endpoint, sizeof endpoint);
    if (run_server(b, endpoint)) return -1;
    for (size_t i = 0; i < b->o.clients; i++) {
        zmq_close(b->cl[i].sock); /* linger 0: what it queued is dropped */
        b->cl[i].sock = NULL;
        b->cl[i].nack = 0; /* those come again by the fetch below */
        if (connect_client(b, i)) return -1;
    }
    for (size_t i = 0; i < b->o.clients; i++) {
        Vn__Subscribe sb = VN__SUBSCRIBE__INIT;
        Vn__Request req = VN__REQUEST__INIT;
        req.body_case = VN__REQUEST__BODY_SUBSCRIBE;
        req.subscribe = &sb;
        if (send_ctl(b, i, &req)) return -1;
    }
    if (await_ctl(b, "subscribe after a restart")) return -1;
    fetch_lost(b);
    for (size_t s = first; s < next; s++) {
        msg *m = &b->msgs[s];
        if (m->sent || m->retry_at) continue; /* confirmed, or resent when due */
        b->resent++;
        if (send_msg(b, s)) return -1;
    }
    b->restart_ns += now_ns() - t0;
    return 0;
}

/* Kills the server once each count/(kill9+1) deliveries of the first
 * phase. Returns 1 after a restart, 0 if not yet, -1 on failure. */
static int maybe_kill9(bench *b, size_t first, size_t next, size_t count)
{
    if (first != 0 || b->epoch >= b->o.kill9) return 0;
    if (b->phase_delivered < count * (b->epoch + 1) / (b->o.kill9 + 1)) return 0;
    return kill_restart(b, first, next) ? -1 : 1;
}

/* Relays messages first..first+count with at most window in flight. */
static int run_phase(bench *b, size_t first, size_t count, size_t window, phase_result *res)
{
    size_t n = b->o.clients, end = first + count, next = first;
    size_t per_sender = (window + n - 1) / n;
    if (per_sender > PER_SENDER_MAX) per_sender = PER_SENDER_MAX;
    b->nlat = 0;
    b->phase_delivered = 0;
    int stalls = 0;
    int64_t t0 = now_ns(), progress_at = t0;
    size_t seen = 0;
    while (b->phase_delivered < count && !b->failed) {
        while (next < end && next - first - b->phase_delivered < window &&
               b->cl[sender_of(b, next)].inflight < per_sender) {
            b->cl[sender_of(b, next)].inflight++;
            if (send_msg(b, next++)) return -1;
        }
        if (b->pending_retries) resend_due(b, first, next);
        pump(b, b->pending_retries ? 10 : 1000);
        int killed = maybe_kill9(b, first, next, count);
        if (killed < 0) return -1;
        if (killed) progress_at = now_ns();
        if (b->phase_delivered != seen) {
            seen = b->phase_delivered;
            progress_at = now_ns();
        } else if (now_ns() - progress_at > (int64_t)STALL_MS * 1000000) {
            if (++stalls > STALLS_MAX) {
                fail(b, "stalled: %zu of %zu messages never arrived", count - seen, count);
                return -1;
            }
            fprintf(stderr, "bench_relay: no delivery for %d s; fetching stored messages\n",
                    STALL_MS / 1000);
            fetch_lost(b);
            progress_at = now_ns();
        }
        if (b->bad || b->duplicates) break;
    }
    res->count = b->phase_delivered;
    res->wall_ns = b->last_delivery - t0;
    /* Every send must be confirmed and every ack answered before the
     * next phase starts, so the phases do not overlap. */
    int64_t deadline = now_ns() + (int64_t)SETUP_TIMEOUT_MS * 1000000;
    for (size_t s = first; s < end && !b->failed; s++) {
        while (!b->msgs[s].sent && !b->failed && now_ns() < deadline) {
            if (b->pending_retries) resend_due(b, first, end);
            pump(b, 10);
        }
        if (!b->msgs[s].sent) fail(b, "message %zu was delivered but its send not confirmed", s);
    }
    if (await_ctl(b, "ack")) return -1;
    qsort(b->lat, b->nlat, sizeof b->lat[0], cmp_i64);
    if (b->nlat) {
        res->p50 = percentile(b->lat, b->nlat, 50);
        res->p99 = percentile(b->lat, b->nlat, 99);
        res->p999 = permille(b->lat, b->nlat, 999);
        res->max = b->lat[b->nlat - 1];
    }
    return b->failed ? -1 : 0;
}

/* Offers messages first..first+count at rate a second, message k at
 * t0 + k/rate whatever became of the ones before (open loop), then waits
 * for every delivery. Latency counts from the scheduled time. */
static int run_open_phase(bench *b, size_t first, size_t count, size_t rate, phase_result *res)
{
    size_t end = first + count, next = first;
    int64_t t0 = now_ns() + 1000000, progress_at = t0;
    size_t seen = 0;
    int stalls = 0;
    b->nlat = 0;
    b->phase_delivered = 0;
    while (b->phase_delivered < count && !b->failed) {
        int64_t t = now_ns();
        while (next < end) {
            int64_t due = t0 + (int64_t)((double)(next - first) * 1e9 / (double)rate);
            if (due > t) break;
            b->msgs[next].t_send = due;
            b->cl[sender_of(b, next)].inflight++;
            if (send_msg(b, next++)) return -1;
        }
        if (b->pending_retries) resend_due(b, first, next);
        int wait_ms = 10;
        if (next < end) {
            int64_t due = t0 + (int64_t)((double)(next - first) * 1e9 / (double)rate);
            wait_ms = due > now_ns() ? (int)((due - now_ns()) / 1000000) : 0;
        }
        pump(b, wait_ms);
        int killed = maybe_kill9(b, first, next, count);
        if (killed < 0) return -1;
        if (killed) progress_at = now_ns();
        if (b->phase_delivered != seen) {
            seen = b->phase_delivered;
            progress_at = now_ns();
        } else if (next == end && now_ns() - progress_at > (int64_t)STALL_MS * 1000000) {
            if (++stalls > STALLS_MAX) {
                fail(b, "stalled: %zu of %zu messages never arrived", count - seen, count);
                return -1;
            }
            fetch_lost(b);
            progress_at = now_ns();
        }
        if (b->bad || b->duplicates) break;
    }
    res->count = b->phase_delivered;
    res->wall_ns = b->last_delivery - t0;
    int64_t deadline = now_ns() + (int64_t)SETUP_TIMEOUT_MS * 1000000;
    for (size_t s = first; s < end && !b->failed; s++) {
        while (!b->msgs[s].sent && !b->failed && now_ns() < deadline) {
            if (b->pending_retries) resend_due(b, first, end);
            pump(b, 10);
        }
        if (!b->msgs[s].sent) fail(b, "message %zu was delivered but its send not confirmed", s);
    }
    if (await_ctl(b, "ack")) return -1;
    qsort(b->lat, b->nlat, sizeof b->lat[0], cmp_i64);
    if (b->nlat) {
        res->p50 = percentile(b->lat, b->nlat, 50);
        res->p99 = percentile(b->lat, b->nlat, 99);
        res->p999 = permille(b->lat, b->nlat, 999);
        res->max = b->lat[b->nlat - 1];
    }
    return b->failed ? -1 : 0;
}

/* After a quiet moment to catch late duplicate pushes, every mailbox must be empty. */
static int verify_empty(bench *b)
{
    int64_t until = now_ns() + 300 * 1000000;
    while (now_ns() < until && !b->failed)
        pump(b, 50);
    if (await_ctl(b, "final ack")) return -1;
    b->final_check = true;
    fetch_lost(b);
    return await_ctl(b, "final fetch");
}

/* ---- main ---- */

static int parse_size(const char *s, const char *name, uint64_t min, uint64_t max, size_t *out)
{
    uint64_t v;
    if (!s || vn_parse_u64(s, min, max, &v) != VN_OK) {
        fprintf(stderr, "bench_relay: %s must be a number from %llu to %llu\n", name,
                (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static const char usage[] =
    "usage: bench_relay --vangnetd PATH [--clients N] [--messages M] [--size BYTES]\n"
    "                   [--window W] [--latency-messages L] [--tmpdir DIR] [--keep]\n"
    "                   [--rate R [--duration S]] [--idle N] [--kill9 K]\n"
    "                   [--server-arg ARG]...\n"
    "\n"
    "Starts vangnetd with a temporary state directory, joins N clients (each\n"
    "sends to the next buddy of its case) and relays M messages of BYTES payload,\n"
    "padded to a size bucket, with up to W in flight (throughput phase); then L\n"
    "messages one at a time (latency phase). Fails unless every message arrives\n"
    "exactly once. Defaults: N 2, M 10000, BYTES 512, W 256, L 1000.\n"
    "The clients are buddies of ceil(N/50) cases, each sending to the next buddy of\n"
    "its own case (the routing policy). vangnetd runs with its rate limits lifted\n"
    "(--rate-*, --account-*, --inbound-*) and --send-queue 10000; --server-arg adds more `vangnetd "
    "run`\n"
    "arguments. Sends refused by a rate limit are resent after the delay the\n"
    "server names, and counted.\n"
    "--rate R: open loop instead of the throughput phase: R messages a second\n"
    "offered over the N senders for S seconds (default 10), whatever the server\n"
    "does; latency from each message's scheduled time; p50/p99/p99.9 and the\n"
    "rate achieved. --idle N: N more connections, authenticated and then idle,\n"
    "held through the phases; prints the server's memory per connection (raise\n"
    "its --max-connections with --server-arg; the descriptor limit is raised\n"
    "as far as allowed).\n"
    "--kill9 K: K times in the first phase (evenly over its deliveries) kill -9\n"
    "the server and restart it on the same store and endpoint; the clients\n"
    "connect again, subscribe again, fetch what waits and resend, with the same\n"
    "ids, what was not confirmed. Every message must still arrive exactly once (a push again\n"
    "after a restart, its ack lost, is counted as redelivered, not duplicate)\n"
    "and every mailbox end empty.\n";

static int parse_args(int argc, char **argv, opts *o)
{
    const char *tmp = getenv("TMPDIR");
    *o = (opts){.clients = 2,
                .messages = 10000,
                .size = 512,
                .window = 256,
                .latency_msgs = 1000,
                .duration = 10,
                .tmpdir = tmp && *tmp ? tmp : "/tmp"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (strcmp(a, "--keep") == 0) {
            o->keep = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "bench_relay: %s needs a value (or is unknown)\n%s", a, usage);
            return -1;
        }
        if (strcmp(a, "--vangnetd") == 0) {
            o->vangnetd = v;
        } else if (strcmp(a, "--tmpdir") == 0) {
            o->tmpdir = v;
        } else if (strcmp(a, "--server-arg") == 0) {
            if (o->nserver_args == SERVER_ARGS_MAX) {
                fprintf(stderr, "bench_relay: at most %d --server-arg\n", SERVER_ARGS_MAX);
                return -1;
            }
            o->server_args[o->nserver_args++] = v;
        } else if (strcmp(a, "--clients") == 0) {
            rc = parse_size(v, a, 2, CLIENTS_MAX, &o->clients);
        } else if (strcmp(a, "--messages") == 0) {
            rc = parse_size(v, a, 1, 100000000, &o->messages);
        } else if (strcmp(a, "--latency-messages") == 0) {
            rc = parse_size(v, a, 0, 1000000, &o->latency_msgs);
        } else if (strcmp(a, "--size") == 0) {
            rc = parse_size(v, a, HEADER_LEN, VN_BODY_MAX - 4, &o->size);
        } else if (strcmp(a, "--window") == 0) {
            rc = parse_size(v, a, 1, 100000, &o->window);
        } else if (strcmp(a, "--rate") == 0) {
            rc = parse_size(v, a, 1, 1000000, &o->rate);
        } else if (strcmp(a, "--duration") == 0) {
            rc = parse_size(v, a, 1, 3600, &o->duration);
        } else if (strcmp(a, "--idle") == 0) {
            rc = parse_size(v, a, 1, 1000000, &o->idle);
        } else if (strcmp(a, "--kill9") == 0) {
            rc = parse_size(v, a, 1, 100, &o->kill9);
        } else {
            fprintf(stderr, "bench_relay: unknown option %s\n%s", a, usage);
            return -1;
        }
        if (rc) return -1;
        i++;
    }
    /* Open loop: the message count follows from the rate. */
    if (o->rate) o->messages = o->rate * o->duration;
    if (o->kill9 && o->idle) {
        fprintf(stderr, "bench_relay: --kill9 and --idle do not combine (the idle connections "
                        "measure one server's memory)\n");
        return -1;
    }
    if (o->kill9 && o->kill9 >= o->messages) {
        fprintf(stderr, "bench_relay: --kill9 %zu needs more than %zu messages\n", o->kill9,
                o->messages);
        return -1;
    }
    if (!o->vangnetd || !o->tmpdir) {
        fprintf(stderr, "bench_relay: --vangnetd PATH is required\n%s", usage);
        return -1;
    }
    if (access(o->vangnetd, X_OK) != 0) {
        fprintf(stderr, "bench_relay: %s is not an executable\n", o->vangnetd);
        return -1;
    }
    return 0;
}

static void print_phase(const char *title, const phase_result *r, bool rate)
{
    double secs = (double)r->wall_ns / 1e9;
    printf("%s\n", title);
    printf("  delivered          %zu messages\n", r->count);
    printf("  wall time          %.3f s (first send to last push)\n", secs);
    if (rate)
        printf("  throughput         %.0f messages/s\n", secs > 0 ? (double)r->count / secs : 0.0);
    printf("  send-to-push ms    p50 %.3f   p99 %.3f   p99.9 %.3f   max %.3f\n",
           (double)r->p50 / 1e6, (double)r->p99 / 1e6, (double)r->p999 / 1e6, (double)r->max / 1e6);
}

/* Everything after argument parsing; b->failed or -1 means failure. */
static int run(bench *b, phase_result *tp, phase_result *lp, double *setup_s, relay_idle *idle)
{
    int64_t t0 = now_ns();
    if (start_server(b)) return -1;
    b->ncl = b->o.clients + 1;
    b->cl = calloc(b->ncl, sizeof *b->cl);
    b->items = calloc(b->ncl, sizeof *b->items);
    b->nmsgs = b->o.messages + b->o.latency_msgs;
    b->msgs = calloc(b->nmsgs, sizeof *b->msgs);
    b->lat = calloc(b->nmsgs, sizeof *b->lat);
    if (!b->cl || !b->items || !b->msgs || !b->lat) {
        fail(b, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < b->ncl; i++) {
        b->cl[i].ack_ids = calloc(ACK_MAX, VN_MSGID_LEN);
        if (!b->cl[i].ack_ids) {
            fail(b, "out of memory");
            return -1;
        }
    }
    if (vn_rand_bytes(b->run_id, sizeof b->run_id)) {
        fail(b, "no randomness");
        return -1;
    }
    for (size_t s = 0; s < b->nmsgs; s++) {
        memcpy(b->msgs[s].id, b->run_id, sizeof b->run_id);
        vn_be_put64(b->msgs[s].id + 8, s);
    }
    b->zctx = zmq_ctx_new();
    if (!b->zctx) {
        fail(b, "cannot create a ZeroMQ context");
        return -1;
    }
    if (join_all(b)) return -1;
    *setup_s = (double)(now_ns() - t0) / 1e9;
    if (b->o.idle) {
        char why[256];
        if (relay_idle_open(idle, b->endpoint, b->server_key, b->server, b->o.idle, 600, why,
                            sizeof why)) {
            fail(b, "idle connections: %s", why);
            return -1;
        }
    }
    if (b->o.rate ? run_open_phase(b, 0, b->o.messages, b->o.rate, tp)
                  : run_phase(b, 0, b->o.messages, b->o.window, tp))
        return -1;
    if (b->o.latency_msgs && run_phase(b, b->o.messages, b->o.latency_msgs, 1, lp)) return -1;
    return verify_empty(b);
}

static void cleanup(bench *b)
{
    if (b->cl) {
        for (size_t i = 0; i < b->ncl; i++) {
            if (b->cl[i].sock) zmq_close(b->cl[i].sock);
            explicit_bzero(b->cl[i].sec, sizeof b->cl[i].sec);
            free(b->cl[i].ack_ids);
        }
    }
    if (b->zctx) zmq_ctx_term(b->zctx);
    stop_server(b);
    if (b->failed) print_log_tail(b);
    if (b->o.keep)
        fprintf(stderr, "bench_relay: kept %s\n", b->dir);
    else if (b->dir[0])
        nftw(b->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(b->cl);
    free(b->items);
    free(b->msgs);
    free(b->lat);
}

int main(int argc, char **argv)
{
    bench b = {0};
    relay_idle idle = {0};
    long nofile = 0;
    phase_result tp = {0}, lp = {0};
    double setup_s = 0;
    if (parse_args(argc, argv, &b.o)) return 2;
    if (vn_pad_bucket(b.o.size) == 0) {
        fprintf(stderr, "bench_relay: --size %zu does not fit any padding bucket\n", b.o.size);
        return 2;
    }
    b.padded_len = vn_pad_bucket(b.o.size);
    if ((size_t)snprintf(b.dir, sizeof b.dir, "%s/bench_relay.XXXXXX", b.o.tmpdir) >=
            sizeof b.dir ||
        !mkdtemp(b.dir)) {
        fprintf(stderr, "bench_relay: cannot create a directory in %s: %s\n", b.o.tmpdir,
                strerror(errno));
        return 1;
    }
    snprintf(b.state, sizeof b.state, "%.4000s/state", b.dir);
    snprintf(b.store_key, sizeof b.store_key, "%.4000s/store.key", b.dir);
    snprintf(b.log, sizeof b.log, "%.4000s/vangnetd.log", b.dir);

    /* The server, which inherits the limit, holds a descriptor for each
     * idle connection. */
    if (b.o.idle) nofile = relay_idle_raise_nofile((long)(b.o.idle + 4096));
    int rc = run(&b, &tp, &lp, &setup_s, &idle);
    long rss_end = b.server > 0 ? relay_idle_rss_kb(b.server) : -1;
    size_t idle_n = idle.n;
    relay_idle_close(&idle); /* its children end; the figures stay */
    cleanup(&b);
    if (b.bad) fprintf(stderr, "bench_relay: %zu corrupt or misrouted envelopes\n", b.bad);
    if (b.duplicates) fprintf(stderr, "bench_relay: %zu duplicate pushes\n", b.duplicates);
    if (b.leftover)
        fprintf(stderr, "bench_relay: %zu envelopes still stored after their ack\n", b.leftover);
    size_t expect = b.o.messages + b.o.latency_msgs;
    /* After a kill -9 an Acked reply can be lost with its server (and a
     * redelivered envelope is acked again): the empty mailboxes at the end
     * (leftover) are the check then. */
    bool ok = rc == 0 && !b.failed && !b.bad && !b.duplicates && !b.leftover &&
              b.delivered_total == expect && (b.o.kill9 || b.acked == expect);
    if (rc == 0 && !ok)
        fprintf(stderr, "bench_relay: delivered %zu, acked %zu, expected %zu\n", b.delivered_total,
                b.acked, expect);

    printf("bench_relay: vangnetd relay benchmark\n");
    printf("  clients            %zu in %zu case%s (each sends to the next buddy of its case)\n",
           b.o.clients, ncases(&b), ncases(&b) == 1 ? "" : "s");
    printf("  messages           %zu throughput + %zu latency\n", b.o.messages, b.o.latency_msgs);
    printf("  payload            %zu bytes, padded body %zu bytes\n", b.o.size, b.padded_len);
    if (!b.o.rate)
        printf("  window             %zu in flight (at most %zu per sender)\n", b.o.window,
               (b.o.window + b.o.clients - 1) / b.o.clients < PER_SENDER_MAX
                   ? (b.o.window + b.o.clients - 1) / b.o.clients
                   : (size_t)PER_SENDER_MAX);
    printf("  setup              %.2f s (init, start, invites, redeem, subscribe)\n", setup_s);
    if (b.o.idle) {
        printf("idle connections   %zu of %zu open and answered in %.1f s (descriptor limit %ld)\n",
               idle_n, b.o.idle, idle.open_s, nofile);
        if (idle.rss_before_kb > 0 && idle.rss_after_kb > 0 && idle_n)
            printf("  server RSS         %ld KiB before, %ld KiB with them, %ld KiB at the end: "
                   "%.1f KiB per connection\n",
                   idle.rss_before_kb, idle.rss_after_kb, rss_end,
                   (double)(idle.rss_after_kb - idle.rss_before_kb) / (double)idle_n);
    }
    if (tp.count && b.o.rate) {
        printf("open loop          %zu messages/s offered over %zu senders for %zu s\n", b.o.rate,
               b.o.clients, b.o.duration);
        print_phase("open-loop phase (latency from the scheduled send)", &tp, true);
    } else if (tp.count)
        print_phase("throughput phase (pipelined)", &tp, true);
    if (lp.count) print_phase("latency phase (one message at a time)", &lp, false);
    printf("check\n");
    printf("  delivered          %zu of %zu, %zu via fetch after a lost push\n", b.delivered_total,
           expect, b.via_fetch);
    printf("  duplicates         %zu   corrupt/misrouted %zu   left stored %zu\n", b.duplicates,
           b.bad, b.leftover);
    printf("  acked              %zu   rate-limited and resent %zu\n", b.acked, b.retries);
    if (b.o.kill9)
        printf(
            "  kill -9            %u of %zu restarts (%.2f s), %zu sends resent, %zu redelivered\n",
            b.epoch, b.o.kill9, (double)b.restart_ns / 1e9, b.resent, b.redelivered);
    printf("result: %s\n", ok ? "OK, every message delivered exactly once" : "FAILED");
    return ok ? 0 : 1;
}
