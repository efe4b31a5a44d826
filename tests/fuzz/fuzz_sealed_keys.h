/* The fixed keys of the sealed-sender fuzz target, shared with the seed
 * generator so that its valid seeds verify: a server signing key and a
 * recipient identity, both from fixed seeds. Test keys, never used
 * anywhere else. */
#ifndef VN_FUZZ_SEALED_KEYS_H
#define VN_FUZZ_SEALED_KEYS_H

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#define VN_FUZZ_SEALED_NOW 1800000000000ULL /* the envelope time the target opens at */

typedef struct vn_fuzz_sealed_keys {
    uint8_t sign_pub[crypto_sign_PUBLICKEYBYTES]; /* the server's */
    uint8_t sign_sec[crypto_sign_SECRETKEYBYTES];
    uint8_t id_pub[33]; /* the recipient's, 0x05 and X25519 */
    uint8_t id_sec[crypto_box_SECRETKEYBYTES];
} vn_fuzz_sealed_keys;

static inline int vn_fuzz_sealed_keys_make(vn_fuzz_sealed_keys *k)
{
    uint8_t seed[32];
    if (sodium_init() < 0) return -1;
    memset(seed, 0x53, sizeof seed);
    crypto_sign_seed_keypair(k->sign_pub, k->sign_sec, seed);
    memset(seed, 0x52, sizeof seed);
    k->id_pub[0] = 0x05;
    return crypto_box_seed_keypair(k->id_pub + 1, k->id_sec, seed);
}

#endif
