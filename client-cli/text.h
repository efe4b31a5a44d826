/* Text that a peer controls (message bodies, notes, names, record fields)
 * as the user may see it: pure functions, no state, no client context. */
#ifndef VN_TEXT_H
#define VN_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Writes s for a terminal so that it can never pass for a line of the
 * client's own or move the cursor: every line break is followed by indent
 * (so later lines stay under the sender), ESC shows as "\e", CR as "\r",
 * other C0/C1 controls and DEL as "\xNN" or "\uNNNN", bidirectional
 * overrides and line/paragraph separators as "\uNNNN", and bytes that are
 * not UTF-8 as U+FFFD. Tabs stay. s NULL writes nothing. */
void vn_text_put(FILE *f, const char *s, const char *indent);

/* The same, made one line (a line break shows as "\n"), into buf (size
 * bytes, cut short if need be) for a printf argument: any string of the
 * server or a peer that goes into a line of the client's own. s NULL is
 * "". Returns buf. */
const char *vn_text_field(const char *s, char *buf, size_t size);

/* Writes s as one JSON string (with the quotes): quote, backslash and
 * controls escaped, bytes that are not UTF-8 as \ufffd. s NULL is "". */
void vn_text_json(FILE *f, const char *s);

#endif
