/* One error type for all of Vangnet. Codes are stable: they travel on the
 * wire in error replies, so a number never changes once released. They stay
 * at or below -10000 so they never collide with libsignal's SG_ERR_* codes. */
#ifndef VN_ERR_H
#define VN_ERR_H

#define VN_ERR_MAP(X)                                                                              \
    X(NOMEM, -10001, "out of memory")                                                              \
    X(INVAL, -10002, "invalid argument")                                                           \
    X(PROTO, -10003, "malformed frame")                                                            \
    X(TOOBIG, -10004, "message exceeds size limit")                                                \
    X(VERSION, -10005, "unsupported protocol version")                                             \
    X(NOTFOUND, -10006, "not found")                                                               \
    X(DENIED, -10007, "not allowed for this role or case")                                         \
    X(NOACCOUNT, -10008, "unknown account")                                                        \
    X(INVITE_USED, -10009, "invite code was already redeemed")                                     \
    X(INVITE_EXPIRED, -10010, "invite code has expired")                                           \
    X(INVITE_BAD, -10011, "invite code is not valid")                                              \
    X(UNREGISTERED, -10012, "device key is not registered; redeem an invite first")                \
    X(STORE, -10013, "storage error")                                                              \
    X(FULL, -10014, "storage is full")                                                             \
    X(TIMEOUT, -10015, "no answer from the server in time")                                        \
    X(CRYPTO, -10016, "cryptographic operation failed")                                            \
    X(UNTRUSTED, -10017, "identity key changed; verify the new safety number")                     \
    X(IO, -10018, "input/output error")                                                            \
    X(TRANSPORT, -10019, "transport error")                                                        \
    X(DUPLICATE, -10020, "duplicate message")                                                      \
    X(RATE, -10021, "rate limit exceeded; retry later")                                            \
    X(INTERNAL, -10022, "internal error")                                                          \
    X(EXISTS, -10023, "already exists")                                                            \
    X(NOSESSION, -10024, "no secure session with this account")                                    \
    X(FORGED, -10025, "sender certificate is forged or does not match the sender's key")           \
    X(EXPIRED, -10026, "sender certificate has expired")                                           \
    X(UNAVAILABLE, -10027, "this server node cannot serve it now; try the cluster's writer")

typedef enum vn_err {
    VN_OK = 0,
#define VN_ERR_ENUM(name, code, msg) VN_E##name = code,
    VN_ERR_MAP(VN_ERR_ENUM)
#undef VN_ERR_ENUM
} vn_err;

/* Human message for a code; never NULL. */
const char *vn_err_str(int err);
/* Stable short name for a code ("TOOBIG"), used as the JSON error code. */
const char *vn_err_name(int err);
/* True when code is one of ours (used to validate codes received on the wire). */
int vn_err_is_known(int err);
/* True when the same request may succeed later unchanged (the server or
 * its store was busy, full, unreachable or failed part-way: nothing was
 * kept), false when it never will (the request itself is refused) and for
 * VN_OK. An unknown code (a newer server's) counts as retryable: a client
 * that keeps a message it could drop loses nothing. */
int vn_err_is_retryable(int err);

#endif
