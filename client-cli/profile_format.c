/* Profile store checks and format versions (declared in client.h). */
#include "client.h"

#include "keyfile.h"
#include "migrate.h"
#include "vn/be.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define FORMAT_KEY "format"

static bool has(const vn_client *c, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", c->profile, name);
    return stat(path, &st) == 0;
}

vn_err vn_profile_check_store(vn_client *c)
{
    char why[512];
    /* Only a profile without a key file is new; one being moved from the
     * scrypt era has its key file in migrate.tmp or a profile.salt. */
    bool keyed = has(c, VN_KEYFILE_NAME) && !has(c, "migrate.tmp/" VN_KEYFILE_NAME) &&
                 !has(c, VN_MIGRATE_SALT_NAME);
    vn_err err = vn_kv_check(c->profile, keyed, why, sizeof why);
    if (err == VN_ENOTFOUND)
        vn_client_fail(c, err,
                       "profile %s has its key file but no store (%s): restore the profile "
                       "directory from a backup, or join again in a new profile directory",
                       c->profile, why);
    else if (err)
        vn_client_fail(c, err,
                       "%s. The profile is not opened: restore the profile directory from a "
                       "backup, or join again in a new profile directory",
                       why);
    /* Not VN_ESTORE, which tells the user to retry: this will not pass. */
    if (err == VN_ESTORE) {
        errno = EIO;
        err = VN_EIO;
    }
    return err;
}

static vn_err put_format(vn_client *c, uint32_t version)
{
    uint8_t b[4];
    vn_be_put32(b, version);
    return vn_client_cfg_put(c, FORMAT_KEY, b, sizeof b);
}

/* Format 0 -> 1: the records stay; the profile gains its format record. */
static vn_err upgrade(vn_client *c, uint32_t from)
{
    char kept[4096], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    snprintf(kept, sizeof kept, "%s/data-format%u-%s.mdb", c->profile, (unsigned)from, stamp);
    vn_err err = vn_kv_copy(c->kv, kept);
    if (err) {
        vn_client_fail(c, err, "cannot keep a copy of profile %s in %s before moving it forward",
                       c->profile, kept);
        return err;
    }
    if ((err = vn_kv_begin(c->kv))) return err;
    for (uint32_t v = from; v < VN_PROFILE_FORMAT && !err; v++)
        err = v == 0 ? put_format(c, 1) : VN_EVERSION;
    if (err) {
        vn_kv_abort(c->kv);
        return err;
    }
    if ((err = vn_kv_commit(c->kv))) return err;
    fprintf(stderr,
            "vangnet: profile %s moved from format %u to %u; the store as it was is kept in %s\n",
            c->profile, (unsigned)from, (unsigned)VN_PROFILE_FORMAT, kept);
    return VN_OK;
}

vn_err vn_profile_format(vn_client *c)
{
    uint8_t b[4];
    size_t n = 0, records = 0;
    vn_err err = vn_client_cfg_get(c, FORMAT_KEY, b, sizeof b, &n);
    if (err == VN_ENOTFOUND) {
        /* Only the key check (check_store): a profile made just now. */
        if ((err = vn_kv_count(c->kv, CDB_CONFIG, &records))) return err;
        return records <= 1 ? put_format(c, VN_PROFILE_FORMAT) : upgrade(c, 0);
    }
    if (err || n != sizeof b) return err ? err : VN_ESTORE;
    uint32_t found = vn_be_get32(b);
    if (found > VN_PROFILE_FORMAT) {
        vn_client_fail(c, VN_EVERSION,
                       "profile %s is of format %u, newer than this vangnet reads (format %u): "
                       "use the vangnet that wrote it",
                       c->profile, (unsigned)found, (unsigned)VN_PROFILE_FORMAT);
        return VN_EVERSION;
    }
    return found < VN_PROFILE_FORMAT ? upgrade(c, found) : VN_OK;
}
