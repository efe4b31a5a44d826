/* Fuzz target: vn_invite_decode, which parses whatever a user pastes as an
 * invite code (vn1, one endpoint, or vn2, several). The input becomes a
 * NUL-terminated string, as it would be from the command line.
 *
 * A code that decodes must have 1..VN_INVITE_ENDPOINTS_MAX printable,
 * terminated endpoints without commas, the first also in .endpoint; and
 * encoding the result and decoding that again must give the same invite. */
#include "vn/invite.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_endpoint(const char *ep, size_t size)
{
    size_t elen = strnlen(ep, size);
    if (elen == 0 || elen > VN_ENDPOINT_MAX) abort();
    for (size_t i = 0; i < elen; i++)
        if (ep[i] < 0x21 || ep[i] > 0x7e || ep[i] == ',') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    vn_invite inv, again;
    vn_err err = vn_invite_decode(text, &inv);
    if (err == VN_OK) {
        if (inv.endpoints.n == 0 || inv.endpoints.n > VN_INVITE_ENDPOINTS_MAX) abort();
        for (size_t k = 0; k < inv.endpoints.n; k++)
            check_endpoint(inv.endpoints.ep[k], sizeof inv.endpoints.ep[k]);
        if (strcmp(inv.endpoint, inv.endpoints.ep[0]) != 0) abort();
        char code[VN_INVITE_TEXT_MAX];
        if (vn_invite_encode(&inv, code, sizeof code) != VN_OK) abort();
        if (strlen(code) >= VN_INVITE_TEXT_MAX) abort();
        if (memcmp(code, inv.endpoints.n > 1 ? "vn2-" : "vn1-", 4) != 0) abort();
        if (vn_invite_decode(code, &again) != VN_OK) abort();
        if (again.endpoints.n != inv.endpoints.n) abort();
        for (size_t k = 0; k < inv.endpoints.n; k++)
            if (strcmp(again.endpoints.ep[k], inv.endpoints.ep[k]) != 0) abort();
        if (memcmp(again.server_key, inv.server_key, sizeof inv.server_key) != 0 ||
            memcmp(again.secret, inv.secret, sizeof inv.secret) != 0)
            abort();
    } else if (err != VN_EINVITE_BAD) {
        abort();
    }
    free(text);
    return 0;
}
