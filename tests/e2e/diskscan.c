/* vn_diskscan: what a copy of the state directory gives away. Reads every
 * byte of every file under DIR (data.mdb with its free pages, the lock
 * file, the key files, anything else) and looks for each needle read from
 * standard input, one a line:
 *
 *   id LABEL HEX     an id (account, case, alert, message, device key; up to
 *                    64 bytes): looked for as its raw bytes, lower- and
 *                    upper-case hex, base64 and base64url
 *   text LABEL TEXT  a word or a message text, in any letter case
 *
 * Prints one line per finding (what, as what, which file, at which offset)
 * and exits 1 if there was any, 0 if none, 2 on a usage or I/O error.
 *
 *   vn_diskscan DIR < NEEDLES */
#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NEEDLES_MAX 512
#define NEEDLE_LEN  1024
#define ID_MAX      64 /* longest id: a 32-byte device key fits */

typedef struct needle {
    char label[64];            /* the name the finding is reported by */
    char as[16];               /* which form: raw, hex, HEX, base64, base64url, text */
    uint8_t bytes[NEEDLE_LEN]; /* what is looked for */
    size_t len;
    bool fold; /* compare without letter case */
} needle;

static needle needles[NEEDLES_MAX];
static int nneedles, nfound;

static needle *add(const char *label, const char *as, const void *bytes, size_t len, bool fold)
{
    if (nneedles == NEEDLES_MAX || len == 0 || len > NEEDLE_LEN) return NULL;
    needle *n = &needles[nneedles++];
    snprintf(n->label, sizeof n->label, "%s", label);
    snprintf(n->as, sizeof n->as, "%s", as);
    memcpy(n->bytes, bytes, len);
    n->len = len;
    n->fold = fold;
    return n;
}

/* base64 of the 16 id bytes, without padding (22 characters): the padded
 * form and any longer text that starts with the id both contain it. */
static void base64(const uint8_t *in, size_t len, char *out, bool url)
{
    const char *abc = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len) v |= in[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        if (i + 1 < len) out[o++] = abc[(v >> 6) & 63];
        if (i + 2 < len) out[o++] = abc[v & 63];
    }
    out[o] = '\0';
}

static int add_id(const char *label, const char *hex)
{
    uint8_t raw[ID_MAX];
    char text[2 * ID_MAX + 8];
    size_t hlen = strlen(hex), n = hlen / 2;
    if (hlen == 0 || hlen % 2 || n > ID_MAX) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
        raw[i] = (uint8_t)v;
    }
    add(label, "raw bytes", raw, n, false);
    for (size_t i = 0; i < hlen; i++)
        text[i] = (char)tolower((unsigned char)hex[i]);
    add(label, "hex", text, hlen, false);
    for (size_t i = 0; i < hlen; i++)
        text[i] = (char)toupper((unsigned char)hex[i]);
    add(label, "HEX", text, hlen, false);
    base64(raw, n, text, false);
    add(label, "base64", text, strlen(text), false);
    base64(raw, n, text, true);
    add(label, "base64url", text, strlen(text), false);
    return 0;
}

static int read_needles(FILE *f)
{
    char line[NEEDLE_LEN + 128];
    while (fgets(line, sizeof line, f)) {
        char kind[8], label[64];
        int off = 0;
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#') continue;
        if (sscanf(line, "%7s %63s %n", kind, label, &off) != 2 || !line[off]) return -1;
        const char *val = line + off;
        if (strcmp(kind, "id") == 0) {
            if (add_id(label, val) != 0) return -1;
        } else if (strcmp(kind, "text") == 0) {
            if (!add(label, "text", val, strlen(val), true)) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

static bool match_at(const uint8_t *p, const needle *n)
{
    if (!n->fold) return memcmp(p, n->bytes, n->len) == 0;
    for (size_t i = 0; i < n->len; i++)
        if (tolower(p[i]) != tolower(n->bytes[i])) return false;
    return true;
}

/* Reports each needle at most once per file: its first offset. */
static void scan_buf(const char *path, const uint8_t *buf, size_t size)
{
    for (int k = 0; k < nneedles; k++) {
        const needle *n = &needles[k];
        for (size_t i = 0; n->len <= size && i <= size - n->len; i++) {
            if (!match_at(buf + i, n)) continue;
            printf("FOUND %s as %s in %s at offset %zu\n", n->label, n->as, path, i);
            nfound++;
            break;
        }
    }
}

static int scan_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0) {
        if (f) fclose(f);
        fprintf(stderr, "vn_diskscan: cannot read %s\n", path);
        return -1;
    }
    size_t size = (size_t)sb.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    bool ok = buf && fread(buf, 1, size, f) == size;
    fclose(f);
    if (ok) scan_buf(path, buf, size);
    free(buf);
    printf("scanned %s (%zu bytes)\n", path, size);
    return ok ? 0 : -1;
}

static int scan_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;
    if (!d) return -1;
    while (rc == 0 && (e = readdir(d))) {
        char path[4096];
        struct stat sb;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &sb) != 0)
            rc = -1;
        else if (S_ISDIR(sb.st_mode))
            rc = scan_dir(path);
        else if (S_ISREG(sb.st_mode))
            rc = scan_file(path);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: vn_diskscan DIR < NEEDLES\n");
        return 2;
    }
    if (read_needles(stdin) != 0 || nneedles == 0) {
        fprintf(stderr, "vn_diskscan: bad needle list (lines: id LABEL HEX | text LABEL TEXT)\n");
        return 2;
    }
    if (scan_dir(argv[1]) != 0) return 2;
    printf("%d needles, %d found\n", nneedles, nfound);
    return nfound ? 1 : 0;
}
