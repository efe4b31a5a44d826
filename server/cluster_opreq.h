/* vn_opreq: the messages of an operator's write in a cluster
 * (cluster_op.h), without NATS or the store: sealing and checking a
 * request and its answer, the replay window, and the writer's memory of
 * the nonces it saw. Pure, so unit-tested (tests/unit/test_cluster_opreq.c),
 * and used by the test tool that replays captured requests.
 *
 * Request: [1 version][8 time ms, big-endian][16 nonce][32 mac][write-set]
 *          mac over subject | 0 | reply subject | 0 | [version, time, nonce] | write-set
 * Answer:  [1 version][1 status][8 sequence][32 mac][text]
 *          mac over reply subject | 0 | [version, status, sequence] | text
 *
 * Version 2: the write-set also records the request's nonce in the
 * store's opnonces table (vn/opnonce.h), so a replay is refused by any
 * writer, after a failover or a restart too; a version 1 request (made
 * without that record) is refused. */
#ifndef VN_CLUSTER_OPREQ_H
#define VN_CLUSTER_OPREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define VN_OPREQ_VERSION     2
#define VN_OPREQ_NONCE_LEN   16
#define VN_OPREQ_MAC_LEN     32
#define VN_OPREQ_HEAD        (1 + 8 + VN_OPREQ_NONCE_LEN + VN_OPREQ_MAC_LEN)
#define VN_OPREQ_ANS_HEAD    (1 + 1 + 8 + VN_OPREQ_MAC_LEN)
#define VN_OPREQ_TEXT_MAX    256    /* longest text of an answer */
#define VN_OPREQ_SKEW_MS     120000 /* a request older or newer than this is refused */
#define VN_OPREQ_SUBJECT_MAX 64
#define VN_OPREQ_SEEN_MAX    256 /* nonces a writer remembers in memory */

enum { VN_OPREQ_OK = 0, VN_OPREQ_REFUSED = 1 };

/* The subject the writer listens on and the MAC key, derived from the
 * store key (as every node and operator's command has it). */
typedef struct vn_opreq_keys {
    uint8_t mac[32];
    char subject[VN_OPREQ_SUBJECT_MAX];
} vn_opreq_keys;
void vn_opreq_keys_derive(const uint8_t store_key[32], vn_opreq_keys *k);

/* Writes the request (VN_OPREQ_HEAD + len bytes) into out, for subject
 * and reply (the reply inbox the answer goes to). */
void vn_opreq_seal(const vn_opreq_keys *k, const char *subject, const char *reply, uint64_t time_ms,
                   const uint8_t nonce[VN_OPREQ_NONCE_LEN], const uint8_t *ws, size_t len,
                   uint8_t *out);

/* A request as read: pointers into its bytes. */
typedef struct vn_opreq {
    uint64_t time_ms;
    const uint8_t *nonce;
    const uint8_t *ws;
    size_t len;
} vn_opreq;

/* Reads and checks a request that came on subject with reply. VN_EPROTO:
 * not a request of this version (or no write-set); VN_EDENIED: its MAC is
 * not this cluster's (another store key, or changed on the way). */
vn_err vn_opreq_open(const vn_opreq_keys *k, const char *subject, const char *reply,
                     const uint8_t *d, size_t n, vn_opreq *out);

/* Whether a request made at t is taken at now: within VN_OPREQ_SKEW_MS
 * either side. */
bool vn_opreq_in_window(uint64_t t, uint64_t now);

/* Writes an answer (at most VN_OPREQ_ANS_HEAD + VN_OPREQ_TEXT_MAX bytes;
 * text cut there) into out; returns its length. */
size_t vn_opreq_answer(const vn_opreq_keys *k, const char *reply, int status, uint64_t seq,
                       const char *text, uint8_t *out);
/* Reads an answer that came on reply: VN_EPROTO if it is none of this
 * cluster's; else *status, *seq and the text (pointer into d, not
 * terminated). */
vn_err vn_opreq_read_answer(const vn_opreq_keys *k, const char *reply, const uint8_t *d, size_t n,
                            int *status, uint64_t *seq, const char **text, size_t *tlen);

/* The nonces a writer saw, the last VN_OPREQ_SEEN_MAX: a replay that
 * comes before its first copy is applied (or whose copy was not
 * appended) is refused from here. */
typedef struct vn_opreq_seen {
    uint8_t nonce[VN_OPREQ_SEEN_MAX][VN_OPREQ_NONCE_LEN];
    size_t n, next;
} vn_opreq_seen;
bool vn_opreq_seen_has(const vn_opreq_seen *s, const uint8_t nonce[VN_OPREQ_NONCE_LEN]);
void vn_opreq_seen_add(vn_opreq_seen *s, const uint8_t nonce[VN_OPREQ_NONCE_LEN]);

#endif
