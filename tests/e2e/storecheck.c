/* vn_storecheck: walks every LMDB database of a server store and checks
 * each record against the schema block of docs/METADATA.md. A database the
 * document does not list, a key or value of another shape, or a protobuf
 * value with a field the document does not name, fails the check.
 *
 *   vn_storecheck STATE_DIR METADATA.md [--absent DB HEX]...
 *
 * Each --absent fails the check if any value of database DB holds the
 * bytes HEX stands for, or HEX itself as text: for example that no queued
 * envelope names its sender or its case. (Keys are not searched: a
 * mailbox key names the recipient, by design.)
 *
 * The schema block is a fenced ```schema block with one line per database:
 *   NAME  KEY  VALUE
 * KEY is a byte length, several as N|M, or text:WORD|WORD...; VALUE is a byte length, a
 * range N..M, or [N+]pb:MESSAGE(field,field,...) for a protobuf value after
 * an optional N-byte prefix. Nested values are described too, and checked
 * the same way: a message field as field{sub,sub,...}, a bytes field that
 * holds a packed message as field=MESSAGE{sub,...}. A nested value that is
 * set but not described this way fails: nothing inside a record escapes
 * the inventory. */
#include "vangnet.pb-c.h"

#include <lmdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DBS      64
#define LINE_MAX_LEN 2048

typedef struct rule {
    char name[64];    /* database name */
    char key[256];    /* key spec */
    char value[1024]; /* value spec */
} rule;

static int nfail;

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    nfail++;
}

static int load_rules(const char *path, rule *rules, int max)
{
    char line[LINE_MAX_LEN];
    FILE *f = fopen(path, "r");
    int n = 0;
    bool in = false;
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "```schema", 9) == 0) {
            in = true;
            continue;
        }
        if (in && strncmp(line, "```", 3) == 0) break;
        if (!in || line[0] == '#' || line[0] == '\n') continue;
        if (n == max) break;
        if (sscanf(line, "%63s %255s %1023s", rules[n].name, rules[n].key, rules[n].value) == 3)
            n++;
    }
    fclose(f);
    return n;
}

static const ProtobufCMessageDescriptor *descriptor(const char *name, size_t len)
{
    if (len == 6 && strncmp(name, "bundle", 6) == 0) return &vn__bundle__descriptor;
    if (len == 8 && strncmp(name, "envelope", 8) == 0) return &vn__envelope__descriptor;
    if (len == 15 && strncmp(name, "stored_contract", 15) == 0)
        return &vn__stored_contract__descriptor;
    if (len == 8 && strncmp(name, "contract", 8) == 0) return &vn__contract__descriptor;
    return NULL;
}

/* Is field f of message m set (differs from its zero value)? */
static bool field_set(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const char *base = (const char *)m + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED)
        return *(const size_t *)((const char *)m + f->quantifier_offset) > 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)base;
        return s && s[0];
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)base)->len > 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(void *const *)base != NULL;
    case PROTOBUF_C_TYPE_BOOL:
        return *(const protobuf_c_boolean *)base;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return *(const uint64_t *)base != 0;
    default:
        return *(const uint32_t *)base != 0;
    }
}

/* One entry of a field list: its name, and for a nested value the type
 * named after '=' (may be empty) and the sub-list between braces. */
typedef struct entry {
    const char *name, *type, *sub;
    size_t name_len, type_len, sub_len;
} entry;

/* Finds field among the comma-separated entries of list[0..len), skipping
 * over nested braces. */
static bool find_entry(const char *list, size_t len, const char *field, entry *e)
{
    size_t i = 0, flen = strlen(field);
    while (i < len) {
        size_t start = i, depth = 0;
        while (i < len && (depth > 0 || list[i] != ',')) {
            depth += list[i] == '{';
            depth -= list[i] == '}' && depth > 0;
            i++;
        }
        const char *p = list + start, *end = list + i;
        size_t n = strcspn(p, "={,");
        if (n > (size_t)(end - p)) n = (size_t)(end - p);
        if (n == flen && strncmp(p, field, flen) == 0) {
            *e = (entry){p, NULL, NULL, n, 0, 0};
            const char *q = p + n;
            if (q < end && *q == '=') {
                e->type = ++q;
                e->type_len = strcspn(q, "{,");
                q += e->type_len;
            }
            if (q < end && *q == '{') {
                e->sub = q + 1;
                e->sub_len = (size_t)(end - q) - 2; /* without the braces */
            }
            return true;
        }
        i++; /* past the comma */
    }
    return false;
}

