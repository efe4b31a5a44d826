#include "vn/invite.h"

#include "vn/b64url.h"
#include <stdint.h>

#include <arpa/inet.h>
#include <stdlib.h>
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

bool vn_invite_endpoint_ok(const char *ep)
{
    size_t len = strlen(ep);
    const char *colon = strrchr(ep, ':');
    char *end = NULL;
    if (len > VN_ENDPOINT_MAX || strncmp(ep, "tcp://", 6) != 0 || !colon || colon < ep + 7)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)ep[i] < 0x21 || (unsigned char)ep[i] > 0x7e) return false;
    unsigned long port = strtoul(colon + 1, &end, 10);
    return colon[1] >= '0' && colon[1] <= '9' && *end == '\0' && port >= 1 && port <= 65535;
}

bool vn_invite_endpoint_wildcard(const char *ep)
{
    char host[VN_ENDPOINT_MAX + 1];
    uint8_t addr[16], zero[16] = {0};
    const char *start = strstr(ep, "://");
    start = start ? start + 3 : ep;
    const char *colon = strrchr(start, ':');
    size_t len = colon ? (size_t)(colon - start) : strlen(start);
    if (len >= sizeof host) return false;
    memcpy(host, start, len);
    host[len] = '\0';
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        memmove(host, host + 1, len - 2);
        host[len - 2] = '\0';
    }
    if (strcmp(host, "*") == 0 || host[0] == '\0') return true;
    if (inet_pton(AF_INET, host, addr) == 1) return memcmp(addr, zero, 4) == 0;
    if (inet_pton(AF_INET6, host, addr) == 1) return memcmp(addr, zero, 16) == 0;
    return false;
}
