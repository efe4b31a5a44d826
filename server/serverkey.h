/* vn_serverkey: the server's CURVE key pair in the state directory.
 * server.pub is the public half in z85 (clients pin it from their invite;
 * public anyway). server.key, the secret half, is sealed under a key
 * derived from the store key (crypto_kdf, context "vnsrvkey"), so a copy
 * of the state directory without the store key cannot pose as the server
 * to the clients. The file is one line: "vnsk1:" and, in hex, a 24-byte
 * nonce and the XChaCha20-Poly1305 box of the 32-byte secret (its tag
 * binds the "vnsk1:" header).
 *
 * Releases before this one wrote the secret in the clear (40 z85
 * characters); such a file is still read, and `vangnetd run` seals it in
 * place once the store key has opened the store (vn_serverkey_store). */
#ifndef VN_SERVERKEY_H
#define VN_SERVERKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define VN_SERVERKEY_FILE  "server.key"
#define VN_SERVERKEY_PUB   "server.pub"
#define VN_SERVERKEY_REKEY "server.key.rekey" /* made by a rotation of the store key */
#define VN_SERVERKEY_LEN   32

/* Makes a new CURVE key pair: server.key sealed under store_key (never
 * over an existing file: VN_EEXISTS) and server.pub; pub gets the public
 * key in z85. msg names what failed. */
vn_err vn_serverkey_create(const char *state_dir, const uint8_t store_key[32], char pub[41],
                           char *msg, size_t msglen);

/* Reads the secret of server.key into secret. A sealed file is opened
 * with store_key; a plain one of an older release is decoded and *plain
 * set (the caller seals it once the store key has proven right). When
 * store_key does not open server.key but opens the server.key.rekey that
 * an interrupted `vangnetd rekey` left, that one is moved into place and
 * note says so (note is "" otherwise). Errors, with msg naming the file:
 * VN_ENOTFOUND (no server.key), VN_EIO (unreadable), VN_EINVAL (damaged or
 * truncated), VN_ECRYPTO (store_key does not open it: a wrong store key,
 * or a server.key sealed under another one). secret is wiped on error. */
vn_err vn_serverkey_load(const char *state_dir, const uint8_t store_key[32],
                         uint8_t secret[VN_SERVERKEY_LEN], bool *plain, char *note, size_t notelen,
                         char *msg, size_t msglen);

/* Writes secret sealed under store_key to state_dir/name, replacing it in
 * one step: a temporary file, fsync, rename, fsync of the directory. */
vn_err vn_serverkey_store(const char *state_dir, const char *name, const uint8_t store_key[32],
                          const uint8_t secret[VN_SERVERKEY_LEN], char *msg, size_t msglen);

/* Moves server.key.rekey over server.key (rename, fsync of the directory). */
vn_err vn_serverkey_rekey_finish(const char *state_dir, char *msg, size_t msglen);

#endif
