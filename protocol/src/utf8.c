#include "vn/utf8.h"

#include <stdint.h>
#include <string.h>

bool vn_utf8_valid(const char *str, size_t len)
{
    const uint8_t *s = (const uint8_t *)str;
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            n = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false; /* a continuation byte first, or 0xf8..0xff */
        }
        if (len - i < n) return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n;
    }
    return true;
}

static bool string_ok(const char *s)
{
    return !s || vn_utf8_valid(s, strlen(s));
}

bool vn_utf8_message_valid(const ProtobufCMessage *m, const char **field)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const char *base = (const char *)m + f->offset;
        bool rep = f->label == PROTOBUF_C_LABEL_REPEATED;
        size_t n = rep ? *(const size_t *)((const char *)m + f->quantifier_offset) : 1;
        /* A field of another oneof member is not set: its memory is not ours
         * to read as a pointer. */
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF &&
            *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
            continue;
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            char *const *items = rep ? *(char *const *const *)base : (char *const *)base;
            for (size_t k = 0; k < n; k++)
                if (!string_ok(items[k])) {
                    if (field) *field = f->name;
                    return false;
                }
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            ProtobufCMessage *const *items =
                rep ? *(ProtobufCMessage *const *const *)base : (ProtobufCMessage *const *)base;
            for (size_t k = 0; k < n; k++)
                if (items[k] && !vn_utf8_message_valid(items[k], field)) return false;
        }
    }
    return true;
}
