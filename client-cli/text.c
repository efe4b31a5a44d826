/* Peer text made safe to show. A peer must never be able to write what
 * looks like a line of the client or a server notice, nor send a terminal
 * escape sequence that rewrites what is on screen; so every byte that is
 * not plain printable text is shown for what it is. */
#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define REPLACEMENT 0xFFFD /* what a byte that is not UTF-8 becomes */

/* Decodes one UTF-8 character at p (n bytes left, n >= 1) into *cp and
 * returns its length, or 0 when it is not well-formed: overlong forms,
 * surrogates and values above U+10FFFF are refused, as RFC 3629 asks. */
static size_t utf8_next(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c, min;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if ((p[0] & 0xE0) == 0xC0)
        len = 2, c = p[0] & 0x1F, min = 0x80;
    else if ((p[0] & 0xF0) == 0xE0)
        len = 3, c = p[0] & 0x0F, min = 0x800;
    else if ((p[0] & 0xF8) == 0xF0)
        len = 4, c = p[0] & 0x07, min = 0x10000;
    else
        return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

static void put_utf8(FILE *f, uint32_t c)
{
    if (c < 0x80) {
        fputc((int)c, f);
    } else if (c < 0x800) {
        fputc((int)(0xC0 | (c >> 6)), f);
        fputc((int)(0x80 | (c & 0x3F)), f);
    } else if (c < 0x10000) {
        fputc((int)(0xE0 | (c >> 12)), f);
        fputc((int)(0x80 | ((c >> 6) & 0x3F)), f);
        fputc((int)(0x80 | (c & 0x3F)), f);
    } else {
        fputc((int)(0xF0 | (c >> 18)), f);
        fputc((int)(0x80 | ((c >> 12) & 0x3F)), f);
        fputc((int)(0x80 | ((c >> 6) & 0x3F)), f);
        fputc((int)(0x80 | (c & 0x3F)), f);
    }
}

/* Characters a terminal acts on rather than shows, or that reorder or
 * break what follows: C1 controls (U+009B alone starts an escape sequence
 * on some terminals), the line and paragraph separators, and the
 * bidirectional embeddings, overrides and isolates. */
static bool is_hidden(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}

/* indent NULL: one line, a line break shown as "\n". */
static void put_char(FILE *f, uint32_t c, const char *indent)
{
    if (c == '\n' && !indent) {
        fputs("\\n", f);
    } else if (c == '\n') {
        fputc('\n', f);
        fputs(indent ? indent : "", f);
    } else if (c == 0x1B) {
        fputs("\\e", f);
    } else if (c == '\r') {
        fputs("\\r", f);
    } else if ((c < 0x20 && c != '\t') || c == 0x7F) {
        fprintf(f, "\\x%02x", (unsigned)c);
    } else if (is_hidden(c)) {
        fprintf(f, "\\u%04x", (unsigned)c);
    } else {
        put_utf8(f, c);
    }
}

static void put_text(FILE *f, const char *s, const char *indent)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    while (p[n])
        n++;
    while (n > 0) {
        uint32_t c = REPLACEMENT;
        size_t len = utf8_next(p, n, &c);
        put_char(f, len ? c : REPLACEMENT, indent);
        len = len ? len : 1;
        p += len;
        n -= len;
    }
}

void vn_text_put(FILE *f, const char *s, const char *indent)
{
    if (s) put_text(f, s, indent ? indent : "");
}

const char *vn_text_field(const char *s, char *buf, size_t size)
{
    char *out = NULL;
    size_t len = 0;
    if (size == 0) return "";
    buf[0] = '\0';
    FILE *f = open_memstream(&out, &len);
    if (!f) return buf;
    if (s) put_text(f, s, NULL);
    if (fclose(f) == 0 && out) {
        len = len < size - 1 ? len : size - 1;
        memcpy(buf, out, len);
        buf[len] = '\0';
    }
    free(out);
    return buf;
}

static void json_char(FILE *f, uint32_t c)
{
    switch (c) {
    case '"':
        fputs("\\\"", f);
        break;
    case '\\':
        fputs("\\\\", f);
        break;
    case '\n':
        fputs("\\n", f);
        break;
    case '\r':
        fputs("\\r", f);
        break;
    case '\t':
        fputs("\\t", f);
        break;
    default:
        /* Controls, DEL and the characters a terminal acts on are escaped
         * too, so the JSON can be printed raw without harm. */
        if (c < 0x20 || c == 0x7F || is_hidden(c))
            fprintf(f, "\\u%04x", (unsigned)c);
        else
            put_utf8(f, c);
    }
}

void vn_text_json(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = 0;
    while (p[n])
        n++;
    fputc('"', f);
    while (n > 0) {
        uint32_t c = 0;
        size_t len = utf8_next(p, n, &c);
        if (len)
            json_char(f, c);
        else
            fputs("\\ufffd", f);
        len = len ? len : 1;
        p += len;
        n -= len;
    }
    fputc('"', f);
}
