/* Case handles, display names and fitted lines: pure functions (names.h). */
#include "names.h"

#include "vn/utf8.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool vn_names_is_hex(const char *s)
{
    if (!s || !*s) return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s)) return false;
    return true;
}

/* How many leading characters a and b share, case-blind. */
static size_t common(const char *a, const char *b)
{
    size_t i = 0;
    while (a[i] && b[i] && tolower((unsigned char)a[i]) == tolower((unsigned char)b[i]))
        i++;
    return i;
}

size_t vn_names_unique_len(const char *id, const char *const *ids, size_t n, size_t min)
{
    size_t len = min, idlen = strlen(id);
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(ids[i], id) == 0) continue;
        size_t k = common(ids[i], id) + 1;
        if (k > len) len = k;
    }
    if (len > idlen) len = idlen;
    return len > VN_NAMES_ID_LEN ? VN_NAMES_ID_LEN : len;
}

vn_err vn_names_match(const char *given, const char *const *ids, size_t n, size_t *match,
                      size_t *count)
{
    size_t len = given ? strlen(given) : 0, found = 0, at = 0;
    if (count) *count = 0;
    if (len < VN_NAMES_HANDLE_MIN || len > VN_NAMES_ID_LEN || !vn_names_is_hex(given))
        return VN_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (common(ids[i], given) < len) continue;
        /* The same id listed twice (known here and by the server) is one. */
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = strcasecmp(ids[j], ids[i]) == 0;
        if (dup) continue;
        if (found++ == 0) at = i;
    }
    if (count) *count = found;
    if (found == 0) return VN_ENOTFOUND;
    if (found > 1) return VN_EEXISTS;
    *match = at;
    return VN_OK;
}

bool vn_names_display_ok(const char *name, char *why, size_t size)
{
    size_t len = name ? strlen(name) : 0;
    const char *bad = NULL;
    if (len == 0)
        bad = "it is empty";
    else if (len > 64)
        bad = "it is longer than 64 bytes";
    else if (!vn_utf8_valid(name, len))
        bad = "it is not UTF-8 text";
    else if (name[0] == ' ' || name[len - 1] == ' ')
        bad = "it starts or ends with a space";
    else if (len == VN_NAMES_ID_LEN && vn_names_is_hex(name))
        bad = "it reads as an account id";
    for (size_t i = 0; !bad && i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        /* C0 controls and DEL; C1 controls are U+0080..U+009F (C2 80..9F). */
        if (ch < 0x20 || ch == 0x7f ||
            (ch == 0xc2 && i + 1 < len && (unsigned char)name[i + 1] < 0xa0))
            bad = "it holds a control character";
    }
    if (bad && why) snprintf(why, size, "%s", bad);
    return !bad;
}

/* The length in bytes of the UTF-8 character at s (1 for a stray byte). */
static size_t char_len(const char *s)
{
    unsigned char b = (unsigned char)s[0];
    size_t n = b < 0x80             ? 1
               : (b & 0xe0) == 0xc0 ? 2
               : (b & 0xf0) == 0xe0 ? 3
               : (b & 0xf8) == 0xf0 ? 4
                                    : 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80) return 1;
    return n;
}

size_t vn_names_cols(const char *s)
{
    size_t cols = 0;
    for (; s && *s; s += char_len(s))
        cols++;
    return cols;
}

