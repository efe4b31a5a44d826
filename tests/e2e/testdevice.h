/* A test device for the e2e tools that speak the wire protocol themselves
 * (vn_forge, vn_recordforge): a real Signal identity in a temporary store,
 * a fresh CURVE key, and the few requests an honest client makes to join,
 * publish its keys and start a session. */
#ifndef VN_TEST_DEVICE_H
#define VN_TEST_DEVICE_H

#include "vn/conn.h"
#include "vn/e2ee.h"
#include "vn/invite.h"
#include "vn/kv.h"
#include <stdbool.h>

typedef struct test_device {
    const char *prog; /* named in error messages */
    char dir[64];     /* the temporary store */
    vn_kv *kv;
    vn_e2ee *e;
    vn_conn *conn;
} test_device;

/* Creates the store, the identity and the connection to the invite's
 * server; 0 on success. */
int td_open(test_device *d, const char *prog, const vn_invite *inv);
/* Closes everything and removes the store; 1 if that failed. */
int td_close(test_device *d);
/* Sends req; the reply's body must be want (else says which failed). */
int td_call(test_device *d, Vn__Request *req, Vn__Reply__BodyCase want, Vn__Reply **rep);
/* Redeems the invite and prints the new account id; *casemanager tells
 * whether the role is casemanager (may be NULL). */
int td_redeem(test_device *d, const vn_invite *inv, bool *casemanager);
/* Publishes the identity and signed prekey, and with_prekey one one-time
 * prekey. */
int td_publish(test_device *d, bool with_prekey);
/* Starts a session with `to` from its bundle. */
int td_start_session(test_device *d, const char *to);
/* Seals the Signal ciphertext ct to `to` under the certificate (cert,
 * sig), pads it and sends it as an honest client would. */
int td_send_sealed(test_device *d, const char *to, const uint8_t *cert, size_t certlen,
                   const uint8_t *sig, bool prekey, const uint8_t *ct, size_t ctlen);
/* Sends content to `to` as an honest client would: the server's sender
 * certificate, a session from the bundle, Signal-encrypted, sealed and
 * padded (at most 1 KiB of content). */
int td_send_content(test_device *d, const char *to, const Vn__Content *content);

#endif
