/* Fuzz target: vn_pad_decode, run by every client on every message body.
 *
 * Padding is canonical, so beyond "does not crash" the target checks both
 * directions: a body that decodes is exactly what vn_pad_encode makes of
 * its payload, and any input used as a payload pads to its bucket and
 * decodes back to itself. */
#include "vn/pad.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *payload = NULL;
    size_t plen = 0;
    uint8_t *enc = NULL;
    size_t elen = 0;

    vn_err err = vn_pad_decode(data, size, &payload, &plen);
    if (err == VN_OK) {
        if (payload != data + 4 || plen > size - 4) abort();
        if (vn_pad_encode(payload, plen, &enc, &elen) != VN_OK) abort();
        if (elen != size || memcmp(enc, data, size) != 0) abort();
        free(enc);
    } else if (err != VN_EPROTO) {
        abort();
    }

    err = vn_pad_encode(data, size, &enc, &elen);
    if (err == VN_OK) {
        if (elen != vn_pad_bucket(size) || elen < size + 4) abort();
        if (vn_pad_decode(enc, elen, &payload, &plen) != VN_OK) abort();
        if (plen != size || memcmp(payload, data, size) != 0) abort();
        free(enc);
    } else if (err != VN_ETOOBIG || vn_pad_bucket(size) != 0) {
        abort();
    }
    return 0;
}
