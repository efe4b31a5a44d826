/* The profile directory as a whole, told from its files without the
 * passphrase: whether it is there, and how a new one comes into being.
 *
 * A new profile is made by `join` in a staging directory beside it (the
 * profile's path with ".joining" appended, so in the same parent and on
 * the same file system) and renamed into place only when the server has
 * given it an account. Until then nothing exists at the profile's path, so
 * a join that fails or is killed binds no passphrase to it. The staging
 * directory holds a plain marker file (JOINING) that tells whether the
 * redeem request may have reached the server: before that, an interrupted
 * staging directory holds nothing of value and a retry starts over; after
 * it, the device keys in it may already belong to an account, and a retry
 * (with the same passphrase) finishes it, as the server answers a redeem
 * from a registered device with its own account. */
#ifndef VN_PROFILE_H
#define VN_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "vn/err.h"

#define VN_PROFILE_STAGING_SUFFIX ".joining"
#define VN_PROFILE_MARKER         "JOINING"

typedef enum vn_profile_state {
    VN_PROFILE_NONE,  /* nothing there, or an empty directory */
    VN_PROFILE_READY, /* a key file, a store, or a profile of the scrypt era */
    VN_PROFILE_OTHER, /* a directory with other files, or not a directory */
} vn_profile_state;

/* What is at dir. */
vn_profile_state vn_profile_state_of(const char *dir);
/* dir's staging directory into out. VN_EINVAL if it does not fit. */
vn_err vn_profile_staging(const char *dir, char *out, size_t size);
/* Makes the staging directory (mode 0700) with its marker, or keeps the
 * one there; *resumed tells which. */
vn_err vn_profile_stage(const char *staging, bool *resumed);
/* Records in dir's marker, if dir is a staging directory, that a redeem
 * goes out now (written and synced before it is sent). A normal profile
 * has no marker, and nothing happens. */
vn_err vn_profile_mark_redeem(const char *dir);
/* Whether dir is a staging directory (it has the marker). */
bool vn_profile_staged(const char *dir);
/* Whether the staging directory's marker says a redeem went out. */
bool vn_profile_redeem_sent(const char *staging);
/* Removes a staging directory and the files a profile has in it. VN_EIO
 * (errno set) if something else is in it, or it cannot be removed. */
vn_err vn_profile_discard(const char *staging);
/* Moves a finished staging directory to dir (which must not exist or be
 * empty), makes the move durable and drops the marker. */
vn_err vn_profile_commit(const char *staging, const char *dir);
/* Says what is wrong with dir's key file or old salt, if anything can be
 * told without the passphrase: true with why filled ("its key file
 * (profile.key) is damaged: ..."), false if they look whole. */
bool vn_profile_diagnose(const char *dir, char *why, size_t size);

#endif
