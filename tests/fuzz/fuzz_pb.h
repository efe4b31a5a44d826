/* Helpers shared by the protobuf fuzz targets. */
#ifndef VN_FUZZ_PB_H
#define VN_FUZZ_PB_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>
#include <stdlib.h>

/* Removes the unknown fields of m and of every message inside it, and
 * returns how many there were. protobuf-c keeps unknown fields verbatim and
 * packs them again, but it accepts some it then refuses to read back: a
 * tag for field number 0 written as a non-minimal varint (82 00) decodes,
 * while its minimal re-encoding (02) does not. Vangnet ignores unknown
 * fields, so the round-trip checks compare the known fields only. The
 * messages were unpacked with the default allocator, which is malloc. */
static inline size_t vn_fuzz_strip_unknown(ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char *base = (char *)m;
    size_t n = m->n_unknown_fields;
    for (unsigned i = 0; i < m->n_unknown_fields; i++)
        free(m->unknown_fields[i].data);
    free(m->unknown_fields);
    m->unknown_fields = NULL;
    m->n_unknown_fields = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(size_t *)(base + f->quantifier_offset);
            ProtobufCMessage **arr = *(ProtobufCMessage ***)(base + f->offset);
            for (size_t k = 0; k < count; k++)
                n += vn_fuzz_strip_unknown(arr[k]);
            continue;
        }
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(uint32_t *)(base + f->quantifier_offset) != f->id)
            continue; /* another member of the oneof is set */
        ProtobufCMessage *sub = *(ProtobufCMessage **)(base + f->offset);
        if (sub) n += vn_fuzz_strip_unknown(sub);
    }
    return n;
}

#endif
