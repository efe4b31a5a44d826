#include "serverpub.h"

#include <stdio.h>
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
