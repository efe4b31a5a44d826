#include "vn/invite.h"

#include "vn/b64url.h"
#include <stdint.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX1    "vn1-"
#define PREFIX2    "vn2-"
#define PREFIX_LEN 4
#define KEYS_LEN   (VN_CURVE_KEY_LEN + VN_INVITE_SECRET_LEN)
#define RAW_MAX    (1 + VN_INVITE_ENDPOINTS_MAX * (1 + VN_ENDPOINT_MAX) + KEYS_LEN)

_Static_assert(PREFIX_LEN + (RAW_MAX * 4 + 2) / 3 < VN_INVITE_TEXT_MAX,
               "VN_INVITE_TEXT_MAX must hold the longest vn2 code");

/* Printable, no space, no comma: what an endpoint may hold anywhere. */
static bool ep_char_ok(unsigned char ch)
{
    return ch >= 0x21 && ch <= 0x7e && ch != ',';
}

static bool ep_bytes_ok(const char *ep, size_t len)
{
    if (len == 0 || len > VN_ENDPOINT_MAX) return false;
    for (size_t i = 0; i < len; i++)
        if (!ep_char_ok((unsigned char)ep[i])) return false;
    return true;
}

vn_err vn_invite_encode(const vn_invite *inv, char *out, size_t outsize)
{
    uint8_t raw[RAW_MAX];
    size_t n = 0, count = inv->endpoints.n;
    vn_endpoints one;
    const vn_endpoints *eps = &inv->endpoints;
    if (count == 0) {
        /* A caller of before the list: its one endpoint. */
        one.n = 1;
        memcpy(one.ep[0], inv->endpoint, sizeof one.ep[0]);
        one.ep[0][VN_ENDPOINT_MAX] = '\0';
        if (strnlen(inv->endpoint, VN_ENDPOINT_MAX + 1) > VN_ENDPOINT_MAX) return VN_EINVAL;
        eps = &one;
        count = 1;
    }
    if (count > VN_INVITE_ENDPOINTS_MAX) return VN_EINVAL;
    /* What the decoder refuses is refused here too, so no code is handed
     * out that no client takes. */
    for (size_t k = 0; k < count; k++)
        if (!ep_bytes_ok(eps->ep[k], strnlen(eps->ep[k], VN_ENDPOINT_MAX + 1))) return VN_EINVAL;
    if (outsize < PREFIX_LEN + 1) return VN_ETOOBIG;
    if (count > 1) raw[n++] = (uint8_t)count;
    for (size_t k = 0; k < count; k++) {
        size_t elen = strlen(eps->ep[k]);
        raw[n++] = (uint8_t)elen;
        memcpy(raw + n, eps->ep[k], elen);
        n += elen;
    }
    memcpy(raw + n, inv->server_key, VN_CURVE_KEY_LEN);
    memcpy(raw + n + VN_CURVE_KEY_LEN, inv->secret, VN_INVITE_SECRET_LEN);
    n += KEYS_LEN;
    memcpy(out, count > 1 ? PREFIX2 : PREFIX1, PREFIX_LEN + 1);
    vn_err err = vn_b64url_encode(raw, n, out + PREFIX_LEN, outsize - PREFIX_LEN);
    explicit_bzero(raw, sizeof raw);
    return err;
}

/* Reads count length-prefixed endpoints from raw[*pos..n) into out. */
static bool take_endpoints(const uint8_t *raw, size_t n, size_t *pos, size_t count,
                           vn_endpoints *out)
{
    for (size_t k = 0; k < count; k++) {
        if (*pos >= n) return false;
        size_t elen = raw[(*pos)++];
        if (elen > n - *pos || !ep_bytes_ok((const char *)raw + *pos, elen)) return false;
        memcpy(out->ep[k], raw + *pos, elen);
        out->ep[k][elen] = '\0';
        *pos += elen;
    }
    out->n = count;
    return true;
}

