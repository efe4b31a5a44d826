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

int vn_err_is_retryable(int err)
{
    switch (err) {
    case VN_OK:
        return 0;
    /* Busy, full, unreachable or failed part-way: try again later. */
    case VN_ENOMEM:
    case VN_ESTORE:
    case VN_EFULL:
    case VN_ETIMEOUT:
    case VN_EIO:
    case VN_ETRANSPORT:
    case VN_ERATE:
    case VN_EINTERNAL:
    case VN_EUNAVAILABLE:
        return 1;
    /* The request itself is refused: sending it again changes nothing. */
    case VN_EINVAL:
    case VN_EPROTO:
    case VN_ETOOBIG:
    case VN_EVERSION:
    case VN_ENOTFOUND:
    case VN_EDENIED:
    case VN_ENOACCOUNT:
    case VN_EINVITE_USED:
    case VN_EINVITE_EXPIRED:
    case VN_EINVITE_BAD:
    case VN_EUNREGISTERED:
    case VN_ECRYPTO:
    case VN_EUNTRUSTED:
    case VN_EDUPLICATE:
    case VN_EEXISTS:
    case VN_ENOSESSION:
    case VN_EFORGED:
    case VN_EEXPIRED:
        return 0;
    }
    return 1;
}
