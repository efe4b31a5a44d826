/* The profile store's integrity and format version, checked whenever a
 * profile is opened (client.c calls these two). */
#ifndef VN_PROFILE_FORMAT_H
#define VN_PROFILE_FORMAT_H

#include "client.h"

/* The format of the profile store's records, kept in config as "format"
 * (4 bytes, big-endian). A profile of the release before format versions
 * has no such record: it is format 0. */
#define VN_PROFILE_FORMAT 1

/* Before the store is mapped: a profile that has its key file must have
 * its store (a lost store is never replaced by an empty one), and a store
 * file must be whole (vn_kv_check). Says why not (vn_client_fail) and
 * returns VN_EIO (damaged) or VN_ENOTFOUND; VN_OK for a new profile too. */
vn_err vn_profile_check_store(vn_client *c);

/* After the store is opened and its key checked: a new profile gets the
 * current format; an older one is copied (compacted) to
 * data-format<N>-<time>.mdb in the profile and moved forward in one write
 * transaction; a newer one is refused (VN_EVERSION, said why). */
vn_err vn_profile_format(vn_client *c);

#endif
