/* vn_expired: receipts of envelopes that expired undelivered.
 *
 * The server cannot tell a sender that its message expired: a sealed
 * envelope does not name its sender (docs/METADATA.md). So at expiry the
 * server keeps a receipt, a hash of the envelope's message id, and hands
 * the whole list to any account that asks. A sending client remembers
 * the receipts of what it sent and finds its own in the list; the server
 * learns nothing of who sent what, as every client fetches the same list.
 * A receipt names no account, no recipient and no time finer than the day. */
#ifndef VN_EXPIRED_H
#define VN_EXPIRED_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/frame.h"
#include "vn/receipt.h"
#include "vn/sstore.h"

#define VN_EXPIRED_RECEIPT_LEN VN_RECEIPT_LEN
/* How long a receipt is kept: a client that is offline longer misses it. */
#define VN_EXPIRED_KEEP_MS (30ULL * 86400000)
/* Most receipts one list holds: 18 bytes each on the wire, so that a
 * reply stays well under the 64 KiB frame. */
#define VN_EXPIRED_LIST_MAX 3000
#define VN_EXPIRED_DAY_MS   86400000ULL

/* Keeps the receipt of message id, expired at now (kept as its day). */
vn_err vn_expired_add(vn_sstore *st, const uint8_t id[VN_MSGID_LEN], uint64_t now);
/* Calls fn with each receipt whose day is at or after since_ms, skipping
 * the first offset of them (the walk's order is stable while the table is
 * unchanged): at most VN_EXPIRED_LIST_MAX; *more tells whether others
 * follow (ask again with offset + those handed over). */
typedef vn_err (*vn_expired_fn)(void *ud, const uint8_t receipt[VN_EXPIRED_RECEIPT_LEN],
                                uint64_t day_ms);
vn_err vn_expired_list(vn_sstore *st, uint64_t since_ms, uint32_t offset, vn_expired_fn fn,
                       void *ud, bool *more);
/* Deletes receipts older than now - VN_EXPIRED_KEEP_MS; *n gets how many. */
vn_err vn_expired_sweep(vn_sstore *st, uint64_t now, size_t *n);
/* The same among at most max receipts after *pos (vn_kv_each_from). */
vn_err vn_expired_sweep_from(vn_sstore *st, vn_kv_pos *pos, size_t max, uint64_t now, size_t *n);

#endif
