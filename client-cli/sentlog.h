/* What this device sent, kept to learn of messages that expired on the
 * server undelivered. The server cannot tell a sender (a sealed envelope
 * does not name it); it publishes a receipt of every expired envelope to
 * all accounts alike (core/store vn/expired.h), and this device looks for
 * the receipts of its own messages there. Kept in the config database
 * under "sent" and the receipt: the recipient and the time sent, for as
 * long as the server could still report it. */
#ifndef VN_SENTLOG_H
#define VN_SENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "client.h"

/* Notes that the server took message id (VN_MSGID_LEN bytes) for to. */
vn_err vn_sentlog_note(vn_client *c, const char *to, const uint8_t *id, size_t idlen);
/* Asks the server for the receipts of expired envelopes and tells the
 * user (on stderr) about each of this device's messages among them;
 * *found (may be NULL) gets how many. Notes too old to be reported any
 * more are dropped here, once a day. */
vn_err vn_sentlog_check(vn_client *c, size_t *found);

#endif