static bool check_msg(const char *db, const char *path, const ProtobufCMessage *m, const char *list,
                      size_t len);

/* A set nested value of field f: a sub-message (or each of a repeated one)
 * or a bytes value holding the packed message e names. */
static bool check_nested(const char *db, const char *path, const ProtobufCMessage *m,
                         const ProtobufCFieldDescriptor *f, const entry *e)
{
    char sub[256];
    snprintf(sub, sizeof sub, "%s.%s", path, f->name);
    const char *base = (const char *)m + f->offset;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        bool rep = f->label == PROTOBUF_C_LABEL_REPEATED;
        size_t n = rep ? *(const size_t *)((const char *)m + f->quantifier_offset) : 1;
        ProtobufCMessage *const *items =
            rep ? *(ProtobufCMessage *const *const *)base : (ProtobufCMessage *const *)base;
        for (size_t i = 0; i < n; i++)
            if (!check_msg(db, sub, items[i], e->sub, e->sub_len)) return false;
        return true;
    }
    const ProtobufCMessageDescriptor *d = descriptor(e->type, e->type_len);
    const ProtobufCBinaryData *b = (const ProtobufCBinaryData *)base;
    ProtobufCMessage *inner = d ? protobuf_c_message_unpack(d, NULL, b->len, b->data) : NULL;
    if (!inner) {
        failf("%s: %s does not decode as %.*s", db, sub, (int)e->type_len, e->type);
        return false;
    }
    bool ok = check_msg(db, sub, inner, e->sub, e->sub_len);
    protobuf_c_message_free_unpacked(inner, NULL);
    return ok;
}

/* Every set field of m must be listed; nested values must be described. */
static bool check_msg(const char *db, const char *path, const ProtobufCMessage *m, const char *list,
                      size_t len)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    if (m->n_unknown_fields) {
        failf("%s: %s holds fields this build does not know", db, path);
        return false;
    }
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        entry e;
        if (!field_set(m, f)) continue;
        if (!find_entry(list, len, f->name, &e)) {
            failf("%s: stores field %s.%s, which docs/METADATA.md does not list", db, path,
                  f->name);
            return false;
        }
        bool nested = f->type == PROTOBUF_C_TYPE_MESSAGE || e.type;
        if (nested && !e.sub) {
            failf("%s: %s.%s holds a nested value docs/METADATA.md does not describe", db, path,
                  f->name);
            return false;
        }
        if (nested && !check_nested(db, path, m, f, &e)) return false;
    }
    return true;
}

static bool check_value(const char *db, const char *spec, const MDB_val *v)
{
    char *end;
    size_t prefix = 0;
    const char *pb = strstr(spec, "pb:");
    if (!pb) {
        size_t lo = strtoul(spec, &end, 10), hi = lo;
        if (strncmp(end, "..", 2) == 0) hi = strtoul(end + 2, &end, 10);
        return v->mv_size >= lo && v->mv_size <= hi;
    }
    if (pb != spec) prefix = strtoul(spec, NULL, 10);
    const char *open = strchr(pb, '(');
    const char *close = open ? strrchr(open, ')') : NULL;
    if (!close || v->mv_size < prefix) return false;
    const ProtobufCMessageDescriptor *d = descriptor(pb + 3, (size_t)(open - pb - 3));
    if (!d) return false;
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, v->mv_size - prefix,
                                                    (const uint8_t *)v->mv_data + prefix);
    if (!m) return false;
    bool ok = check_msg(db, d->short_name, m, open + 1, (size_t)(close - open - 1));
    protobuf_c_message_free_unpacked(m, NULL);
    return ok;
}

static bool check_key(const char *spec, const MDB_val *k)
{
    if (strncmp(spec, "text:", 5) == 0) {
        const char *p = spec + 5;
        while (*p) {
            size_t n = strcspn(p, "|");
            if (n == k->mv_size && memcmp(p, k->mv_data, n) == 0) return true;
            p += n + (p[n] == '|');
        }
        return false;
    }
    /* N, or N|M|...: one of several lengths. */
    for (const char *p = spec; *p;) {
        char *end;
        if (k->mv_size == strtoul(p, &end, 10)) return true;
        if (*end != '|') return false;
        p = end + 1;
    }
    return false;
}

