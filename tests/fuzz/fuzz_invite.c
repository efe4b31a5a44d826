/* Fuzz target: vn_invite_decode, which parses whatever a user pastes as an
 * invite code. The input becomes a NUL-terminated string, as it would be
 * from the command line.
 *
 * A code that decodes must have a printable, terminated endpoint, and
 * encoding the result and decoding that again must give the same invite. */
#include "vn/invite.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    vn_invite inv, again;
    vn_err err = vn_invite_decode(text, &inv);
    if (err == VN_OK) {
        size_t elen = strnlen(inv.endpoint, sizeof inv.endpoint);
        if (elen == 0 || elen > VN_ENDPOINT_MAX) abort();
        for (size_t i = 0; i < elen; i++)
            if (inv.endpoint[i] < 0x21 || inv.endpoint[i] > 0x7e) abort();
        char code[VN_INVITE_TEXT_MAX];
        if (vn_invite_encode(&inv, code, sizeof code) != VN_OK) abort();
        if (strlen(code) >= VN_INVITE_TEXT_MAX) abort();
        if (vn_invite_decode(code, &again) != VN_OK) abort();
        if (strcmp(again.endpoint, inv.endpoint) != 0 ||
            memcmp(again.server_key, inv.server_key, sizeof inv.server_key) != 0 ||
            memcmp(again.secret, inv.secret, sizeof inv.secret) != 0)
            abort();
    } else if (err != VN_EINVITE_BAD) {
        abort();
    }
    free(text);
    return 0;
}
