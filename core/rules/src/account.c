#include "vn/account.h"

#include <stddef.h>
#include <string.h>

bool vn_account_valid(const char *s)
{
    if (!s || strlen(s) != VN_ACCOUNT_HEX) return false;
    for (size_t i = 0; i < VN_ACCOUNT_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}
