/* bench_floor: the transport's own ceiling. The message pattern of
 * bench_relay through a bare ZeroMQ ROUTER under CURVE that does nothing
 * else: no store, no fsync, no protobuf, no policy. Whatever vangnetd does
 * on top of the same libzmq on the same machine, it cannot beat these
 * figures, so they say which goals of the relay the transport alone rules
 * out.
 *
 * What one message costs, in the same CURVE frames as bench_relay's run of
 * vangnetd (one ZeroMQ frame each way per request, reply or push; the
 * ROUTER's routing id never crosses the wire). Lengths are those of the
 * protobuf frames bench_relay sends for the same --size, computed at start
 * from the protocol's own types (frame_sizes below; the bytes themselves
 * are this program's), and printed in the output; for a 512-byte payload
 * (padded by vn_pad to a 1,024-byte body):
 *   1. sender -> server    Send request, 1,120 bytes (recipient, 16-byte id,
 *                          padded body)
 *   2. server -> sender    Sent reply, 33 bytes (id, time)
 *   3. server -> recipient push, 1,060 bytes (one envelope: id, time, body)
 *   4. recipient -> server Ack of the k ids that arrived since its last
 *                          one, 15 + 18k bytes, 16 + 18k from 8 ids (one ack a
 *                          receiver each turn of the poll loop, at most
 *                          ACK_MAX ids, exactly as bench_relay batches)
 *   5. server -> recipient Acked reply with the count, 18 bytes (19 from
 *                          128 ids)
 * Each frame also carries CURVE's MESSAGE overhead (command name, nonce,
 * MAC, flags: 33 bytes) and ZMTP's frame header.
 *
 * The server is a forked process with one ZeroMQ context, as many I/O
 * threads as vangnetd chooses (one on a machine of two cores), a ZAP
 * handler on inproc://zeromq.zap.01 that admits every CURVE key with its
 * key as User-Id (vangnetd looks the key up in its store first), and a
 * ROUTER with vangnetd's options (listen.c: CURVE server, ZAP domain
 * enforced, ROUTER_MANDATORY, MAXMSGSIZE of four 64 KiB frames, send and
 * receive HWM 10,000 as bench_relay's --send-queue sets, SNDBUF 256 KiB,
 * LINGER 0, BACKLOG 4096). Its thread polls the ROUTER and the ZAP socket
 * with zmq_poll and answers each frame at once: a send gets its Sent reply
 * and its push to the recipient's connection (found by the client index in
 * the frame; each client said hello once, as a subscribe), an ack its
 * Acked count. Like vangnetd it gives freed memory back (malloc_trim) a
 * second after connections came.
 * Where vangnetd does more: it decodes and encodes protobuf, checks the
 * routing policy and rate limits, stores every message and every ack in
 * LMDB and fsyncs before any reply or push leaves (group commit), asks its
 * store in ZAP, reads a monitor socket for connection events and runs a
 * libuv loop on the sockets' ZMQ_FDs. Where the floor is the same: the
 * clients' side (DEALERs under CURVE in one context, zmq_poll in one
 * thread, the window, the ack batching, the payload check).
 *
 * --idle N: N DEALER connections, each with its own key, complete the
 * handshake and one request and reply (whoami-sized; the reply is 32
 * bytes), then stay idle; the server's resident memory before and after
 * gives the cost of one connection. The clients live in child processes of
 * IDLE_PER_PROC connections (two descriptors each), since the descriptor
 * limit of a process may not be ours to raise. --no-zap leaves the ZAP
 * handler out, to see what it costs: libzmq 4.3.4 keeps each connection's
 * pipe to the handler (a pipe pair: two queues of 256 messages) for the
 * connection's lifetime. --malloc-stats has the server print glibc's
 * figures while the connections are open. */
#define _GNU_SOURCE
#include "floor.h"

