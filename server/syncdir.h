/* vn_sync_dir: makes a rename or a new file durable; the directory entry
 * is what changed, so the directory itself is synced. */
#ifndef VN_SYNCDIR_H
#define VN_SYNCDIR_H

#include "vn/err.h"

/* fsync of the directory dir: VN_OK, or VN_EIO when it cannot be opened
 * or synced. */
vn_err vn_sync_dir(const char *dir);

#endif
