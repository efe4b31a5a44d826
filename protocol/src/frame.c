#include "vn/frame.h"

#include <stdlib.h>

vn_err vn_frame_request_decode(const uint8_t *buf, size_t len, size_t max, Vn__Request **out)
{
    *out = NULL;
    if (len > max) return VN_ETOOBIG;
    Vn__Request *req = vn__request__unpack(NULL, len, buf);
    if (!req) return VN_EPROTO;
    *out = req;
    if (req->version != VN_PROTOCOL_VERSION) return VN_EVERSION;
    if (req->body_case == VN__REQUEST__BODY__NOT_SET) return VN_EPROTO;
    return VN_OK;
}

void vn_frame_request_free(Vn__Request *req)
{
    if (req) vn__request__free_unpacked(req, NULL);
}

vn_err vn_frame_reply_decode(const uint8_t *buf, size_t len, size_t max, Vn__Reply **out)
{
    *out = NULL;
    if (len > max) return VN_ETOOBIG;
    Vn__Reply *rep = vn__reply__unpack(NULL, len, buf);
    if (!rep) return VN_EPROTO;
    *out = rep;
    if (rep->version != VN_PROTOCOL_VERSION) return VN_EVERSION;
    if (rep->body_case == VN__REPLY__BODY__NOT_SET) return VN_EPROTO;
    return VN_OK;
}

void vn_frame_reply_free(Vn__Reply *rep)
{
    if (rep) vn__reply__free_unpacked(rep, NULL);
}

vn_err vn_frame_request_encode(const Vn__Request *req, size_t max, uint8_t **buf, size_t *len)
{
    size_t n = vn__request__get_packed_size(req);
    if (n > max) return VN_ETOOBIG;
    *buf = malloc(n ? n : 1);
    if (!*buf) return VN_ENOMEM;
    *len = vn__request__pack(req, *buf);
    return VN_OK;
}

vn_err vn_frame_reply_encode(const Vn__Reply *rep, size_t max, uint8_t **buf, size_t *len)
{
    size_t n = vn__reply__get_packed_size(rep);
    if (n > max) return VN_ETOOBIG;
    *buf = malloc(n ? n : 1);
    if (!*buf) return VN_ENOMEM;
    *len = vn__reply__pack(rep, *buf);
    return VN_OK;
}