static void fail(floor_bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(floor_bench *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_floor: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    b->failed = true;
}

/* ---- frame lengths, from the protocol's types ---- */

static size_t request_len(Vn__Request *r)
{
    r->version = VN_PROTOCOL_VERSION;
    return vn__request__get_packed_size(r);
}

static size_t reply_len(Vn__Reply *r)
{
    r->version = VN_PROTOCOL_VERSION;
    return vn__reply__get_packed_size(r);
}

/* The frames bench_relay sends for m messages of size bytes: request ids
 * at their largest (m), a 64-hex-digit recipient, an envelope time now. */
static void frame_sizes_of(frame_sizes *fs, size_t size, size_t m)
{
    static uint8_t body[VN_BODY_MAX], ids[ACK_MAX][16];
    char to[65];
    memset(to, 'a', 64);
    to[64] = 0;
    uint64_t now_ms = (uint64_t)time(NULL) * 1000;
    fs->padded = vn_pad_bucket(size);
    ProtobufCBinaryData id = {16, ids[0]}, bd = {fs->padded, body};
    Vn__Send s = VN__SEND__INIT;
    s.to = to, s.id = id, s.body = bd;
    Vn__Request rq = VN__REQUEST__INIT;
    rq.request_id = m, rq.body_case = VN__REQUEST__BODY_SEND, rq.send = &s;
    fs->send = request_len(&rq);
    Vn__Sent st = VN__SENT__INIT;
    st.id = id, st.time_ms = now_ms;
    Vn__Reply rp = VN__REPLY__INIT;
    rp.request_id = m, rp.body_case = VN__REPLY__BODY_SENT, rp.sent = &st;
    fs->sent = reply_len(&rp);
    Vn__Envelope env = VN__ENVELOPE__INIT, *penv = &env;
    env.id = id, env.time_ms = now_ms, env.body = bd;
    Vn__Envelopes envs = VN__ENVELOPES__INIT;
    envs.n_envelopes = 1, envs.envelopes = &penv;
    Vn__Reply push = VN__REPLY__INIT;
    push.body_case = VN__REPLY__BODY_ENVELOPES, push.envelopes = &envs;
    fs->push = reply_len(&push);
    ProtobufCBinaryData pids[ACK_MAX];
    for (size_t k = 0; k < ACK_MAX; k++)
        pids[k] = (ProtobufCBinaryData){16, ids[k]};
    for (size_t k = 1; k <= ACK_MAX; k++) {
        Vn__Ack a = VN__ACK__INIT;
        a.n_ids = k, a.ids = pids;
        Vn__Request ar = VN__REQUEST__INIT;
        ar.request_id = CTL_BIT | m, ar.body_case = VN__REQUEST__BODY_ACK, ar.ack = &a;
        fs->ack[k] = request_len(&ar);
        Vn__Acked ad = VN__ACKED__INIT;
        ad.count = (uint32_t)k;
        Vn__Reply adr = VN__REPLY__INIT;
        adr.request_id = CTL_BIT | m, adr.body_case = VN__REPLY__BODY_ACKED, adr.acked = &ad;
        fs->acked[k] = reply_len(&adr);
    }
    Vn__Subscribe sb = VN__SUBSCRIBE__INIT;
    Vn__Request sr = VN__REQUEST__INIT;
    sr.request_id = CTL_BIT, sr.body_case = VN__REQUEST__BODY_SUBSCRIBE, sr.subscribe = &sb;
    fs->hello = request_len(&sr);
    Vn__Subscribed sd = VN__SUBSCRIBED__INIT;
    Vn__Reply sdr = VN__REPLY__INIT;
    sdr.request_id = CTL_BIT, sdr.body_case = VN__REPLY__BODY_SUBSCRIBED, sdr.subscribed = &sd;
    fs->hello_reply = reply_len(&sdr);
    Vn__Whoami w = VN__WHOAMI__INIT;
    Vn__Request wr = VN__REQUEST__INIT;
    wr.request_id = 1, wr.body_case = VN__REQUEST__BODY_WHOAMI, wr.whoami = &w;
    fs->whoami = request_len(&wr);
    /* The floor's own headers must fit in them. */
    if (fs->send < SEND_BODY_OFF + fs->padded) fs->send = SEND_BODY_OFF + fs->padded;
    if (fs->push < PUSH_BODY_OFF + fs->padded) fs->push = PUSH_BODY_OFF + fs->padded;
    for (size_t k = 1; k <= ACK_MAX; k++)
        if (fs->ack[k] < 5 + 16 * k) fs->ack[k] = 5 + 16 * k;
    if (fs->hello < 5) fs->hello = 5;
}

/* ---- the clients ---- */

static size_t sender_of(const floor_bench *b, size_t seq)
{
    return seq % b->o.clients;
}

/* bench_relay's partners: ceil(N/50) groups (its cases), client i in group
 * i mod g, each sending to the next client of its group. */
static size_t recipient_of(const floor_bench *b, size_t seq)
{
    size_t i = sender_of(b, seq), g = (b->o.clients + GROUP_CLIENTS - 1) / GROUP_CLIENTS;
    return i + g < b->o.clients ? i + g : i % g;
}

static int client_send(floor_bench *b, size_t ci, size_t len)
{
    if (zmq_send(b->cl[ci].sock, b->buf, len, 0) < 0) {
        fail(b, "send on client %zu failed: %s", ci, zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* Message seq: 'S', recipient, id (seq), then the body as vn_pad lays it
 * out: length, payload (magic, seq, time, stream), zeros. */
static int send_msg(floor_bench *b, size_t seq)
{
    uint8_t *f = b->buf, *body = f + SEND_BODY_OFF, *pl = body + 4;
    memset(f, 0, b->fs.send);
    f[0] = 'S';
    put32(f + 1, (uint32_t)recipient_of(b, seq));
    put64(f + 5, seq);
    put32(body, (uint32_t)b->o.size);
    b->msgs[seq].t_send = bench_now_ns();
    put32(pl, MAGIC);
    put64(pl + 4, seq);
    put64(pl + 12, (uint64_t)b->msgs[seq].t_send);
    bench_fill_stream(seq, pl + HEADER_LEN, b->o.size - HEADER_LEN);
    return client_send(b, sender_of(b, seq), b->fs.send);
}

static int flush_ack(floor_bench *b, size_t ci)
{
    fclient *c = &b->cl[ci];
    if (c->nack == 0) return 0;
    memset(b->buf, 0, b->fs.ack[c->nack]);
    b->buf[0] = 'A';
    put32(b->buf + 1, (uint32_t)c->nack);
    memcpy(b->buf + 5, c->ack_ids, c->nack * 16);
    int rc = client_send(b, ci, b->fs.ack[c->nack]);
    c->nack = 0;
    b->ctl_pending++;
    b->acks++;
    return rc;
}

static void on_push(floor_bench *b, size_t ci, const uint8_t *f, size_t len)
{
    const uint8_t *body = f + PUSH_BODY_OFF, *pl = body + 4;
    int64_t t = bench_now_ns();
    uint64_t seq = get64(f + ID_OFF);
    if (len != b->fs.push || seq >= b->o.messages || recipient_of(b, seq) != ci ||
        get32(body) != b->o.size || get32(pl) != MAGIC || get64(pl + 4) != seq) {
        b->bad++;
        return;
    }
    if (b->msgs[seq].delivered) {
        b->duplicates++;
        return;
    }
    uint8_t expect[VN_BODY_MAX];
    bench_fill_stream(seq, expect, b->o.size - HEADER_LEN);
    if (memcmp(expect, pl + HEADER_LEN, b->o.size - HEADER_LEN) != 0) {
        b->bad++;
        return;
    }
    b->msgs[seq].delivered = true;
    b->lat[b->delivered++] = t - (int64_t)get64(pl + 12);
    b->last_delivery = t;
    b->cl[sender_of(b, seq)].inflight--;
    fclient *c = &b->cl[ci];
    if (c->nack == ACK_MAX) flush_ack(b, ci);
    memcpy(c->ack_ids[c->nack++], f + ID_OFF, 16);
}

static void on_frame(floor_bench *b, size_t ci, const uint8_t *f, size_t len)
{
    uint64_t seq = len >= 17 ? get64(f + ID_OFF) : UINT64_MAX;
    if (len == 0) {
        b->bad++;
    } else if (f[0] == 'P') {
        on_push(b, ci, f, len);
    } else if (f[0] == 'R' && len == b->fs.sent && seq < b->o.messages && sender_of(b, seq) == ci &&
               !b->msgs[seq].sent) {
        b->msgs[seq].sent = true;
        b->sent++;
    } else if (f[0] == 'K' && len >= 5 && get32(f + 1) <= ACK_MAX &&
               len == b->fs.acked[get32(f + 1)]) {
        b->acked += get32(f + 1);
        b->ctl_pending--;
    } else if (f[0] == 'h' && len == b->fs.hello_reply) {
        b->cl[ci].hello = true;
        b->ctl_pending--;
    } else {
        b->bad++;
    }
}

static void drain(floor_bench *b, size_t ci)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, b->cl[ci].sock, ZMQ_DONTWAIT) >= 0)
        on_frame(b, ci, zmq_msg_data(&m), zmq_msg_size(&m));
    if (errno != EAGAIN) fail(b, "receive failed: %s", zmq_strerror(errno));
    zmq_msg_close(&m);
}

/* Waits up to timeout_ms, handles what came, then acks it (bench_relay's pump). */
static void pump(floor_bench *b, int timeout_ms)
{
    int rc = zmq_poll(b->items, (int)b->o.clients, timeout_ms);
    if (rc < 0 && errno != EINTR) fail(b, "poll failed: %s", zmq_strerror(errno));
    for (size_t i = 0; rc > 0 && i < b->o.clients; i++)
        if (b->items[i].revents & ZMQ_POLLIN) drain(b, i);
    for (size_t i = 0; i < b->o.clients; i++)
        flush_ack(b, i);
}

static int await_ctl(floor_bench *b, const char *what)
{
    int64_t deadline = bench_now_ns() + 30 * (int64_t)1000000000;
    while (b->ctl_pending && !b->failed && bench_now_ns() < deadline)
        pump(b, 100);
    if (b->ctl_pending && !b->failed) fail(b, "%s: %zu replies missing", what, b->ctl_pending);
    return b->failed ? -1 : 0;
}

/* Connects every client with a fresh key and says hello (its route). */
static int connect_all(floor_bench *b)
{
    int zero = 0;
    for (size_t i = 0; i < b->o.clients; i++) {
        uint8_t pub[32], sec[32];
        crypto_box_keypair(pub, sec);
        void *s = zmq_socket(b->zctx, ZMQ_DEALER);
        bool ok = s && !zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, b->server_pub, 32) &&
                  !zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 32) &&
                  !zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 32) &&
                  !zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) &&
                  !zmq_connect(s, b->endpoint);
        sodium_memzero(sec, sizeof sec);
        b->cl[i].sock = s;
        b->items[i] = (zmq_pollitem_t){s, 0, ZMQ_POLLIN, 0};
        if (!ok) {
            fail(b, "cannot connect client %zu to %s: %s", i, b->endpoint, zmq_strerror(errno));
            return -1;
        }
        memset(b->buf, 0, b->fs.hello);
        b->buf[0] = 'H';
        put32(b->buf + 1, (uint32_t)i);
        if (client_send(b, i, b->fs.hello)) return -1;
        b->ctl_pending++;
    }
    return await_ctl(b, "hello");
}

