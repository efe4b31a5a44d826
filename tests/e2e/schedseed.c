/* vn_schedseed: fills a stopped server's store with many cases under
 * contract (seedcases.c), for the scheduler's end-to-end test.
 *
 *   vn_schedseed KEYFILE STATE COUNT START   START: YYYY-MM-DD, the contracts' first day
 *
 * KEYFILE holds the store key in hex, as `vangnetd init --store-key` wrote
 * it. Exit 0, 1 on a store error, 2 on usage. */
#include "seedcases.h"
#include "serverpub.h"

#include "vn/day.h"
#include "vn/hex.h"
#include "vn/parse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int usage(void)
{
    fprintf(stderr, "usage: vn_schedseed KEYFILE STATE COUNT START (YYYY-MM-DD)\n");
    return 2;
}

int main(int argc, char **argv)
{
    uint8_t key[32];
    uint64_t count;
    int y, m, d;
    char tail;
    if (argc != 5) return usage();
    if (vn_parse_u64(argv[3], 1, 10000000, &count) != VN_OK) {
        fprintf(stderr, "vn_schedseed: COUNT must be a number from 1 to 10000000, not %s\n",
                argv[3]);
        return 2;
    }
    if (sscanf(argv[4], "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) {
        fprintf(stderr, "vn_schedseed: START must be a date YYYY-MM-DD, not %s\n", argv[4]);
        return 2;
    }
    if (serverpub_read_store_key(argv[1], key) != 0) {
        fprintf(stderr, "vn_schedseed: cannot read a hex store key from %s\n", argv[1]);
        return 2;
    }
    vn_sstore *st = NULL;
    vn_err err = vn_sstore_open(&st, argv[2], 0, key);
    memset(key, 0, sizeof key);
    if (err) {
        fprintf(stderr, "vn_schedseed: cannot open the store in %s: %s\n", argv[2],
                vn_err_str(err));
        return 1;
    }
    err = seed_cases(st, (size_t)count, vn_day_from_civil(y, m, d), (uint64_t)time(NULL) * 1000);
    vn_sstore_close(&st);
    if (err) {
        fprintf(stderr, "vn_schedseed: %s\n", vn_err_str(err));
        return 1;
    }
    return 0;
}
