/* change-passphrase: the command about the profile itself. */
#include "args.h"

int vn_cmd_change_passphrase(vn_client *c, const vn_args *a)
{
    /* The profile is open, so the old passphrase was right (main.c refuses
     * a wrong one before any command runs). */
    vn_err err = vn_client_change_passphrase(c);
    if (err == VN_EDENIED)
        return vn_client_fail(c, err,
                              "no new passphrase: set VANGNET_NEW_PASSPHRASE or run on a terminal "
                              "(asked twice; both must match)");
    if (err)
        return vn_client_fail(c, err,
                              "cannot change the passphrase: %s (the old one still opens "
                              "the profile)",
                              vn_err_str(err));
    if (c->json)
        printf("{\"changed\": true}\n");
    else
        printf("passphrase changed: the old one no longer opens %s\n", c->profile);
    return EXIT_OK;
}
