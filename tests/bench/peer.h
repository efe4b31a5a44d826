/* The part of the comparison peers (nats_peer.c, mosq_peer.c) that is the
 * same for both: bench_relay's workload (N pairs, M messages of SIZE
 * bytes round-robin over the pairs, at most W in flight between a send and
 * its delivery), send-time stamps in the payload, and the figures printed
 * in bench_relay's words so compare.sh reads all three alike. */
#ifndef VN_BENCH_PEER_H
#define VN_BENCH_PEER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

typedef struct peer_run {
    size_t pairs, messages, size, window;
    const char *url;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t sent, delivered, bad;
    int64_t *lat; /* delivery latencies, ns */
    int64_t first_send, last_delivery;
} peer_run;

/* Parses --url U --pairs N --messages M --size B --window W; exits 2 on
 * a bad argument. */
void peer_args(peer_run *r, int argc, char **argv, const char *name);
int64_t peer_now_ns(void);
/* Fills buf (r->size bytes) for message seq: its number and send time. */
void peer_fill(peer_run *r, uint8_t *buf, uint64_t seq);
/* Blocks while r->window messages are in flight. */
void peer_wait_window(peer_run *r);
/* Records a delivery of payload p of len bytes (checks it). */
void peer_delivered(peer_run *r, const void *p, size_t len);
/* Waits up to timeout_s for every delivery; 0 when all came. */
int peer_wait_all(peer_run *r, int timeout_s);
/* Prints the figures; returns the exit code. */
int peer_report(peer_run *r, const char *name);

#endif
