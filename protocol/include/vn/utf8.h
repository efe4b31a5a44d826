/* vn_utf8: every text a request carries must be well-formed UTF-8, so no
 * reply, log line or store ever echoes bytes a client slipped into a
 * string field (protobuf-c does not check proto3 strings). */
#ifndef VN_UTF8_H
#define VN_UTF8_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

/* True if s[0..len) is well-formed UTF-8: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence. */
bool vn_utf8_valid(const char *s, size_t len);

/* True if every string field of m, in nested and repeated messages too, is
 * well-formed UTF-8. Otherwise *field (may be NULL) names the first field
 * that is not; the name is the descriptor's, never the data. */
bool vn_utf8_message_valid(const ProtobufCMessage *m, const char **field);

#endif