/* Does the n bytes at p contain the needle of len bytes? */
static bool contains(const void *p, size_t n, const uint8_t *needle, size_t len)
{
    for (size_t i = 0; len && i + len <= n; i++)
        if (memcmp((const uint8_t *)p + i, needle, len) == 0) return true;
    return false;
}

/* Fails if a value of database name holds hex, as text or as the bytes it
 * stands for; returns how many records were searched. */
static int check_absent(MDB_txn *txn, const char *name, const char *hex)
{
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    uint8_t raw[128];
    size_t len = strlen(hex), nraw = len / 2;
    int n = 0;
    if (len % 2 || nraw > sizeof raw) {
        failf("--absent %s: not an even number of hex digits (at most 256)", hex);
        return 0;
    }
    for (size_t i = 0; i < nraw; i++)
        if (sscanf(hex + 2 * i, "%2hhx", &raw[i]) != 1) {
            failf("--absent %s: not hex", hex);
            return 0;
        }
    if (mdb_dbi_open(txn, name, 0, &dbi) || mdb_cursor_open(txn, dbi, &cur)) {
        failf("%s: cannot open", name);
        return 0;
    }
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
        bool found = contains(v.mv_data, v.mv_size, raw, nraw) ||
                     contains(v.mv_data, v.mv_size, (const uint8_t *)hex, len);
        if (found) {
            failf("%s: a record holds %s", name, hex);
            break;
        }
    }
    mdb_cursor_close(cur);
    return n;
}

static int check_db(MDB_txn *txn, const char *name, const rule *r)
{
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t n = 0, bad = 0;
    if (mdb_dbi_open(txn, name, 0, &dbi) || mdb_cursor_open(txn, dbi, &cur)) {
        failf("%s: cannot open", name);
        return 0;
    }
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        n++;
        if (!check_key(r->key, &k)) {
            if (!bad++) failf("%s: a key does not match \"%s\"", name, r->key);
        } else if (!check_value(name, r->value, &v)) {
            if (!bad++) failf("%s: a value does not match \"%s\"", name, r->value);
        }
    }
    mdb_cursor_close(cur);
    if (!bad) printf("ok: %s: %zu records as documented\n", name, n);
    return (int)n;
}

int main(int argc, char **argv)
{
    rule rules[MAX_DBS];
    MDB_env *env;
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    char names[MAX_DBS][64];
    int nnames = 0;
    if (argc < 3 || (argc - 3) % 3 != 0) {
        fprintf(stderr, "usage: vn_storecheck STATE_DIR METADATA.md [--absent DB HEX]...\n");
        return 2;
    }
    for (int i = 3; i < argc; i += 3)
        if (strcmp(argv[i], "--absent") != 0) {
            fprintf(stderr, "vn_storecheck: unknown option %s\n", argv[i]);
            return 2;
        }
    int nrules = load_rules(argv[2], rules, MAX_DBS);
    if (nrules <= 0) {
        fprintf(stderr, "vn_storecheck: no ```schema block in %s\n", argv[2]);
        return 2;
    }
    if (mdb_env_create(&env) || mdb_env_set_maxdbs(env, MAX_DBS) ||
        mdb_env_open(env, argv[1], MDB_RDONLY, 0600) ||
        mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) {
        fprintf(stderr, "vn_storecheck: cannot open the store in %s\n", argv[1]);
        return 2;
    }
    /* The main database lists the named databases. */
    MDB_dbi main_dbi;
    mdb_dbi_open(txn, NULL, 0, &main_dbi);
    mdb_cursor_open(txn, main_dbi, &cur);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && nnames < MAX_DBS;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        size_t len = k.mv_size < 63 ? k.mv_size : 63;
        memcpy(names[nnames], k.mv_data, len);
        names[nnames++][len] = '\0';
    }
    mdb_cursor_close(cur);
    for (int i = 0; i < nnames; i++) {
        const rule *r = NULL;
        for (int j = 0; j < nrules; j++)
            if (strcmp(rules[j].name, names[i]) == 0) r = &rules[j];
        if (!r)
            failf("database %s is not listed in docs/METADATA.md", names[i]);
        else
            check_db(txn, names[i], r);
    }
    for (int i = 3; i < argc; i += 3) {
        int searched = check_absent(txn, argv[i + 1], argv[i + 2]);
        printf("absent: %s in %s (%d records searched)\n", argv[i + 2], argv[i + 1], searched);
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    printf("%d databases, %d problems\n", nnames, nfail);
    return nfail ? 1 : 0;
}
