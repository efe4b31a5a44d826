/* The start-up check of the request table against the protocol: a body a
 * client may send but no row answers would otherwise be found only when a
 * user meets "unknown request type". */
#include "requests.h"

#include <stdio.h>

vn_err vn_requests_check(const vn_request_row *rows, size_t n, char *msg, size_t msgsize)
{
    const ProtobufCMessageDescriptor *d = &vn__request__descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        /* protobuf-c numbers a oneof's cases by their field numbers. */
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) continue;
        size_t k = 0;
        while (k < n && (unsigned)rows[k].body != f->id)
            k++;
        if (k < n) continue;
        snprintf(msg, msgsize,
                 "request body '%s' (field %u of %s) has no row in the request table "
                 "(server/requests.h); refusing to run a server that cannot answer it",
                 f->name, f->id, d->name);
        return VN_EINTERNAL;
    }
    return VN_OK;
}
