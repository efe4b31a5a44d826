/* Invite codes. A code carries everything a new device needs to join: the
 * server's endpoints, the server's CURVE public key (pinned from then on)
 * and a one-time secret. The server keeps only a hash of the secret.
 *
 * Text forms, "vnN-" followed by base64url of:
 *   vn1: [1 byte endpoint length][endpoint][32 bytes server key][32 bytes secret]
 *   vn2: [1 byte count, 1..4] count x ([1 byte length][endpoint])
 *        [32 bytes server key][32 bytes secret]
 * A code with one endpoint is written as vn1, so that clients of before
 * vn2 still take it; several endpoints (the nodes of a cluster, or one
 * server's addresses) need vn2. Both decode. Every endpoint is printable
 * ASCII without spaces or commas (a profile keeps the list comma-separated). */
#ifndef VN_INVITE_H
#define VN_INVITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define VN_INVITE_SECRET_LEN 32
#define VN_CURVE_KEY_LEN     32
#define VN_ENDPOINT_MAX      200
/* Most endpoints one code (and one profile) carries. */
#define VN_INVITE_ENDPOINTS_MAX 4
/* Longest text form, with its NUL: four endpoints of VN_ENDPOINT_MAX. */
#define VN_INVITE_TEXT_MAX 1200
/* Longest comma-separated list of endpoints, with its NUL. */
#define VN_ENDPOINTS_TEXT_MAX (VN_INVITE_ENDPOINTS_MAX * (VN_ENDPOINT_MAX + 1))

/* The addresses of one server (one pinned key), tried in this order. */
typedef struct vn_endpoints {
    size_t n;                                              /* 0..VN_INVITE_ENDPOINTS_MAX */
    char ep[VN_INVITE_ENDPOINTS_MAX][VN_ENDPOINT_MAX + 1]; /* NUL-terminated */
} vn_endpoints;

typedef struct vn_invite {
    /* The first endpoint, for callers that use one. The decoder fills it
     * with endpoints.ep[0]; the encoder takes it only when endpoints.n is
     * 0 (a caller that never heard of the list). */
    char endpoint[VN_ENDPOINT_MAX + 1];   /* e.g. tcp://127.0.0.1:7700 */
    vn_endpoints endpoints;               /* every endpoint, in order */
    uint8_t server_key[VN_CURVE_KEY_LEN]; /* server CURVE public key */
    uint8_t secret[VN_INVITE_SECRET_LEN]; /* the one-time secret */
} vn_invite;

/* Writes the text form into out (size >= VN_INVITE_TEXT_MAX): vn1 for one
 * endpoint, vn2 for several. VN_EINVAL for no endpoint, more than
 * VN_INVITE_ENDPOINTS_MAX, or one that is empty, too long or holds a
 * space, a comma or an unprintable byte. */
vn_err vn_invite_encode(const vn_invite *inv, char *out, size_t outsize);
/* Parses either text form; VN_EINVITE_BAD names anything malformed. */
vn_err vn_invite_decode(const char *text, vn_invite *out);
/* True if ep is tcp://HOST:PORT: printable, no spaces or commas, a port
 * 1..65535. */
bool vn_invite_endpoint_ok(const char *ep);
/* True if ep's host is a wildcard address ("*", 0.0.0.0, ::, or any other
 * all-zero address, bracketed or not): what a server binds to listen on
 * every interface, and what no client elsewhere can connect to. */
bool vn_invite_endpoint_wildcard(const char *ep);

/* Splits a comma-separated list ("a,b", spaces around commas allowed) and
 * appends its endpoints to out, skipping one already there. VN_EINVAL with
 * why (if given) naming the problem: an empty item, one too long or with
 * an unprintable byte, or more than VN_INVITE_ENDPOINTS_MAX in all. It
 * does not check the tcp://HOST:PORT form (vn_invite_endpoint_ok does). */
vn_err vn_invite_endpoints_parse(const char *list, vn_endpoints *out, char *why, size_t whysize);
/* Writes the list comma-separated into out (size >= VN_ENDPOINTS_TEXT_MAX
 * always fits). VN_ETOOBIG if it does not fit. */
vn_err vn_invite_endpoints_join(const vn_endpoints *eps, char *out, size_t size);
/* The index of ep in the list, or -1. */
int vn_invite_endpoints_find(const vn_endpoints *eps, const char *ep);

#endif