/* The throughput phase, as bench_relay's run_phase: at most window
 * messages in flight (sent, not yet pushed), at most ceil(window/N) and
 * PER_SENDER_MAX a sender. Returns the server's CPU time in it. */
static int64_t run_phase(floor_bench *b, int64_t *t0)
{
    size_t n = b->o.clients, next = 0, seen = 0;
    size_t per_sender = (b->o.window + n - 1) / n;
    if (per_sender > PER_SENDER_MAX) per_sender = PER_SENDER_MAX;
    int64_t cpu0 = bench_proc_cpu_ns(b->server);
    *t0 = bench_now_ns();
    int64_t progress_at = *t0;
    while (b->delivered < b->o.messages && !b->failed && !b->bad && !b->duplicates) {
        while (next < b->o.messages && next - b->delivered < b->o.window &&
               b->cl[sender_of(b, next)].inflight < per_sender) {
            b->cl[sender_of(b, next)].inflight++;
            if (send_msg(b, next++)) return 0;
        }
        pump(b, 1000);
        if (b->delivered != seen) {
            seen = b->delivered;
            progress_at = bench_now_ns();
        } else if (bench_now_ns() - progress_at > (int64_t)STALL_MS * 1000000) {
            fail(b, "stalled: %zu of %zu messages never arrived", b->o.messages - seen,
                 b->o.messages);
        }
    }
    return bench_proc_cpu_ns(b->server) - cpu0;
}

