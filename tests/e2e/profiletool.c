/* vn_profiletool: writes into a client profile what no vangnet would, for
 * tests that need a profile the client must refuse.
 *
 *   vn_profiletool set-format PROFILE N   sets the profile's format record to N
 *   vn_profiletool note-case PROFILE ID   notes a case as known to the profile (its
 *                                         config "kcase:" + ID, as names_client.c keeps
 *                                         them), so that handles can be made ambiguous
 *   vn_profiletool set-endpoint PROFILE EP  points the profile at the server address EP
 *                                         (its config "endpoint", as session.c keeps it)
 *                                         without opening it as vangnet would: a profile
 *                                         of an old format stays as it was (upgrade.sh
 *                                         runs its fixture's server on an address of its own)
 *
 * The passphrase comes from $VANGNET_PASSPHRASE, as for vangnet. The store
 * is sealed under a subkey of the master key (client-cli/client.c, seal):
 * the config table is database 0 of the client's and is not scanned by
 * group, so opening only it gives the same stored keys and boxes. */
#include "keyfile.h"

#include "vn/be.h"
#include "vn/kv.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *pass = getenv("VANGNET_PASSPHRASE");
    uint8_t master[32], key[32], b[4];
    vn_keyfile_cost cost;
    vn_kv *kv = NULL;
    static const char *const dbs[] = {"config"};
    bool note = argc == 4 && strcmp(argv[1], "note-case") == 0 && strlen(argv[3]) == 32;
    bool endpoint = argc == 4 && strcmp(argv[1], "set-endpoint") == 0;
    if (argc != 4 || (!note && !endpoint && strcmp(argv[1], "set-format") != 0) || !pass) {
        fprintf(stderr, "usage: VANGNET_PASSPHRASE=... vn_profiletool set-format PROFILE N\n"
                        "       VANGNET_PASSPHRASE=... vn_profiletool note-case PROFILE ID\n"
                        "       VANGNET_PASSPHRASE=... vn_profiletool set-endpoint PROFILE EP\n");
        return 2;
    }
    if (sodium_init() < 0 || vn_keyfile_read(argv[2], pass, master, &cost) != VN_OK) {
        fprintf(stderr, "vn_profiletool: cannot unlock %s\n", argv[2]);
        return 1;
    }
    crypto_kdf_derive_from_key(key, sizeof key, 1, "vnprofil", master);
    vn_be_put32(b, (uint32_t)strtoul(argv[3], NULL, 10));
    vn_err err = vn_kv_open(&kv, argv[2], dbs, 1, (size_t)256 << 20);
    if (!err) err = vn_kv_seal(kv, key, NULL);
    char kcase[6 + 32 + 1];
    snprintf(kcase, sizeof kcase, "kcase:%s", argv[3]);
    if (!err && note) err = vn_kv_put(kv, 0, kcase, strlen(kcase), "", 0);
    if (!err && endpoint) err = vn_kv_put(kv, 0, "endpoint", 8, argv[3], strlen(argv[3]));
    if (!err && !note && !endpoint) err = vn_kv_put(kv, 0, "format", 6, b, sizeof b);
    vn_kv_close(&kv);
    sodium_memzero(master, sizeof master);
    sodium_memzero(key, sizeof key);
    if (err) fprintf(stderr, "vn_profiletool: %s\n", vn_err_str(err));
    return err ? 1 : 0;
}
