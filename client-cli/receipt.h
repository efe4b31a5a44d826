/* Delivery and read state of the 1:1 messages this device sends, end to
 * end. The sender's device keeps a state per message id: queued (in the
 * outbox), sent (the server acknowledged the Send), delivered (the
 * recipient's device stored it and said so) and read (the recipient's
 * device showed it, if the recipient allows read receipts). Delivered and
 * read travel back as ordinary sealed messages whose content is a Receipt:
 * the server learns nothing it did not already (a message to the sender)
 * and stores nothing new. A receipt is believed only from the account the
 * message went to, and only for ids this device sent; anything else is
 * ignored. Receipts are never shown and never answered with a receipt.
 *
 * Kept in the config database under "mstate" and the 16-byte id: the
 * recipient's account, the state and when it last changed. */
#ifndef VN_RECEIPT_H
#define VN_RECEIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

/* The states, in order: a state never goes back. */
typedef enum vn_msg_state {
    VN_MSG_UNKNOWN = 0,   /* no record (a team message, or sent before receipts existed) */
    VN_MSG_QUEUED = 1,    /* in the outbox */
    VN_MSG_SENT = 2,      /* stored on the server */
    VN_MSG_DELIVERED = 3, /* stored on the recipient's device */
    VN_MSG_READ = 4,      /* shown to the recipient */
    VN_MSG_REFUSED = 5,   /* the server refused it for good: never delivered */
} vn_msg_state;

/* "queued", "sent", "delivered", "read", "refused"; NULL for unknown. */
const char *vn_msg_state_name(vn_msg_state s);
/* The state a name of vn_msg_state_name stands for; VN_MSG_UNKNOWN for
 * any other text or NULL. */
vn_msg_state vn_msg_state_from_name(const char *name);
/* The mark the text output puts after a message of ours ("✓ sent", ...). */
const char *vn_msg_state_mark(vn_msg_state s);

/* Sender side. */

/* Notes a 1:1 message queued for peer under id, in the caller's
 * transaction (the one that queues it). */
vn_err vn_receipt_note_queued(vn_client *c, const char *peer, const uint8_t *id);
/* The server took (or, refused, refused for good) the Send with this id;
 * an id without a record (a receipt, a team copy) is left alone. Best
 * effort: the state only informs. */
void vn_receipt_note_sent(vn_client *c, const uint8_t *id, size_t idlen, bool refused);
/* The state of the message with this id (VN_MSG_UNKNOWN without a record). */
vn_msg_state vn_receipt_state(vn_client *c, const uint8_t *id, size_t idlen);
/* A receipt from account `from`, in the caller's transaction: moves each
 * named message forward when `from` is the account it was sent to; ids of
 * no message of ours, or of a message to someone else, are ignored.
 * *taken (may be NULL) gets how many moved. Only store failures are
 * returned. */
vn_err vn_receipt_take(vn_client *c, const char *from, const Vn__Receipt *r, size_t *taken);

/* Recipient side: receipts owed, collected while a run takes messages
 * and sent together (one message per peer and state). */
typedef struct vn_receipts vn_receipts;

vn_err vn_receipts_new(vn_receipts **out);
void vn_receipts_free(vn_receipts **rp);
/* Owes peer a receipt of state (delivered or read) for message id. */
vn_err vn_receipts_add(vn_receipts *rs, const char *peer, const uint8_t *id, size_t idlen,
                       vn_msg_state state);
/* Owes a read receipt for r (a message just shown) if it came 1:1 from a
 * peer and this profile sends read receipts. */
vn_err vn_receipts_shown(vn_client *c, vn_receipts *rs, const Vn__Received *r);
/* Whether any receipt is owed. */
bool vn_receipts_pending(const vn_receipts *rs);
/* Queues what is owed in the outbox and sends it; empties rs. A peer
 * without a session is skipped. What the server could not take yet stays
 * in the outbox for the next run (returned: retryable). */
vn_err vn_receipts_send(vn_client *c, vn_receipts *rs);

/* Whether this profile sends read receipts (a local setting, off unless
 * set: `vangnet settings read-receipts on`). */
bool vn_receipt_read_enabled(vn_client *c);

#endif
