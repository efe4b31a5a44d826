/* The receipt of an envelope that expired undelivered: BLAKE2b-128 of a
 * fixed label and the message id. The server keeps and publishes receipts
 * (core/store vn/expired.h); a sending client computes the receipts of its
 * own messages to find them there (client-cli/sentlog.h). Header-only, so
 * that both sides compute it alike without sharing a library; the
 * including target links libsodium. */
#ifndef VN_RECEIPT_H
#define VN_RECEIPT_H

#include <sodium.h>
#include <stdint.h>

#include "vn/frame.h"

#define VN_RECEIPT_LEN   16
#define VN_RECEIPT_LABEL "vangnet expired receipt v1"

static inline void vn_receipt_of(const uint8_t id[VN_MSGID_LEN], uint8_t out[VN_RECEIPT_LEN])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, VN_RECEIPT_LEN);
    crypto_generichash_update(&h, (const uint8_t *)VN_RECEIPT_LABEL, sizeof VN_RECEIPT_LABEL - 1);
    crypto_generichash_update(&h, id, VN_MSGID_LEN);
    crypto_generichash_final(&h, out, VN_RECEIPT_LEN);
}

#endif
