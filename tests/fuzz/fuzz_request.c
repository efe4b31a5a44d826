/* Fuzz target: vn_frame_request_decode, the first thing the server does
 * with every frame a client sends.
 *
 * Besides "does not crash", it checks the decoder's contract: the limit is
 * enforced before decoding, *out is set exactly on VN_OK and VN_EVERSION,
 * VN_OK means version 1 with a body. And it checks that what decoded is
 * stable: packing its known fields, decoding that and packing again gives
 * the same bytes, so every decoded message can be walked and re-encoded in
 * full (unknown fields are dropped first, see fuzz_pb.h). */
#include "fuzz_pb.h"
#include "vn/frame.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Drops req's unknown fields, packs it, decodes the packing (which must
 * give want again) and packs that; both packings must be byte-identical. */
static void check_round_trip(Vn__Request *req, vn_err want)
{
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t l1, l2;
    Vn__Request *again = NULL;
    vn_fuzz_strip_unknown(&req->base);
    if (vn_frame_request_encode(req, SIZE_MAX, &b1, &l1) != VN_OK) abort();
    if (vn_frame_request_decode(b1, l1, SIZE_MAX, &again) != want || !again) abort();
    if (again->version != req->version || again->request_id != req->request_id ||
        again->body_case != req->body_case)
        abort();
    if (vn_frame_request_encode(again, SIZE_MAX, &b2, &l2) != VN_OK) abort();
    if (l1 != l2 || memcmp(b1, b2, l1) != 0) abort();
    vn_frame_request_free(again);
    free(b1);
    free(b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static Vn__Request sentinel; /* the decoder must overwrite *out */
    Vn__Request *req = &sentinel;
    vn_err err = vn_frame_request_decode(data, size, VN_FRAME_MAX_DEFAULT, &req);
    if (size > VN_FRAME_MAX_DEFAULT) {
        if (err != VN_ETOOBIG || req) abort();
        return 0;
    }
    switch (err) {
    case VN_OK:
        if (!req || req->version != VN_PROTOCOL_VERSION ||
            req->body_case == VN__REQUEST__BODY__NOT_SET)
            abort();
        check_round_trip(req, err);
        break;
    case VN_EVERSION:
        if (!req || req->version == VN_PROTOCOL_VERSION) abort();
        check_round_trip(req, err);
        break;
    case VN_EPROTO:
        /* Either not a Request at all (NULL) or one without a body. */
        if (req &&
            (req->version != VN_PROTOCOL_VERSION || req->body_case != VN__REQUEST__BODY__NOT_SET))
            abort();
        break;
    default:
        abort();
    }
    vn_frame_request_free(req);
    return 0;
}
