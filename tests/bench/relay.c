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
#include "relay.h"

#include "proc.h"
#include "relay_idle.h"
#include "vn/be.h"
#include "vn/pad.h"
#include "vn/parse.h"
#include "vn/rand.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void fetch_lost(bench *b)
{
    for (size_t i = 0; i < b->o.clients; i++)
        if (relay_fetch_one(b, i)) return;
}

static void resend_due(bench *b, size_t first, size_t end)
{
    int64_t t = bench_now_ns();
    for (size_t s = first; s < end && b->pending_retries > 0; s++) {
        msg *m = &b->msgs[s];
        if (m->retry_at == 0 || m->retry_at > t) continue;
        m->retry_at = 0;
        b->pending_retries--;
        if (relay_send_msg(b, s)) return;
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
    int64_t t0 = bench_now_ns();
    int status;
    char endpoint[sizeof b->endpoint];
    kill(b->server, SIGKILL);
    while (waitpid(b->server, &status, 0) < 0 && errno == EINTR) {
    }
    b->server = 0;
    /* What the dead server sent before it died still counts (a Sent
     * reply read here is a send not to repeat): read it first. */
    for (int64_t until = bench_now_ns() + 100 * 1000000; bench_now_ns() < until && !b->failed;)
        relay_pump(b, 10);
    b->epoch++;
    b->ctl_floor = b->next_ctl;
    b->ctl_pending = 0;
    memcpy(endpoint, b->endpoint, sizeof endpoint);
    if (relay_run_server(b, endpoint)) return -1;
    for (size_t i = 0; i < b->o.clients; i++) {
        zmq_close(b->cl[i].sock); /* linger 0: what it queued is dropped */
        b->cl[i].sock = NULL;
        b->cl[i].nack = 0; /* those come again by the fetch below */
        if (relay_connect_client(b, i)) return -1;
    }
    for (size_t i = 0; i < b->o.clients; i++) {
        Vn__Subscribe sb = VN__SUBSCRIBE__INIT;
        Vn__Request req = VN__REQUEST__INIT;
        req.body_case = VN__REQUEST__BODY_SUBSCRIBE;
        req.subscribe = &sb;
        if (relay_send_ctl(b, i, &req)) return -1;
    }
    if (relay_await_ctl(b, "subscribe after a restart")) return -1;
    fetch_lost(b);
    for (size_t s = first; s < next; s++) {
        msg *m = &b->msgs[s];
        if (m->sent || m->retry_at) continue; /* confirmed, or resent when due */
        b->resent++;
        if (relay_send_msg(b, s)) return -1;
    }
    b->restart_ns += bench_now_ns() - t0;
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

/* The server's user and system time so far, ns: per message it says what
 * the server's own work costs, which a busy machine blurs less than a
 * rate does. */
static int64_t server_cpu_ns(const bench *b)
{
    return bench_proc_cpu_ns(b->server);
}

/* The end of a phase: its figures, once every send is confirmed and every
 * ack answered, so the phases do not overlap. */
static int end_phase(bench *b, size_t first, size_t end, int64_t t0, phase_result *res)
{
    res->count = b->phase_delivered;
    res->wall_ns = b->last_delivery - t0;
    /* A restarted server (--kill9) has counted anew: no figure then. */
    res->server_cpu_ns = b->o.kill9 ? 0 : server_cpu_ns(b) - res->server_cpu_ns;
    int64_t deadline = bench_now_ns() + (int64_t)SETUP_TIMEOUT_MS * 1000000;
    for (size_t s = first; s < end && !b->failed; s++) {
        while (!b->msgs[s].sent && !b->failed && bench_now_ns() < deadline) {
            if (b->pending_retries) resend_due(b, first, end);
            relay_pump(b, 10);
        }
        if (!b->msgs[s].sent)
            relay_fail(b, "message %zu was delivered but its send not confirmed", s);
    }
    if (relay_await_ctl(b, "ack")) return -1;
    bench_sort_i64(b->lat, b->nlat);
    if (b->nlat) {
        res->p50 = bench_permille(b->lat, b->nlat, 500);
        res->p99 = bench_permille(b->lat, b->nlat, 990);
        res->p999 = bench_permille(b->lat, b->nlat, 999);
        res->max = b->lat[b->nlat - 1];
    }
    return b->failed ? -1 : 0;
}

/* Relays messages first..first+count with at most window in flight. */
static int run_phase(bench *b, size_t first, size_t count, size_t window, phase_result *res)
{
    size_t n = b->o.clients, end = first + count, next = first;
    size_t per_sender = (window + n - 1) / n;
    if (per_sender > PER_SENDER_MAX) per_sender = PER_SENDER_MAX;
    b->nlat = 0;
    b->phase_delivered = 0;
    res->server_cpu_ns = server_cpu_ns(b);
    int stalls = 0;
    int64_t t0 = bench_now_ns(), progress_at = t0;
    size_t seen = 0;
    while (b->phase_delivered < count && !b->failed) {
        while (next < end && next - first - b->phase_delivered < window &&
               b->cl[relay_sender_of(b, next)].inflight < per_sender) {
            b->cl[relay_sender_of(b, next)].inflight++;
            if (relay_send_msg(b, next++)) return -1;
        }
        if (b->pending_retries) resend_due(b, first, next);
        relay_pump(b, b->pending_retries ? 10 : 1000);
        int killed = maybe_kill9(b, first, next, count);
        if (killed < 0) return -1;
        if (killed) progress_at = bench_now_ns();
        if (b->phase_delivered != seen) {
            seen = b->phase_delivered;
            progress_at = bench_now_ns();
        } else if (bench_now_ns() - progress_at > (int64_t)STALL_MS * 1000000) {
            if (++stalls > STALLS_MAX) {
                relay_fail(b, "stalled: %zu of %zu messages never arrived", count - seen, count);
                return -1;
            }
            fprintf(stderr, "bench_relay: no delivery for %d s; fetching stored messages\n",
                    STALL_MS / 1000);
            fetch_lost(b);
            progress_at = bench_now_ns();
        }
        if (b->bad || b->duplicates) break;
    }
    return end_phase(b, first, end, t0, res);
}

/* Offers messages first..first+count at rate a second, message k at
 * t0 + k/rate whatever became of the ones before (open loop), then waits
 * for every delivery. Latency counts from the scheduled time. */
static int run_open_phase(bench *b, size_t first, size_t count, size_t rate, phase_result *res)
{
    size_t end = first + count, next = first;
    int64_t t0 = bench_now_ns() + 1000000, progress_at = t0;
    size_t seen = 0;
    int stalls = 0;
    b->nlat = 0;
    b->phase_delivered = 0;
    res->server_cpu_ns = server_cpu_ns(b);
    while (b->phase_delivered < count && !b->failed) {
        int64_t t = bench_now_ns();
        while (next < end) {
            int64_t due = t0 + (int64_t)((double)(next - first) * 1e9 / (double)rate);
            if (due > t) break;
            b->msgs[next].t_send = due;
            b->cl[relay_sender_of(b, next)].inflight++;
            if (relay_send_msg(b, next++)) return -1;
        }
        if (b->pending_retries) resend_due(b, first, next);
        int64_t until = bench_now_ns() + 10 * 1000000;
        if (next < end) until = t0 + (int64_t)((double)(next - first) * 1e9 / (double)rate);
        relay_pump_until(b, until);
        int killed = maybe_kill9(b, first, next, count);
        if (killed < 0) return -1;
        if (killed) progress_at = bench_now_ns();
        if (b->phase_delivered != seen) {
            seen = b->phase_delivered;
            progress_at = bench_now_ns();
        } else if (next == end && bench_now_ns() - progress_at > (int64_t)STALL_MS * 1000000) {
            if (++stalls > STALLS_MAX) {
                relay_fail(b, "stalled: %zu of %zu messages never arrived", count - seen, count);
                return -1;
            }
            fetch_lost(b);
            progress_at = bench_now_ns();
        }
        if (b->bad || b->duplicates) break;
    }
    return end_phase(b, first, end, t0, res);
}

/* After a quiet moment to catch late duplicate pushes, every mailbox must be empty. */
static int verify_empty(bench *b)
{
    int64_t until = bench_now_ns() + 300 * 1000000;
    while (bench_now_ns() < until && !b->failed)
        relay_pump(b, 50);
    if (relay_await_ctl(b, "final ack")) return -1;
    b->final_check = true;
    fetch_lost(b);
    return relay_await_ctl(b, "final fetch");
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
    "                   [--rate R [--duration S]] [--idle N] [--newcomers] [--kill9 K]\n"
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
    "--newcomers: during the first phase a fresh connection every 250 ms\n"
    "(new key, one whoami): how long its handshake and first reply take.\n"
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
        if (strcmp(a, "--newcomers") == 0) {
            o->newcomers = true;
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
    if (r->count && r->server_cpu_ns > 0)
        printf("  server CPU         %.3f s, %.1f us per message (user and system, all threads)\n",
               (double)r->server_cpu_ns / 1e9, (double)r->server_cpu_ns / 1e3 / (double)r->count);
}

/* Everything after argument parsing; b->failed or -1 means failure. */
static int run(bench *b, phase_result *tp, phase_result *lp, double *setup_s, relay_idle *idle,
               relay_newcomers *newc)
{
    int64_t t0 = bench_now_ns();
    if (relay_start_server(b)) return -1;
    b->ncl = b->o.clients + 1;
    b->cl = calloc(b->ncl, sizeof *b->cl);
    b->items = calloc(b->ncl, sizeof *b->items);
    b->nmsgs = b->o.messages + b->o.latency_msgs;
    b->msgs = calloc(b->nmsgs, sizeof *b->msgs);
    b->lat = calloc(b->nmsgs, sizeof *b->lat);
    if (!b->cl || !b->items || !b->msgs || !b->lat) {
        relay_fail(b, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < b->ncl; i++) {
        b->cl[i].ack_ids = calloc(ACK_MAX, VN_MSGID_LEN);
        if (!b->cl[i].ack_ids) {
            relay_fail(b, "out of memory");
            return -1;
        }
    }
    if (vn_rand_bytes(b->run_id, sizeof b->run_id)) {
        relay_fail(b, "no randomness");
        return -1;
    }
    for (size_t s = 0; s < b->nmsgs; s++) {
        memcpy(b->msgs[s].id, b->run_id, sizeof b->run_id);
        vn_be_put64(b->msgs[s].id + 8, s);
    }
    b->zctx = zmq_ctx_new();
    if (!b->zctx) {
        relay_fail(b, "cannot create a ZeroMQ context");
        return -1;
    }
    if (relay_join_all(b)) return -1;
    *setup_s = (double)(bench_now_ns() - t0) / 1e9;
    if (b->o.idle) {
        char why[256];
        if (relay_idle_open(idle, b->endpoint, b->server_key, b->server, b->o.idle, 600, why,
                            sizeof why)) {
            relay_fail(b, "idle connections: %s", why);
            return -1;
        }
    }
    if (b->o.newcomers && relay_newcomers_start(newc, b->endpoint, b->server_key)) {
        relay_fail(b, "cannot start the newcomers");
        return -1;
    }
    int phase = b->o.rate ? run_open_phase(b, 0, b->o.messages, b->o.rate, tp)
                          : run_phase(b, 0, b->o.messages, b->o.window, tp);
    relay_newcomers_stop(newc);
    if (phase) return -1;
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
    relay_stop_server(b);
    if (b->failed) relay_print_log_tail(b);
    if (b->o.keep)
        fprintf(stderr, "bench_relay: kept %s\n", b->dir);
    else if (b->dir[0])
        bench_rm_tree(b->dir);
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
    relay_newcomers newc = {0};
    int rc = run(&b, &tp, &lp, &setup_s, &idle, &newc);
    long rss_end = b.server > 0 ? bench_proc_rss_kb(b.server) : -1;
    size_t idle_n = idle.n;
    /* Its children end; then whether the server gives their memory back. */
    int released = b.o.idle && b.server > 0 ? relay_idle_release(&idle, b.server, 120, 3) : 0;
    relay_idle_close(&idle);
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
           b.o.clients, relay_ncases(&b), relay_ncases(&b) == 1 ? "" : "s");
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
        if (idle.rss_closed_kb > 0 && idle.rss_after_kb > idle.rss_before_kb)
            printf("  after they closed  %ld KiB (%.0f %% of their memory given back; closed in "
                   "%.1f s%s, then 3 s)\n",
                   idle.rss_closed_kb,
                   100.0 * (double)(rss_end - idle.rss_closed_kb) /
                       (double)(rss_end - idle.rss_before_kb),
                   idle.close_s, released ? ", NOT ALL" : "");
        printf("  server descriptors %ld before, %ld with them\n", idle.fds_before, idle.fds_with);
    }
    if (b.o.newcomers) {
        printf(
            "newcomers          %zu fresh connections during the first phase, one every 250 ms\n",
            newc.n + newc.lost);
        if (newc.n)
            printf("  handshake + first reply ms  p50 %.1f   p90 %.1f   max %.1f   (%zu got no "
                   "answer in 30 s)\n",
                   newc.ms[newc.n / 2], newc.ms[newc.n * 9 / 10], newc.ms[newc.n - 1], newc.lost);
        free(newc.ms);
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
