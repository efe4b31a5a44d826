#include "serverpub.h"

#include "vn/hex.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

int serverpub_read(const char *path, uint8_t key[32])
{
    char z85[64] = {0};
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(z85, 1, 40, f);
    fclose(f);
    return n == 40 && zmq_z85_decode(key, z85) ? 0 : -1;
}

int serverpub_read_store_key(const char *path, uint8_t key[32])
{
    char hex[80] = {0};
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    bool ok = fgets(hex, sizeof hex, f) != NULL;
    fclose(f);
    hex[strcspn(hex, "\n")] = '\0';
    int rc = ok && vn_hex_decode(hex, key, 32) == VN_OK ? 0 : -1;
    memset(hex, 0, sizeof hex);
    return rc;
}
