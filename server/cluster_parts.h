/* A write-set larger than the NATS servers' max_payload is appended to the
 * log as a group of consecutive entries, its parts (docs/CLUSTER.md). Each
 * part starts with a header that no write-set starts with (a write-set's
 * first byte is an op, 1 or 2; a marker is empty):
 *
 *   [0xF5][version 1][index, 4 bytes big-endian][count, 4 bytes big-endian][bytes]
 *
 * The writer appends part i with expected last sequence = part i - 1's, so
 * a whole group is consecutive in the log. A follower gathers the parts and
 * applies the whole write-set in one transaction, with the last part's
 * sequence, once the last part is there. Anything else in the middle of a
 * group (a new writer's marker after a deposed writer's first parts) ends
 * the group unapplied: the deposed writer never committed it either. */
#ifndef VN_CLUSTER_PARTS_H
#define VN_CLUSTER_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define VN_PARTS_HEAD  10
#define VN_PARTS_MAGIC 0xF5

/* Whether an entry is a part; its index and count if so (a count of 0 or
 * below 2, or an index not below the count, is no part: malformed). */
bool vn_parts_parse(const uint8_t *entry, size_t len, uint32_t *index, uint32_t *count);
/* The header of part index of count. */
void vn_parts_header(uint8_t head[VN_PARTS_HEAD], uint32_t index, uint32_t count);

/* A follower's group being gathered. */
typedef struct vn_parts {
    uint8_t *buf; /* the parts' bytes so far */
    size_t len, cap;
    uint32_t next, count; /* count 0: no group */
    uint64_t last_seq;    /* the sequence of the last part taken */
} vn_parts;

typedef enum vn_parts_took {
    VN_PARTS_MORE,  /* taken; the group is not whole yet */
    VN_PARTS_WHOLE, /* taken, and the group is whole: buf and len hold the write-set */
    VN_PARTS_STRAY, /* a part that continues no group (dropped; so is any group pending) */
} vn_parts_took;

/* Takes the entry at seq, a part (vn_parts_parse). A part 0 starts a new
 * group, dropping one pending. VN_ENOMEM or VN_ETOOBIG (a group past
 * VN_KV_WS_MAX) drop the group. */
vn_err vn_parts_take(vn_parts *g, uint64_t seq, const uint8_t *entry, size_t len,
                     vn_parts_took *took);
/* Drops the group pending (if any); true if there was one. */
bool vn_parts_drop(vn_parts *g);
/* Frees the buffer. */
void vn_parts_free(vn_parts *g);

#endif
