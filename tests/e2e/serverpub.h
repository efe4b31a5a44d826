/* The server's CURVE public key as `vangnetd init` writes it (z85, 40
 * characters in STATE/server.pub), for the e2e tools that connect with
 * raw ZeroMQ. */
#ifndef VN_TEST_SERVERPUB_H
#define VN_TEST_SERVERPUB_H

#include <stdint.h>

/* 0 with key filled, -1 if the file cannot be read or is not a key. */
int serverpub_read(const char *path, uint8_t key[32]);

#endif
