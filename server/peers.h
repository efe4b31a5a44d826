/* vn_peers: who is on each connection, so that a request does not look
 * its device key up in the store again (two sealed reads and a copy each,
 * in every request before this). One entry per descriptor (ZMQ_SRCFD),
 * holding the CURVE key it was filled for, what the store said about that
 * key (account, role, or unregistered) and the store's accounts generation
 * then (vn_accounts_generation). An entry answers only for the same key at
 * the same generation: a descriptor reused by another connection, or any
 * account created or deleted since (a device revoked, a role changed),
 * sends the request to the store again. What it caches is the store's
 * answer for a key, so a key that comes back on a reused descriptor may be
 * answered from it. A closed descriptor's entry is freed. */
#ifndef VN_PEERS_H
#define VN_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/account.h"
#include "vn/err.h"
#include "vn/role.h"

typedef struct vn_peers vn_peers;

/* What the store says about a device key. */
typedef struct vn_peers_ident {
    bool registered;                 /* the key belongs to an account */
    uint8_t account[VN_ACCOUNT_LEN]; /* which, if registered */
    vn_role role;                    /* and its role */
} vn_peers_ident;

vn_err vn_peers_open(vn_peers **out);
/* Safe on NULL and twice. */
void vn_peers_close(vn_peers **self_p);

/* The identity noted for key on fd at generation gen, into *id. False when
 * there is none (another key, another generation, or nothing noted). */
bool vn_peers_get(const vn_peers *self, int fd, const uint8_t key[32], uint64_t gen,
                  vn_peers_ident *id);
/* Notes id for key on fd at generation gen, replacing what fd had. A
 * descriptor below 0, or memory short, only leaves nothing noted. */
void vn_peers_put(vn_peers *self, int fd, const uint8_t key[32], uint64_t gen,
                  const vn_peers_ident *id);
/* The connection on fd closed: its entry goes. */
void vn_peers_closed(vn_peers *self, int fd);
/* How many descriptors have an entry. */
size_t vn_peers_count(const vn_peers *self);

#endif
