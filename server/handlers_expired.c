/* expired-get: the receipts of envelopes that expired undelivered, the
 * same list for every account (core/store vn/expired.h, docs/METADATA.md). */
#include "requests.h"
#include "server.h"

#include "vn/expired.h"

#include <stdlib.h>
#include <string.h>

struct collect {
    Vn__ExpiredList *list; /* the reply being filled */
    size_t cap;            /* room in list->receipts */
};

static vn_err collect_cb(void *ud, const uint8_t receipt[VN_EXPIRED_RECEIPT_LEN], uint64_t day_ms)
{
    struct collect *c = ud;
    Vn__ExpiredList *l = c->list;
    if (l->n_receipts == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        ProtobufCBinaryData *r = realloc(l->receipts, cap * sizeof *r);
        if (!r) return VN_ENOMEM;
        l->receipts = r;
        c->cap = cap;
    }
    uint8_t *copy = malloc(VN_EXPIRED_RECEIPT_LEN);
    if (!copy) return VN_ENOMEM;
    memcpy(copy, receipt, VN_EXPIRED_RECEIPT_LEN);
    l->receipts[l->n_receipts++] = (ProtobufCBinaryData){VN_EXPIRED_RECEIPT_LEN, copy};
    return VN_OK;
}

vn_err vn_handle_expired_get(vn_req *r)
{
    Vn__ExpiredList *body = malloc(sizeof *body);
    if (!body) return VN_ENOMEM;
    vn__expired_list__init(body);
    struct collect c = {body, 0};
    bool more = false;
    vn_err err = vn_expired_list(r->store, r->req->expired_get->since_ms,
                                 r->req->expired_get->offset, collect_cb, &c, &more);
    if (err) {
        vn__expired_list__free_unpacked(body, NULL);
        return vn_fail(r, err, "cannot read the expired receipts: %s", vn_err_str(err));
    }
    r->out->reply->body_case = VN__REPLY__BODY_EXPIRED_LIST;
    r->out->reply->expired_list = body;
    body->server_time_ms = r->now;
    body->more = more;
    return VN_OK;
}
