#include "vn/err.h"

const char *vn_err_str(int err)
{
    switch (err) {
    case VN_OK:
        return "ok";
#define VN_ERR_STR(name, code, msg)                                                                \
    case code:                                                                                     \
        return msg;
        VN_ERR_MAP(VN_ERR_STR)
#undef VN_ERR_STR
    }
    return "unknown error";
}

const char *vn_err_name(int err)
{
    switch (err) {
    case VN_OK:
        return "OK";
#define VN_ERR_NAME(name, code, msg)                                                               \
    case code:                                                                                     \
        return #name;
        VN_ERR_MAP(VN_ERR_NAME)
#undef VN_ERR_NAME
    }
    return "UNKNOWN";
}

int vn_err_is_known(int err)
{
    switch (err) {
    case VN_OK:
#define VN_ERR_KNOWN(name, code, msg) case code:
        VN_ERR_MAP(VN_ERR_KNOWN)
#undef VN_ERR_KNOWN
        return 1;
    }
    return 0;
}
