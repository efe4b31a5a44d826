/* The daemon side of chat_backend.h (chat_daemon.c): live events from the
 * profile's daemon, and commands run there. */
#ifndef VN_CHAT_DAEMON_H
#define VN_CHAT_DAEMON_H

#include "chat_view.h"
#include "receipt.h"

typedef struct vn_chat_daemon vn_chat_daemon;

/* Subscribes to the daemon's events when one answers on the profile's
 * socket: *out NULL when none does ($VANGNET_NO_DAEMON set, or no socket).
 * Returns an exit code: a daemon that answers but refuses is said. */
int vn_chat_daemon_open(vn_client *c, vn_chat_daemon **out);
void vn_chat_daemon_close(vn_chat_daemon **d);
/* Waits up to wait_ms for events and shows those with something to show;
 * a message shown owes a read receipt (rs) if the profile sends them.
 * VN_ETRANSPORT when the daemon went away. */
vn_err vn_chat_daemon_poll(vn_client *c, vn_chat_daemon *d, vn_chat_view *v, vn_receipts *rs,
                           int wait_ms);
/* Runs command `name` with argv in the daemon (a "run" call) and prints
 * its output as the CLI would; returns its exit code. */
/* The descriptor that wakes a wait for events (the subscribed connection). */
int vn_chat_daemon_fd(const vn_chat_daemon *d);
int vn_chat_daemon_run(vn_client *c, const char *name, int argc, char **argv);
/* Forgets that the message with this id waits to be shown by inbox (the
 * chat showed it); under the profile's lock, best effort. */
void vn_chat_daemon_forget_unshown(vn_client *c, const uint8_t *id);

#endif
