/* The one spread the in-memory tables of core/kv use to pick a slot
 * (the hash cache, the value cache, the held puts): FNV-1a, started from
 * its offset basis mixed with salt (the table, a tag). Not for anything an
 * attacker could aim at: each table checks what a slot holds in full. */
#ifndef VN_KV_FNV_H
#define VN_KV_FNV_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t kv_fnv1a(uint32_t salt, const uint8_t *data, size_t len)
{
    uint32_t h = 2166136261u ^ salt;
    for (size_t i = 0; i < len; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

#endif
