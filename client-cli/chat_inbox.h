/* The inbox as a session of another view: `chat` without a daemon takes
 * its live messages this way, like `inbox --follow` (store, show,
 * acknowledge), showing them through the view's shower. Implemented in
 * cmd_inbox.c, beside the inbox it reuses. */
#ifndef VN_CHAT_INBOX_H
#define VN_CHAT_INBOX_H

#include "client.h"

typedef struct vn_inbox vn_inbox;

/* Connects, sends the outbox, shows what an earlier run kept, subscribes
 * and fetches what waits, all through a copy of sh. Called under the
 * profile's lock. Returns an exit code (the error said), with *out set on
 * success. */
int vn_inbox_open(vn_client *c, const vn_shower *sh, vn_inbox **out);
/* Waits up to wait_ms for a push and takes it (under the profile's lock,
 * taken and let go here); every few seconds subscribes again and fetches
 * instead, as --follow does. A server out of reach is said once on stderr
 * and tried again later (VN_OK); other failures are returned. */
vn_err vn_inbox_poll(vn_inbox *in, int wait_ms);
/* What a wait for pushes waits on (vn_conn_fds), and whether a push can be
 * taken now without waiting (vn_conn_ready). */
size_t vn_inbox_fds(vn_inbox *in, int fds[2]);
bool vn_inbox_ready(vn_inbox *in);
void vn_inbox_close(vn_inbox **in);

#endif