static int run_throughput(floor_bench *b)
{
    int64_t t0;
    b->cl = calloc(b->o.clients, sizeof *b->cl);
    b->items = calloc(b->o.clients, sizeof *b->items);
    b->msgs = calloc(b->o.messages, sizeof *b->msgs);
    b->lat = calloc(b->o.messages, sizeof *b->lat);
    b->zctx = zmq_ctx_new();
    if (!b->cl || !b->items || !b->msgs || !b->lat || !b->zctx) return -1;
    for (size_t i = 0; i < b->o.clients; i++)
        if (!(b->cl[i].ack_ids = calloc(ACK_MAX, 16))) return -1;
    if (floor_server_start(b, b->o.clients)) {
        fail(b, "the server did not start");
        return -1;
    }
    if (connect_all(b)) return -1;
    int64_t cpu = run_phase(b, &t0);
    int64_t wall = b->last_delivery - t0;
    /* Every send confirmed, every ack answered, and a quiet moment for a
     * late duplicate. */
    int64_t deadline = bench_now_ns() + 30 * (int64_t)1000000000;
    while (!b->failed && b->sent < b->o.messages && bench_now_ns() < deadline)
        pump(b, 10);
    await_ctl(b, "acks");
    for (int64_t until = bench_now_ns() + 300000000; bench_now_ns() < until && !b->failed;)
        pump(b, 50);
    bench_sort_i64(b->lat, b->delivered);
    printf("throughput phase (pipelined)\n");
    printf("  delivered          %zu messages\n", b->delivered);
    printf("  wall time          %.3f s (first send to last push)\n", (double)wall / 1e9);
    printf("  throughput         %.0f messages/s\n",
           wall > 0 ? (double)b->delivered * 1e9 / (double)wall : 0.0);
    if (b->delivered)
        printf("  send-to-push ms    p50 %.3f   p99 %.3f   max %.3f\n",
               (double)bench_permille(b->lat, b->delivered, 500) / 1e6,
               (double)bench_permille(b->lat, b->delivered, 990) / 1e6,
               (double)b->lat[b->delivered - 1] / 1e6);
    if (b->delivered)
        printf("  ack frames         %zu, %.1f ids each\n", b->acks,
               b->acks ? (double)b->acked / (double)b->acks : 0.0);
    if (b->delivered && cpu > 0)
        printf("  server CPU         %.3f s, %.1f us per message (user and system, all threads)\n",
               (double)cpu / 1e9, (double)cpu / 1e3 / (double)b->delivered);
    return b->failed ? -1 : 0;
}

