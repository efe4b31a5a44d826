/* Framing: size limits, version check and protobuf-c decoding of frames.
 * Limits are checked before any decoding, so an oversize frame costs
 * nothing but its receipt. */
#ifndef VN_FRAME_H
/* Message ids are 16 random bytes chosen by the sender. */
#define VN_MSGID_LEN 16

#define VN_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"

#define VN_PROTOCOL_VERSION 1
/* Default hard limit of one frame on the wire. */
#define VN_FRAME_MAX_DEFAULT (64 * 1024)
/* Largest padded message body a Send may carry (leaves room for the frame). */
#define VN_BODY_MAX (VN_FRAME_MAX_DEFAULT - 1024)
/* Most envelopes one Fetch returns; keeps replies under the frame limit. */
#define VN_FETCH_MAX 64

/* Decodes a request of len bytes. VN_ETOOBIG if len > max, VN_EPROTO if it
 * is not a valid Request or has no body, VN_EVERSION if its version is not
 * ours (*out is still set then, so the reply can echo request_id).
 * On success or VN_EVERSION, free *out with vn_frame_request_free(). */
vn_err vn_frame_request_decode(const uint8_t *buf, size_t len, size_t max, Vn__Request **out);
void vn_frame_request_free(Vn__Request *req);
/* The same for replies, as a client receives them. */
vn_err vn_frame_reply_decode(const uint8_t *buf, size_t len, size_t max, Vn__Reply **out);
void vn_frame_reply_free(Vn__Reply *rep);

/* Packs a message into a malloc'd buffer (caller frees). VN_ETOOBIG if the
 * packed size exceeds max. */
vn_err vn_frame_request_encode(const Vn__Request *req, size_t max, uint8_t **buf, size_t *len);
vn_err vn_frame_reply_encode(const Vn__Reply *rep, size_t max, uint8_t **buf, size_t *len);

#endif
