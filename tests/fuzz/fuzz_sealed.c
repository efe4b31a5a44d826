/* Fuzz target: what a recipient finds inside a sealed-sender box. Anyone
 * may seal anything to anyone's identity key, so the packed SealedContent
 * inside is as untrusted as a frame from the network. The target seals its
 * input to a fixed recipient and opens it with vn_sealed_open: it must
 * answer with one of the documented errors, or with a message whose
 * certificate verifies against the server key and whose fields are sound. */
#include "fuzz_sealed_keys.h"
#include "vn/sealed.h"
#include "vn/account.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vn_fuzz_sealed_keys k;
    static int ready;
    vn_sealed_msg m;
    if (!ready && vn_fuzz_sealed_keys_make(&k) != 0) abort();
    ready = 1;
    if (size > 64 * 1024) return 0;
    uint8_t *box = malloc(size + crypto_box_SEALBYTES);
    if (!box || crypto_box_seal(box, data, size, k.id_pub + 1) != 0) abort();
    vn_err err = vn_sealed_open(k.id_pub, k.id_sec, k.sign_pub, VN_FUZZ_SEALED_NOW, box,
                                size + crypto_box_SEALBYTES, &m);
    free(box);
    if (err == VN_OK) {
        bool team = m.kind == VN_SEALED_TEAM;
        if (!m.ct || m.ctlen == 0 || m.kind < VN_SEALED_PREKEY || m.kind > VN_SEALED_TEAM ||
            !vn_account_valid(m.sender.account) || m.sender.identity_key[0] != 0x05 ||
            m.sender.expires_ms < VN_FUZZ_SEALED_NOW || team != (m.case_id[0] != '\0') ||
            (team && !vn_account_valid(m.case_id)))
            abort();
    } else if (err != VN_EPROTO && err != VN_EFORGED && err != VN_EEXPIRED) {
        abort();
    } else if (m.ct) {
        abort(); /* a refusal leaves nothing behind */
    }
    vn_sealed_msg_clear(&m);
    return 0;
}