/* ---- --idle ---- */

/* In a child: n connections, each handshaken and answered once, held
 * until hold_fd reaches its end. Reports how many on report_fd. */
static void idle_child(const floor_bench *b, size_t n, int report_fd, int hold_fd)
{
    void *ctx = zmq_ctx_new();
    void **socks = calloc(n, sizeof *socks);
    uint8_t *req = calloc(1, b->fs.whoami);
    zmq_pollitem_t *items = calloc(IDLE_BATCH, sizeof *items);
    size_t opened = 0;
    int zero = 0;
    int64_t deadline = bench_now_ns() + 600 * (int64_t)1000000000;
    if (!ctx || !socks || !req || !items) _exit(1);
    zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, (int)(n + 64));
    req[0] = 'W';
    for (size_t first = 0; first < n; first += IDLE_BATCH) {
        size_t end = first + IDLE_BATCH < n ? first + IDLE_BATCH : n, left = end - first;
        for (size_t i = first; i < end; i++) {
            uint8_t pub[32], sec[32];
            crypto_box_keypair(pub, sec);
            void *s = socks[i] = zmq_socket(ctx, ZMQ_DEALER);
            if (!s || zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, b->server_pub, 32) ||
                zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, 32) ||
                zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, 32) ||
                zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) || zmq_connect(s, b->endpoint) ||
                zmq_send(s, req, b->fs.whoami, 0) < 0) {
                fprintf(stderr, "bench_floor: idle connection %zu: %s\n", i, zmq_strerror(errno));
                goto report;
            }
            items[i - first] = (zmq_pollitem_t){s, 0, ZMQ_POLLIN, 0};
        }
        while (left > 0 && bench_now_ns() < deadline) {
            if (zmq_poll(items, (int)(end - first), 200) < 0 && errno != EINTR) goto report;
            for (size_t k = 0; k < end - first; k++) {
                char r[IDLE_REPLY + 1];
                if (!(items[k].revents & ZMQ_POLLIN)) continue;
                if (zmq_recv(items[k].socket, r, sizeof r, ZMQ_DONTWAIT) != IDLE_REPLY ||
                    r[0] != 'w')
                    goto report;
                items[k].events = 0;
                left--;
            }
        }
        if (left) goto report;
        opened = end;
    }
