/* Invite codes. A code carries everything a new device needs to join: the
 * server endpoint, the server's CURVE public key (pinned from then on) and
 * a one-time secret. The server keeps only a hash of the secret.
 *
 * Text form: "vn1-" followed by base64url of
 *   [1 byte endpoint length][endpoint][32 bytes server key][32 bytes secret]. */
#ifndef VN_INVITE_H
#define VN_INVITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define VN_INVITE_SECRET_LEN 32
#define VN_CURVE_KEY_LEN     32
#define VN_ENDPOINT_MAX      200
/* Longest text form, with its NUL. */
#define VN_INVITE_TEXT_MAX 400

typedef struct vn_invite {
    char endpoint[VN_ENDPOINT_MAX + 1];   /* e.g. tcp://127.0.0.1:7700 */
    uint8_t server_key[VN_CURVE_KEY_LEN]; /* server CURVE public key */
    uint8_t secret[VN_INVITE_SECRET_LEN]; /* the one-time secret */
} vn_invite;

/* Writes the text form into out (size >= VN_INVITE_TEXT_MAX). */
vn_err vn_invite_encode(const vn_invite *inv, char *out, size_t outsize);
/* Parses a text form; VN_EINVITE_BAD names anything malformed. */
vn_err vn_invite_decode(const char *text, vn_invite *out);
/* True if ep is tcp://HOST:PORT: printable, no spaces, a port 1..65535. */
bool vn_invite_endpoint_ok(const char *ep);
/* True if ep's host is a wildcard address ("*", 0.0.0.0, ::, or any other
 * all-zero address, bracketed or not): what a server binds to listen on
 * every interface, and what no client elsewhere can connect to. */
bool vn_invite_endpoint_wildcard(const char *ep);

#endif