const char *vn_names_fit(const char *s, size_t cols, char *out, size_t size)
{
    size_t o = 0, used = 0;
    const char *p = s ? s : "";
    size_t room = vn_names_cols(p) > cols && cols > 0 ? cols - 1 : cols;
    if (size == 0) return out;
    /* Room is kept for the mark and the NUL; whatever is left is marked. */
    for (; *p && used < room; used++) {
        size_t n = char_len(p);
        if (o + n + 2 > size) break;
        memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    if (*p && cols > 0 && o + 2 <= size) out[o++] = '~';
    out[o] = '\0';
    return out;
}

const char *vn_names_fit_name(const char *name, size_t cols, char *out, size_t size)
{
    const char *s = name ? name : "";
    size_t len = strlen(s);
    /* A number that tells two people of one name apart (" (2)") stays. */
    const char *open = len >= 4 && s[len - 1] == ')' ? strrchr(s, '(') : NULL;
    bool numbered = open && open > s + 1 && open[-1] == ' ' && s + len - open <= 4;
    for (const char *p = open ? open + 1 : NULL; numbered && p < s + len - 1; p++)
        numbered = *p >= '0' && *p <= '9';
    size_t tail = numbered ? (size_t)(s + len - open) + 1 : 0;
    if (!numbered || vn_names_cols(s) <= cols || cols <= tail + 1)
        return vn_names_fit(s, cols, out, size);
    char base[256];
    snprintf(base, sizeof base, "%.*s", (int)(open - 1 - s), s);
    vn_names_fit(base, cols - tail, out, size);
    size_t o = strlen(out);
    snprintf(out + o, size - o, "%s", open - 1);
    return out;
}

const char *vn_names_short_date(const char *date, const char *today, char *out, size_t size)
{
    bool dated = date && strlen(date) == 10 && date[4] == '-' && date[7] == '-';
    if (dated && today && strncmp(date, today, 4) == 0)
        snprintf(out, size, "%s", date + 5);
    else
        snprintf(out, size, "%s", date ? date : "");
    return out;
}

const char *vn_names_short_kind(const char *kind)
{
    if (!kind) return "";
    if (strcmp(kind, "casemanager-contact") == 0) return "cm contact";
    if (strcmp(kind, "buddy-contact") == 0) return "buddy contact";
    return kind;
}

/* Column widths of a caseload line before its tail. */
#define WHO_COLS   18
#define STATE_COLS 6
#define DUE_COLS   19

const char *vn_names_load_line(const vn_names_row *r, const char *today, size_t width, char *out,
                               size_t size)
{
    char who[WHO_COLS * 4 + 1], state[STATE_COLS * 4 + 1], due[DUE_COLS * 4 + 1], date[16];
    char tail[512] = "", line[1024], sev[16] = "", kind[16] = "";
    size_t t = 0;
    vn_names_fit_name(r->who, WHO_COLS, who, sizeof who);
    vn_names_fit(r->state, STATE_COLS, state, sizeof state);
    if (r->next_kind) {
        char d[DUE_COLS * 4 + 32];
        snprintf(d, sizeof d, "%s %s", vn_names_short_kind(r->next_kind),
                 vn_names_short_date(r->next_date, today, date, sizeof date));
        vn_names_fit(d, DUE_COLS, due, sizeof due);
    } else
        snprintf(due, sizeof due, "-");
    /* The worst alert with its severity in capitals (it is what to act
     * on), then the first overdue item; "+N" counts the rest of each. */
    if (r->alert && sscanf(r->alert, "%15[^:]:%15[^:]", sev, kind) == 2) {
        for (char *p = sev; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        t += (size_t)snprintf(tail + t, sizeof tail - t, "%s %s", sev, kind);
    }
    if (r->nalerts > 1 && t < sizeof tail)
        t += (size_t)snprintf(tail + t, sizeof tail - t, " +%u", r->nalerts - 1);
    if (r->over_kind && t < sizeof tail)
        t += (size_t)snprintf(tail + t, sizeof tail - t, "%soverdue %s %s", t ? ", " : "",
                              vn_names_short_kind(r->over_kind),
                              vn_names_short_date(r->over_date, today, date, sizeof date));
    if (r->nover > 1 && t < sizeof tail) snprintf(tail + t, sizeof tail - t, " +%u", r->nover - 1);
    /* Columns padded by display width, not bytes: a name may be UTF-8. */
    snprintf(line, sizeof line, "  %-8s  %s%*s  %s%*s  %s%*s  %s", r->handle, who,
             (int)(WHO_COLS - vn_names_cols(who)), "", state,
             (int)(STATE_COLS - vn_names_cols(state)), "", due,
             (int)(DUE_COLS - vn_names_cols(due)), "", tail);
    /* No trailing blanks on a line without a tail. */
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == ' ')
        line[--n] = '\0';
    return vn_names_fit(line, width, out, size);
}