report:
    if (write(report_fd, &opened, sizeof opened) != (ssize_t)sizeof opened) _exit(1);
    char c;
    while (read(hold_fd, &c, 1) > 0) {
    }
    _exit(0); /* the kernel closes the connections */
}

static void idle_wait_fds(pid_t server, long at_most, int timeout_s)
{
    int64_t until = bench_now_ns() + (int64_t)timeout_s * 1000000000;
    while (bench_proc_fds(server) > at_most && bench_now_ns() < until)
        usleep(100000);
}

static int run_idle(floor_bench *b)
{
    size_t n = b->o.idle, nprocs = (n + IDLE_PER_PROC - 1) / IDLE_PER_PROC, got = 0;
    int hold[2];
    pid_t *procs = calloc(nprocs, sizeof *procs);
    /* The pipe after the fork: the server must not hold its write end. */
    if (!procs || floor_server_start(b, 0) || pipe(hold)) {
        fail(b, "cannot start the server");
        free(procs);
        return -1;
    }
    usleep(200000);
    long rss0 = bench_proc_rss_kb(b->server), fds0 = bench_proc_fds(b->server);
    int64_t t0 = bench_now_ns();
    for (size_t p = 0; p < nprocs; p++) {
        size_t share = p + 1 < nprocs ? IDLE_PER_PROC : n - p * IDLE_PER_PROC, one = 0;
        int rep[2];
        if (pipe(rep)) break;
        fflush(NULL);
        procs[p] = fork();
        if (procs[p] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            close(rep[0]);
            close(hold[1]);
            idle_child(b, share, rep[1], hold[0]);
        }
        close(rep[1]);
        if (procs[p] > 0 && read(rep[0], &one, sizeof one) == (ssize_t)sizeof one) got += one;
        close(rep[0]);
    }
    close(hold[0]);
    double open_s = (double)(bench_now_ns() - t0) / 1e9;
    long rss1 = bench_proc_rss_kb(b->server), fds1 = bench_proc_fds(b->server);
    sleep(3); /* the server trims a second after the last handshake */
    long rss2 = bench_proc_rss_kb(b->server);
    if (b->o.malloc_stats) {
        kill(b->server, SIGUSR1); /* malloc_stats and malloc_info on its stderr */
        sleep(1);
    }
    close(hold[1]);
    for (size_t p = 0; p < nprocs; p++)
        if (procs[p] > 0) waitpid(procs[p], NULL, 0);
    idle_wait_fds(b->server, fds0, 120);
    sleep(3);
    long rss3 = bench_proc_rss_kb(b->server);
    free(procs);
    printf("idle connections   %zu of %zu handshaken and answered in %.1f s (%zu processes)\n", got,
           n, open_s, nprocs);
    printf("  server RSS         %ld KiB before, %ld KiB with them: %.1f KiB per connection\n",
           rss0, rss1, got ? (double)(rss1 - rss0) / (double)got : 0.0);
    printf("  3 s later          %ld KiB (after its malloc_trim): %.1f KiB per connection\n", rss2,
           got ? (double)(rss2 - rss0) / (double)got : 0.0);
    printf("  after they closed  %ld KiB (it trims after handshakes only: it sees no closes)\n",
           rss3);
    printf("  server descriptors %ld before, %ld with them\n", fds0, fds1);
    if (got != n) fail(b, "only %zu of %zu idle connections were answered", got, n);
    return b->failed ? -1 : 0;
}

