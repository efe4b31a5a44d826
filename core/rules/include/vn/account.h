/* vn_account: account ids, 16 random bytes shown as 32 lowercase hex
 * characters. Case ids have the same form. */
#ifndef VN_ACCOUNT_H
#define VN_ACCOUNT_H

#include <stdbool.h>

#define VN_ACCOUNT_LEN 16
#define VN_ACCOUNT_HEX (VN_ACCOUNT_LEN * 2)

/* True if s is a well-formed account id (32 lowercase hex characters). */
bool vn_account_valid(const char *s);

#endif
