/* Fuzz target: a follower gathering a write-set split over several log
 * entries (server/cluster_parts.c), which it runs on every entry of the
 * replicated log before anything is applied.
 *
 * The input is a run of log entries, each a 2-byte big-endian length and
 * its bytes. Each entry that vn_parts_parse calls a part goes through
 * vn_parts_take. Beyond "does not crash", a model of the group is kept
 * beside it: a part is one only with a whole header, index below count
 * and count of at least 2; a group is whole exactly when its parts came
 * 0, 1, ... count - 1 in a row, and then holds their bytes, in order. */
#include "cluster_parts.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MODEL_MAX (1u << 20) /* the model's copy of a group's bytes */

typedef struct model {
    uint8_t *bytes;
    size_t len;
    uint32_t next, count; /* count 0: no group */
    uint64_t last_seq;    /* the log entry of the part before */
} model;

/* What the model expects of part (index, count) at log entry seq with
 * payload p: a group's parts are consecutive entries of the log. */
static vn_parts_took model_take(model *m, uint64_t seq, uint32_t index, uint32_t count,
                                const uint8_t *p, size_t plen)
{
    if (index == 0) {
        m->len = 0;
        m->count = count;
        m->next = 0;
    } else if (m->count == 0 || index != m->next || count != m->count || seq != m->last_seq + 1) {
        m->count = 0;
        return VN_PARTS_STRAY;
    }
    if (m->len + plen > MODEL_MAX) abort(); /* inputs are smaller than this */
    memcpy(m->bytes + m->len, p, plen);
    m->len += plen;
    m->next = index + 1;
    m->last_seq = seq;
    if (m->next < m->count) return VN_PARTS_MORE;
    m->count = 0;
    return VN_PARTS_WHOLE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vn_parts g = {0};
    model m = {.bytes = malloc(MODEL_MAX)};
    uint64_t seq = 0;
    if (!m.bytes) return 0;
    for (size_t at = 0; at + 2 <= size;) {
        size_t len = (size_t)data[at] << 8 | data[at + 1];
        const uint8_t *e = data + at + 2;
        if (len > size - at - 2) len = size - at - 2;
        at += 2 + len;
        seq++;
        uint32_t index = 0, count = 0;
        bool part = vn_parts_parse(e, len, &index, &count);
        bool shaped = len >= VN_PARTS_HEAD && e[0] == VN_PARTS_MAGIC;
        if (part && (!shaped || count < 2 || index >= count)) abort();
        if (!part) continue;
        vn_parts_took took;
        vn_err err = vn_parts_take(&g, seq, e, len, &took);
        if (err) abort(); /* no group here comes near VN_KV_WS_MAX */
        vn_parts_took want =
            model_take(&m, seq, index, count, e + VN_PARTS_HEAD, len - VN_PARTS_HEAD);
        if (took != want) abort();
        if (took == VN_PARTS_WHOLE &&
            (g.len != m.len || (m.len && memcmp(g.buf, m.bytes, m.len) != 0) || g.last_seq != seq))
            abort();
        if (took == VN_PARTS_WHOLE) vn_parts_drop(&g);
    }
    vn_parts_free(&g);
    free(m.bytes);
    return 0;
}