/* ---- main ---- */

static const char usage[] =
    "usage: bench_floor --clients N --messages M [--window W] [--size BYTES]\n"
    "       bench_floor --idle N [--malloc-stats]\n"
    "       either with [--no-zap]\n"
    "\n"
    "The transport's ceiling: bench_relay's message pattern through a bare ZeroMQ\n"
    "ROUTER under CURVE (a forked server with vangnetd's socket options that only\n"
    "routes, replies and pushes: no store, no fsync, no protobuf, no policy).\n"
    "N clients (DEALERs under CURVE, one thread) each send to the next client of\n"
    "its group of 50 (bench_relay's cases), up to W in flight; frames of the\n"
    "lengths bench_relay's would have for a BYTES payload; receivers ack in\n"
    "batches. Prints messages/s (first send to last push) and the server's CPU\n"
    "per message. Fails unless every message arrives exactly once.\n"
    "Defaults: N 2, M 10000, W 256, BYTES 512.\n"
    "--idle N: N connections, each handshaken and answered once, then idle: the\n"
    "server's resident memory per connection. --malloc-stats: the server prints\n"
    "glibc's malloc_stats and malloc_info on stderr while they are open.\n"
    "--no-zap: no ZAP handler (vangnetd has one; libzmq keeps a pipe to it for\n"
    "each connection), to see what that costs.\n";

static int parse_num(const char *v, const char *name, size_t min, size_t max, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = v ? strtoull(v, &end, 10) : 0;
    if (!v || errno || *end || end == v || *v == '-' || x < min || x > max) {
        fprintf(stderr, "bench_floor: %s must be a number from %zu to %zu\n", name, min, max);
        return -1;
    }
    *out = (size_t)x;
    return 0;
}

static int parse_args(int argc, char **argv, opts *o)
{
    *o = (opts){.clients = 2, .messages = 10000, .window = 256, .size = 512};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (strcmp(a, "--malloc-stats") == 0 || strcmp(a, "--no-zap") == 0) {
            *(a[2] == 'm' ? &o->malloc_stats : &o->no_zap) = true;
            continue;
        }
        if (strcmp(a, "--clients") == 0)
            rc = parse_num(v, a, 2, CLIENTS_MAX, &o->clients);
        else if (strcmp(a, "--messages") == 0)
            rc = parse_num(v, a, 1, 100000000, &o->messages);
        else if (strcmp(a, "--window") == 0)
            rc = parse_num(v, a, 1, 100000, &o->window);
        else if (strcmp(a, "--size") == 0)
            rc = parse_num(v, a, HEADER_LEN, VN_BODY_MAX - 4, &o->size);
        else if (strcmp(a, "--idle") == 0)
            rc = parse_num(v, a, 1, 1000000, &o->idle);
        else {
            fprintf(stderr, "bench_floor: unknown option %s\n%s", a, usage);
            return -1;
        }
        if (rc) return -1;
        i++;
    }
    return 0;
}

