#include "vn/invite.h"

#include "vn/b64url.h"
#include <stdint.h>

#include <string.h>

#define PREFIX  "vn1-"
#define RAW_MAX (1 + VN_ENDPOINT_MAX + VN_CURVE_KEY_LEN + VN_INVITE_SECRET_LEN)

vn_err vn_invite_encode(const vn_invite *inv, char *out, size_t outsize)
{
    uint8_t raw[RAW_MAX];
    size_t elen = strnlen(inv->endpoint, VN_ENDPOINT_MAX + 1);
    if (elen == 0 || elen > VN_ENDPOINT_MAX) return VN_EINVAL;
    /* What the decoder refuses is refused here too, so no code is handed
     * out that no client takes. */
    for (size_t i = 0; i < elen; i++)
        if ((unsigned char)inv->endpoint[i] < 0x21 || (unsigned char)inv->endpoint[i] > 0x7e)
            return VN_EINVAL;
    if (outsize < sizeof PREFIX) return VN_ETOOBIG;
    raw[0] = (uint8_t)elen;
    memcpy(raw + 1, inv->endpoint, elen);
    memcpy(raw + 1 + elen, inv->server_key, VN_CURVE_KEY_LEN);
    memcpy(raw + 1 + elen + VN_CURVE_KEY_LEN, inv->secret, VN_INVITE_SECRET_LEN);
    memcpy(out, PREFIX, sizeof PREFIX);
    vn_err err = vn_b64url_encode(raw, 1 + elen + VN_CURVE_KEY_LEN + VN_INVITE_SECRET_LEN,
                                  out + strlen(PREFIX), outsize - strlen(PREFIX));
    explicit_bzero(raw, sizeof raw);
    return err;
}

vn_err vn_invite_decode(const char *text, vn_invite *out)
{
    uint8_t raw[RAW_MAX];
    size_t n;
    vn_err err = VN_EINVITE_BAD;
    if (!text || strncmp(text, PREFIX, strlen(PREFIX)) != 0) return VN_EINVITE_BAD;
    if (strlen(text) >= VN_INVITE_TEXT_MAX) return VN_EINVITE_BAD;
    if (vn_b64url_decode(text + strlen(PREFIX), raw, sizeof raw, &n)) goto out;
    size_t elen = raw[0];
    if (n < 1 || elen == 0 || n != 1 + elen + VN_CURVE_KEY_LEN + VN_INVITE_SECRET_LEN) goto out;
    for (size_t i = 0; i < elen; i++)
        if (raw[1 + i] < 0x21 || raw[1 + i] > 0x7e) goto out; /* printable, no spaces */
    memset(out, 0, sizeof *out);
    memcpy(out->endpoint, raw + 1, elen);
    memcpy(out->server_key, raw + 1 + elen, VN_CURVE_KEY_LEN);
    memcpy(out->secret, raw + 1 + elen + VN_CURVE_KEY_LEN, VN_INVITE_SECRET_LEN);
    err = VN_OK;
out:
    explicit_bzero(raw, sizeof raw);
    return err;
}
