#include "vn/sha256.h"

#include <openssl/evp.h>

vn_err vn_sha256(const void *data, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 ? VN_OK : VN_ECRYPTO;
}