static void print_setup(const floor_bench *b)
{
    const frame_sizes *fs = &b->fs;
    int maj, min, pat;
    zmq_version(&maj, &min, &pat);
    printf("bench_floor: bare ZeroMQ ROUTER under CURVE (libzmq %d.%d.%d), no store, no fsync\n",
           maj, min, pat);
    if (b->o.no_zap) printf("  --no-zap           no ZAP handler (vangnetd has one)\n");
    if (b->o.idle) return;
    printf("  clients            %zu (each sends to the next client of its group of %d)\n",
           b->o.clients, GROUP_CLIENTS);
    printf("  messages           %zu, payload %zu bytes, padded body %zu bytes\n", b->o.messages,
           b->o.size, fs->padded);
    printf("  window             %zu in flight (at most %zu per sender)\n", b->o.window,
           (b->o.window + b->o.clients - 1) / b->o.clients < PER_SENDER_MAX
               ? (b->o.window + b->o.clients - 1) / b->o.clients
               : (size_t)PER_SENDER_MAX);
    printf(
        "  frames (bytes)     send %zu, sent %zu, push %zu, ack of k %zu + %zu(k-1), acked %zu\n",
        fs->send, fs->sent, fs->push, fs->ack[1], fs->ack[2] - fs->ack[1], fs->acked[1]);
}

int main(int argc, char **argv)
{
    floor_bench b = {0};
    if (parse_args(argc, argv, &b.o)) return 2;
    if (vn_pad_bucket(b.o.size) == 0 || sodium_init() < 0) {
        fprintf(stderr, "bench_floor: --size %zu fits no padding bucket\n", b.o.size);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Soft descriptor limit up to the hard one: the server inherits it. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    frame_sizes_of(&b.fs, b.o.size, b.o.messages);
    b.buf = calloc(1, FRAME_MAX);
    crypto_box_keypair(b.server_pub, b.server_sec);
    print_setup(&b);
    fflush(stdout);
    int rc = !b.buf ? -1 : b.o.idle ? run_idle(&b) : run_throughput(&b);
    for (size_t i = 0; b.cl && i < b.o.clients; i++) {
        if (b.cl[i].sock) zmq_close(b.cl[i].sock);
        free(b.cl[i].ack_ids);
    }
    if (b.zctx) zmq_ctx_term(b.zctx);
    if (floor_server_stop(&b)) fail(&b, "the server saw malformed or unroutable frames");
    if (!b.o.idle) {
        bool ok = rc == 0 && !b.failed && !b.bad && !b.duplicates && b.delivered == b.o.messages &&
                  b.sent == b.o.messages && b.acked == b.o.messages;
        printf("check\n");
        printf("  delivered %zu of %zu, sends confirmed %zu, acked %zu, duplicates %zu, "
               "corrupt/misrouted %zu\n",
               b.delivered, b.o.messages, b.sent, b.acked, b.duplicates, b.bad);
        if (!ok) b.failed = true;
    }
    sodium_memzero(b.server_sec, sizeof b.server_sec);
    free(b.cl);
    free(b.items);
    free(b.msgs);
    free(b.lat);
    free(b.buf);
    printf("result: %s\n", b.failed || rc ? "FAILED"
                           : b.o.idle     ? "OK"
                                          : "OK, every message delivered exactly once");
    return b.failed || rc ? 1 : 0;
}
