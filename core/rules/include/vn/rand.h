/* vn_rand: bytes from the operating system's CSPRNG. */
#ifndef VN_RAND_H
#define VN_RAND_H

#include <stddef.h>

#include "vn/err.h"

/* Fills buf with len random bytes (getrandom); VN_ECRYPTO if it fails. */
vn_err vn_rand_bytes(void *buf, size_t len);

#endif
