/* Write-sets split over several log entries (cluster_parts.h). */
#include "cluster_parts.h"

#include "vn/array.h"
#include "vn/be.h"
#include "vn/kv.h"

#include <stdlib.h>
#include <string.h>

#define VERSION 1

bool vn_parts_parse(const uint8_t *entry, size_t len, uint32_t *index, uint32_t *count)
{
    if (len < VN_PARTS_HEAD || entry[0] != VN_PARTS_MAGIC || entry[1] != VERSION) return false;
    *index = vn_be_get32(entry + 2);
    *count = vn_be_get32(entry + 6);
    return *count >= 2 && *index < *count;
}

void vn_parts_header(uint8_t head[VN_PARTS_HEAD], uint32_t index, uint32_t count)
{
    head[0] = VN_PARTS_MAGIC;
    head[1] = VERSION;
    vn_be_put32(head + 2, index);
    vn_be_put32(head + 6, count);
}

bool vn_parts_drop(vn_parts *g)
{
    bool had = g->count != 0;
    g->len = 0;
    g->next = g->count = 0;
    g->last_seq = 0;
    return had;
}

void vn_parts_free(vn_parts *g)
{
    free(g->buf);
    memset(g, 0, sizeof *g);
}

vn_err vn_parts_take(vn_parts *g, uint64_t seq, const uint8_t *entry, size_t len,
                     vn_parts_took *took)
{
    uint32_t index, count;
    if (!vn_parts_parse(entry, len, &index, &count)) return VN_EPROTO;
    if (index == 0) {
        vn_parts_drop(g);
        g->count = count;
    } else if (!g->count || index != g->next || count != g->count || seq != g->last_seq + 1) {
        vn_parts_drop(g);
        *took = VN_PARTS_STRAY;
        return VN_OK;
    }
    size_t add = len - VN_PARTS_HEAD;
    vn_err err = g->len + add > VN_KV_WS_MAX
                     ? VN_ETOOBIG
                     : vn_array_reserve(&g->buf, &g->cap, g->len + add, 1, VN_KV_WS_MAX);
    if (err) {
        vn_parts_drop(g);
        return err;
    }
    if (add) memcpy(g->buf + g->len, entry + VN_PARTS_HEAD, add);
    g->len += add;
    g->next = index + 1;
    g->last_seq = seq;
    *took = g->next == g->count ? VN_PARTS_WHOLE : VN_PARTS_MORE;
    return VN_OK;
}
