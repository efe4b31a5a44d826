/* Fuzz target: the Content inside an end-to-end message. Anyone with a
 * session to a person can make their device decode any Content, and every
 * string in it (a message, a display name, test-day instructions, an
 * intervision group's method, turns and note) reaches a terminal through
 * the client's sanitiser (client-cli/text.c). The target unpacks the input
 * and runs each string through vn_text_field and vn_text_put; what comes
 * out must be UTF-8 with no control character, no C1 control, no
 * bidirectional override and no line or paragraph separator, and every
 * line vn_text_put writes after the first must start with the indent. */
#include "text.h"
#include "vangnet.pb-c.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INDENT "    "

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The code point at s (of n bytes left) and its length; -1 if not UTF-8. */
static long next_cp(const unsigned char *s, size_t n, size_t *len)
{
    int k = s[0] < 0x80             ? 1
            : (s[0] & 0xe0) == 0xc0 ? 2
            : (s[0] & 0xf0) == 0xe0 ? 3
            : (s[0] & 0xf8) == 0xf0 ? 4
                                    : 0;
    if (!k || (size_t)k > n) return -1;
    long cp = k == 1 ? s[0] : s[0] & (0x7f >> k);
    for (int i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return -1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *len = (size_t)k;
    return cp;
}

/* Aborts if out[0..n) holds anything that could fool a terminal (a line
 * break only where allow_nl, followed by the indent). */
static void check_safe(const char *out, size_t n, bool allow_nl)
{
    const unsigned char *s = (const unsigned char *)out;
    for (size_t i = 0; i < n;) {
        size_t len = 0;
        long cp = next_cp(s + i, n - i, &len);
        if (cp < 0) abort();
        if (cp == '\n') {
            if (!allow_nl) abort();
            if (i + 1 < n && strncmp(out + i + 1, INDENT, n - i - 1 < 4 ? n - i - 1 : 4) != 0)
                abort();
        } else if ((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f) ||
                   (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
                   cp == 0x2028 || cp == 0x2029) {
            abort();
        }
        i += len;
    }
}

static void check(const char *s)
{
    char field[512];
    if (!s) return;
    const char *f = vn_text_field(s, field, sizeof field);
    check_safe(f, strlen(f), false);
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (!m) abort();
    vn_text_put(m, s, INDENT);
    fclose(m);
    check_safe(buf, n, true);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) return 0;
    Vn__Content *c = vn__content__unpack(NULL, size, data);
    if (!c) return 0;
    check(c->text);
    check(c->sender_key_case);
    if (c->introduction) {
        check(c->introduction->name);
        check(c->introduction->case_id);
        check(c->introduction->role);
    }
    if (c->instructions) {
        check(c->instructions->site);
        check(c->instructions->hours);
        check(c->instructions->cutoff);
    }
    if (c->group_event) {
        check(c->group_event->group);
        check(c->group_event->method);
        check(c->group_event->presenter);
        for (size_t i = 0; i < c->group_event->n_turns; i++)
            check(c->group_event->turns[i]);
        check(c->group_event->next_at);
        check(c->group_event->next_note);
    }
    if (c->signal) {
        check(c->signal->note);
        for (size_t i = 0; i < c->signal->n_codes; i++)
            check(c->signal->codes[i]);
    }
    if (c->record) check(c->record->note);
    if (c->receipt)
        for (size_t i = 0; i < c->receipt->n_ids; i++)
            if (c->receipt->ids[i].len && !c->receipt->ids[i].data) abort();
    vn__content__free_unpacked(c, NULL);
    return 0;
}
