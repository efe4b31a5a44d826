/* vn_mailbox: envelopes waiting for their recipients. The server keeps
 * the sealed ciphertext, a coarse time and the message id (for idempotent
 * resends and acknowledgement); never a plaintext, never who sent it. */
#ifndef VN_MAILBOX_H
#define VN_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/account.h"
#include "vn/frame.h"

/* Granularity of the times the mailbox keeps (see docs/METADATA.md). */
#define VN_MAILBOX_TIME_STEP_MS 60000ULL

/* The coarse time to store an envelope under at now: the end of its
 * minute. */
uint64_t vn_mailbox_time(uint64_t now);

/* Stores an envelope for recipient `to`: its id, time_ms (give it
 * vn_mailbox_time()), body and notice, nothing else. Envelopes of one
 * recipient are delivered in the order they were put. A second put with
 * the same id is not stored again: *dup is set and *time_ms gets the first
 * one's time. VN_EINVAL if the envelope has no valid id. */
vn_err vn_mailbox_put(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN], const Vn__Envelope *env,
                      bool *dup, uint64_t *time_ms);
/* Calls fn with up to max envelopes for account, oldest first; *more (may
 * be NULL) tells whether others wait. The envelope is valid only during the
 * call, and fn must not write to the mailbox. */
typedef vn_err (*vn_mailbox_fn)(void *ud, const Vn__Envelope *env);
vn_err vn_mailbox_fetch(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], size_t max,
                        vn_mailbox_fn fn, void *ud, bool *more);
/* Deletes a delivered envelope. VN_ENOTFOUND if there is none with that id. */
vn_err vn_mailbox_ack(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                      const uint8_t id[VN_MSGID_LEN]);
/* Number of envelopes waiting for account. */
vn_err vn_mailbox_count(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], size_t *count);
/* Deletes envelopes stored before now - ttl_ms (at most one batch of a few
 * thousand per call); *expired gets the number removed. */
vn_err vn_mailbox_expire(vn_sstore *st, uint64_t now, uint64_t ttl_ms, size_t *expired);
/* vn_mailbox_expire, calling fn (in the same transaction) with the message
 * id of each envelope it deletes; an error of fn undoes the batch. */
typedef vn_err (*vn_mailbox_id_fn)(void *ud, const uint8_t id[VN_MSGID_LEN]);
vn_err vn_mailbox_expire_each(vn_sstore *st, uint64_t now, uint64_t ttl_ms, vn_mailbox_id_fn fn,
                              void *ud, size_t *expired);
/* Deletes account's mailbox. Envelopes it sent do not name it and wait for
 * their recipients like any other. */
vn_err vn_mailbox_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);

#endif
