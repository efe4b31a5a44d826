/* The keys `vangnetd init` writes, as the e2e tools and benchmarks read
 * them: the server's CURVE public key (z85, 40 characters in
 * STATE/server.pub), for the tools that connect with raw ZeroMQ, and the
 * store key (64 hex digits and a newline, the --store-key file), for the
 * tools that open the sealed store themselves. */
#ifndef VN_TEST_SERVERPUB_H
#define VN_TEST_SERVERPUB_H

#include <stdint.h>

/* 0 with key filled, -1 if the file cannot be read or is not a key. */
int serverpub_read(const char *path, uint8_t key[32]);
/* The same for a store key file. */
int serverpub_read_store_key(const char *path, uint8_t key[32]);

#endif
