/* bench_floor's shared parts (see floor.c's head comment): its settings,
 * clients and figures, and the byte order of its frames. floor_server.c
 * is the forked server process, floor.c the clients, --idle and main. */
#ifndef VN_BENCH_FLOOR_H
#define VN_BENCH_FLOOR_H

#include "proc.h"
#include "vn/frame.h"
#include "vn/pad.h"
#include "vangnet.pb-c.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>
#include <zmq.h>

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93 /* draft option in libzmq 4.3; present in Debian's build */
#endif

#define MAGIC          0x564e4631u /* "VNF1" */
#define HEADER_LEN     20          /* magic, sequence number, send time */
#define ACK_MAX        1024        /* ids per ack, as bench_relay and the server */
#define PER_SENDER_MAX 400         /* as bench_relay */
#define CLIENTS_MAX    10000
#define GROUP_CLIENTS  50 /* bench_relay's clients per case: the same partners */
#define ROUTE_MAX      256
#define FRAME_MAX      (VN_FRAME_MAX_DEFAULT * 2)
#define CTL_BIT        (1ULL << 63)
#define STALL_MS       5000
#define IDLE_PER_PROC  4000 /* two descriptors each, inside a limit of 20,000 */
#define IDLE_BATCH     500  /* handshakes at once, per process */
#define IDLE_REPLY     32
#define TRIM_DELAY_MS  1000 /* as vangnetd */
#define ID_OFF         1    /* id at frame[1..17) in every frame that has one */
#define SEND_BODY_OFF  21   /* 'S', recipient (4), id (16), body */
#define PUSH_BODY_OFF  17   /* 'P', id (16), body */

/* Lengths of bench_relay's frames for one --size (see the head comment). */
typedef struct frame_sizes {
    size_t padded, send, sent, push, hello, hello_reply, whoami;
    size_t ack[ACK_MAX + 1], acked[ACK_MAX + 1]; /* by the number of ids */
} frame_sizes;

typedef struct opts {
    size_t clients, messages, window, size, idle;
    bool no_zap; /* no ZAP handler (vangnetd always has one) */
    bool malloc_stats;
} opts;

typedef struct fclient {
    void *sock;
    size_t inflight;        /* own sends not yet pushed */
    uint8_t (*ack_ids)[16]; /* delivered ids waiting for an ack */
    size_t nack;
    bool hello; /* the server knows its route */
} fclient;

typedef struct fmsg {
    int64_t t_send;
    bool sent, delivered;
} fmsg;

typedef struct floor_bench {
    opts o;
    frame_sizes fs;
    pid_t server;
    char endpoint[256];
    uint8_t server_pub[32], server_sec[32];
    void *zctx;
    fclient *cl;
    zmq_pollitem_t *items;
    fmsg *msgs;
    uint8_t *buf; /* a frame being built */
    int64_t *lat; /* send-to-push, ns */
    size_t delivered, sent, acked, ctl_pending, bad, duplicates;
    size_t acks; /* ack frames sent */
    int64_t last_delivery;
    bool failed;
} floor_bench;

static inline void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static inline uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}
static inline uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* Forks the server for nroutes clients and reads its endpoint into
 * b->endpoint. 0, or -1 if it could not start. */
int floor_server_start(floor_bench *b, size_t nroutes);
/* SIGTERM and its exit status: 0 if it saw nothing wrong. */
int floor_server_stop(floor_bench *b);

#endif
