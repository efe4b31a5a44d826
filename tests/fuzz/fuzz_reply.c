/* Fuzz target: vn_frame_reply_decode, what a client does with every frame
 * from the server (which it trusts only as far as CURVE goes: a hostile or
 * broken server must not crash it).
 *
 * It checks the decoder's contract, the stability of what decoded (pack,
 * decode, pack of the known fields gives the same bytes) and then does what a client does next
 * with an Envelopes reply: finds each body's payload with vn_pad_decode. */
#include "fuzz_pb.h"
#include "vn/frame.h"
#include "vn/pad.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(Vn__Reply *rep, vn_err want)
{
    uint8_t *b1 = NULL, *b2 = NULL;
    size_t l1, l2;
    Vn__Reply *again = NULL;
    vn_fuzz_strip_unknown(&rep->base);
    if (vn_frame_reply_encode(rep, SIZE_MAX, &b1, &l1) != VN_OK) abort();
    if (vn_frame_reply_decode(b1, l1, SIZE_MAX, &again) != want || !again) abort();
    if (again->version != rep->version || again->request_id != rep->request_id ||
        again->body_case != rep->body_case)
        abort();
    if (vn_frame_reply_encode(again, SIZE_MAX, &b2, &l2) != VN_OK) abort();
    if (l1 != l2 || memcmp(b1, b2, l1) != 0) abort();
    vn_frame_reply_free(again);
    free(b1);
    free(b2);
}

/* What a client reads from a decoded reply. */
static void use_reply(const Vn__Reply *rep)
{
    if (rep->body_case == VN__REPLY__BODY_ENVELOPES) {
        const Vn__Envelopes *e = rep->envelopes;
        if (!e || (e->n_envelopes && !e->envelopes)) abort();
        for (size_t i = 0; i < e->n_envelopes; i++) {
            const Vn__Envelope *env = e->envelopes[i];
            const uint8_t *payload;
            size_t plen;
            if (!env) abort();
            if (vn_pad_decode(env->body.data, env->body.len, &payload, &plen) == VN_OK &&
                (payload < env->body.data || plen > env->body.len - 4))
                abort();
        }
    } else if (rep->body_case == VN__REPLY__BODY_ERROR) {
        if (!rep->error || !rep->error->message) abort();
        (void)vn_err_str(rep->error->code);
        (void)vn_err_name(rep->error->code);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Replies may be up to twice the frame limit (conn.c accepts that much). */
    const size_t max = VN_FRAME_MAX_DEFAULT * 2;
    static Vn__Reply sentinel; /* the decoder must overwrite *out */
    Vn__Reply *rep = &sentinel;
    vn_err err = vn_frame_reply_decode(data, size, max, &rep);
    if (size > max) {
        if (err != VN_ETOOBIG || rep) abort();
        return 0;
    }
    switch (err) {
    case VN_OK:
        if (!rep || rep->version != VN_PROTOCOL_VERSION ||
            rep->body_case == VN__REPLY__BODY__NOT_SET)
            abort();
        check_round_trip(rep, err);
        use_reply(rep);
        break;
    case VN_EVERSION:
        if (!rep || rep->version == VN_PROTOCOL_VERSION) abort();
        check_round_trip(rep, err);
        break;
    case VN_EPROTO:
        if (rep &&
            (rep->version != VN_PROTOCOL_VERSION || rep->body_case != VN__REPLY__BODY__NOT_SET))
            abort();
        break;
    default:
        abort();
    }
    vn_frame_reply_free(rep);
    return 0;
}