vn_err vn_invite_decode(const char *text, vn_invite *out)
{
    uint8_t raw[RAW_MAX];
    size_t n = 0, pos = 0, count = 1;
    vn_err err = VN_EINVITE_BAD;
    vn_invite inv;
    if (!text || strlen(text) >= VN_INVITE_TEXT_MAX) return VN_EINVITE_BAD;
    bool v2 = strncmp(text, PREFIX2, PREFIX_LEN) == 0;
    if (!v2 && strncmp(text, PREFIX1, PREFIX_LEN) != 0) return VN_EINVITE_BAD;
    memset(&inv, 0, sizeof inv);
    if (vn_b64url_decode(text + PREFIX_LEN, raw, sizeof raw, &n) || n == 0) goto out;
    /* vn2 names its count; one endpoint is always written as vn1, so a vn2
     * code of one is not one this encoder made. */
    if (v2 && ((count = raw[pos++]) < 2 || count > VN_INVITE_ENDPOINTS_MAX)) goto out;
    if (!take_endpoints(raw, n, &pos, count, &inv.endpoints) || n - pos != KEYS_LEN) goto out;
    memcpy(inv.endpoint, inv.endpoints.ep[0], sizeof inv.endpoint);
    memcpy(inv.server_key, raw + pos, VN_CURVE_KEY_LEN);
    memcpy(inv.secret, raw + pos + VN_CURVE_KEY_LEN, VN_INVITE_SECRET_LEN);
    *out = inv;
    err = VN_OK;
out:
    explicit_bzero(&inv, sizeof inv);
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
    if (!ep_bytes_ok(ep, len)) return false;
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

__attribute__((format(printf, 3, 4))) static void say(char *why, size_t whysize, const char *fmt,
                                                      ...)
{
    va_list ap;
    if (!why || !whysize) return;
    va_start(ap, fmt);
    vsnprintf(why, whysize, fmt, ap);
    va_end(ap);
}

vn_err vn_invite_endpoints_parse(const char *list, vn_endpoints *out, char *why, size_t whysize)
{
    const char *p = list;
    for (;;) {
        while (*p == ' ')
            p++;
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len > 0 && p[len - 1] == ' ')
            len--;
        char item[VN_ENDPOINT_MAX + 1];
        if (len == 0) {
            say(why, whysize, "an empty address in the list %s", list);
            return VN_EINVAL;
        }
        if (len > VN_ENDPOINT_MAX) {
            say(why, whysize, "an address longer than 200 characters in %s", list);
            return VN_EINVAL;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (!ep_bytes_ok(item, len)) {
            say(why, whysize, "the address %s holds a space or an unprintable character", item);
            return VN_EINVAL;
        }
        if (vn_invite_endpoints_find(out, item) < 0) {
            if (out->n >= VN_INVITE_ENDPOINTS_MAX) {
                say(why, whysize, "more than 4 addresses: %s", list);
                return VN_EINVAL;
            }
            memcpy(out->ep[out->n++], item, len + 1);
        }
        if (!comma) return VN_OK;
        p = comma + 1;
    }
}

vn_err vn_invite_endpoints_join(const vn_endpoints *eps, char *out, size_t size)
{
    size_t used = 0;
    if (size == 0) return VN_ETOOBIG;
    out[0] = '\0';
    for (size_t k = 0; k < eps->n; k++) {
        size_t len = strlen(eps->ep[k]);
        if (used + (k > 0) + len + 1 > size) return VN_ETOOBIG;
        if (k > 0) out[used++] = ',';
        memcpy(out + used, eps->ep[k], len + 1);
        used += len;
    }
    return VN_OK;
}

int vn_invite_endpoints_find(const vn_endpoints *eps, const char *ep)
{
    for (size_t k = 0; k < eps->n; k++)
        if (strcmp(eps->ep[k], ep) == 0) return (int)k;
    return -1;
}
