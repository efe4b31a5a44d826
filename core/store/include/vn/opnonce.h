/* vn_opnonce: the nonces of operators' writes in a cluster
 * (server/cluster_op.c, docs/CLUSTER.md "Operator commands"). Each
 * operator's write-set records its own request's nonce here, so every node
 * that applied the log holds it: the writer, whichever node it is and
 * however often it restarted, refuses a request whose nonce its store
 * holds (a replay). One table (docs/METADATA.md):
 *
 *   opnonces  the request's random nonce (16 bytes) -> its time (ms)
 *
 * On disk the key is a keyed hash and the value a sealed box, as every
 * record's. A record is needed only while a request of that time could
 * still be taken (the replay window): the writer sweeps older ones. */
#ifndef VN_OPNONCE_H
#define VN_OPNONCE_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"

#define VN_OPNONCE_LEN 16

/* Records nonce with the request's time (in the caller's transaction, or
 * one of its own). */
vn_err vn_opnonce_put(vn_sstore *st, const uint8_t nonce[VN_OPNONCE_LEN], uint64_t time_ms);
/* The time recorded with nonce; VN_ENOTFOUND if it is not recorded. */
vn_err vn_opnonce_get(vn_sstore *st, const uint8_t nonce[VN_OPNONCE_LEN], uint64_t *time_ms);
/* How many nonces are recorded. */
vn_err vn_opnonce_count(vn_sstore *st, size_t *n);
/* Deletes the records whose time is before `before` (a malformed one
 * too); *dropped (may be NULL) counts them. Writes nothing when there is
 * nothing to delete. */
vn_err vn_opnonce_sweep(vn_sstore *st, uint64_t before, size_t *dropped);

#endif
