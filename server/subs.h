/* vn_subs: who listens for pushes, and on which connection. A
 * subscription belongs to the connection that made it: its ROUTER routing
 * id, the descriptor libzmq reads it from (ZMQ_SRCFD) and the CURVE key it
 * authenticated with. It ends when that descriptor closes (the ROUTER's
 * monitor says DISCONNECTED), so a routing id that another connection
 * takes over later never inherits it: libzmq lets a client choose its
 * routing id, and without this a client that claimed a departed
 * subscriber's id received that subscriber's pushes.
 *
 * One subscription per account (a device that reconnects, or another
 * device of the account, replaces it) and per descriptor. Lookups by
 * account and by descriptor are hash and array lookups, not scans. */
#ifndef VN_SUBS_H
#define VN_SUBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/account.h"
#include "vn/err.h"

#define VN_SUBS_ROUTE_MAX 256 /* longest routing id (libzmq's limit is 255) */

typedef struct vn_subs vn_subs;

/* The connection a request came on. */
typedef struct vn_subs_conn {
    const uint8_t *route; /* ROUTER routing id (borrowed) */
    size_t route_len;
    int fd;          /* ZMQ_SRCFD of the request; -1 if unknown */
    uint8_t key[32]; /* the CURVE key the connection authenticated with */
} vn_subs_conn;

/* At most max subscriptions at once. */
vn_err vn_subs_open(vn_subs **out, size_t max);
/* Safe on NULL and twice. */
void vn_subs_close(vn_subs **self_p);

/* account now listens on conn (copied), which must carry a descriptor:
 * its earlier subscription, and whatever else conn's descriptor carried,
 * end. VN_EINVAL without a descriptor or with a routing id over the limit,
 * VN_ETOOBIG past max. */
vn_err vn_subs_add(vn_subs *self, const uint8_t account[VN_ACCOUNT_LEN], const vn_subs_conn *conn);
/* Where account's pushes go: *route (valid until the next call that
 * changes self) and *route_len. False if account does not listen. */
bool vn_subs_route(const vn_subs *self, const uint8_t account[VN_ACCOUNT_LEN],
                   const uint8_t **route, size_t *route_len);
/* Ends account's subscription, if any. */
void vn_subs_remove(vn_subs *self, const uint8_t account[VN_ACCOUNT_LEN]);
/* The connection on fd closed: its subscription, if any, ends. */
void vn_subs_closed(vn_subs *self, int fd);
/* A request came on conn. A subscription on its descriptor made with
 * another key or routing id belongs to a connection that is gone (its
 * close not yet seen) and ends. */
void vn_subs_seen(vn_subs *self, const vn_subs_conn *conn);
/* fn(ud, account) is called whenever a subscription ends (its connection
 * closed, replaced, removed, or its descriptor seen with another
 * connection), not at vn_subs_close: in a cluster a follower then stops
 * watching the account's pushes (cluster_edge.c). NULL: nothing. */
typedef void (*vn_subs_end_fn)(void *ud, const uint8_t account[VN_ACCOUNT_LEN]);
void vn_subs_on_end(vn_subs *self, vn_subs_end_fn fn, void *ud);

/* How many accounts listen. */
size_t vn_subs_count(const vn_subs *self);

#endif
