/* The profile directory as a whole (see profile.h). */
#include "profile.h"

#include "keyfile.h"
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARK_STAGED "staged\n"
#define MARK_REDEEM "redeem\n"

/* Files that make a directory a profile. */
static const char *const profile_files[] = {VN_KEYFILE_NAME, VN_MIGRATE_SALT_NAME, "data.mdb",
                                            "migrate.tmp"};
/* Files a profile directory may hold that are worth nothing on their own:
 * a key file half written, LMDB's lock file, a marker. */
static const char *const leftovers[] = {VN_KEYFILE_NAME ".tmp", "lock.mdb", VN_PROFILE_MARKER};

static bool in(const char *name, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, set[i]) == 0) return true;
    return false;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

vn_profile_state vn_profile_state_of(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0) return errno == ENOENT ? VN_PROFILE_NONE : VN_PROFILE_OTHER;
    if (!S_ISDIR(st.st_mode)) return VN_PROFILE_OTHER;
    DIR *d = opendir(dir);
    if (!d) return VN_PROFILE_OTHER;
    vn_profile_state state = VN_PROFILE_NONE;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (in(e->d_name, profile_files, COUNT(profile_files))) {
            state = VN_PROFILE_READY;
            break;
        }
        if (!in(e->d_name, leftovers, COUNT(leftovers))) state = VN_PROFILE_OTHER;
    }
    closedir(d);
    return state;
}

vn_err vn_profile_staging(const char *dir, char *out, size_t size)
{
    size_t n = strlen(dir);
    /* "a/b/" and "a/b" are one profile. */
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 0 ||
        (size_t)snprintf(out, size, "%.*s%s", (int)n, dir, VN_PROFILE_STAGING_SUFFIX) >= size)
        return VN_EINVAL;
    return VN_OK;
}

static vn_err path_of(const char *dir, const char *name, char *out, size_t size)
{
    return (size_t)snprintf(out, size, "%s/%s", dir, name) < size ? VN_OK : VN_EINVAL;
}

static vn_err sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return VN_EIO;
    vn_err err = fsync(fd) == 0 ? VN_OK : VN_EIO;
    close(fd);
    return err;
}

/* Writes the marker's text, synced: a redeem must not go out before the
 * marker that says it may have is on the disk. */
static vn_err write_marker(const char *dir, const char *text)
{
    char path[4096];
    if (path_of(dir, VN_PROFILE_MARKER, path, sizeof path)) return VN_EINVAL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return VN_EIO;
    size_t n = strlen(text);
    bool ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    if (close(fd) != 0) ok = false;
    return ok ? VN_OK : VN_EIO;
}

vn_err vn_profile_stage(const char *staging, bool *resumed)
{
    char path[4096];
    struct stat st;
    *resumed = false;
    if (mkdir(staging, 0700) != 0) {
        if (errno != EEXIST) return VN_EIO;
        if (stat(staging, &st) != 0 || !S_ISDIR(st.st_mode)) return VN_EIO;
        if (path_of(staging, VN_PROFILE_MARKER, path, sizeof path)) return VN_EINVAL;
        /* A staging directory that lost its marker (a kill between the
         * mkdir and the marker) is taken as one where nothing was sent. */
        *resumed = true;
        if (stat(path, &st) == 0) return VN_OK;
    }
    vn_err err = write_marker(staging, MARK_STAGED);
    if (err) return err;
    /* The directory entry of the marker (and of the staging directory). */
    return sync_dir(staging);
}

vn_err vn_profile_mark_redeem(const char *dir)
{
    char path[4096];
    struct stat st;
    if (path_of(dir, VN_PROFILE_MARKER, path, sizeof path)) return VN_EINVAL;
    if (stat(path, &st) != 0) return errno == ENOENT ? VN_OK : VN_EIO;
    return write_marker(dir, MARK_REDEEM);
}

bool vn_profile_staged(const char *dir)
{
    char path[4096];
    struct stat st;
    return path_of(dir, VN_PROFILE_MARKER, path, sizeof path) == VN_OK && stat(path, &st) == 0;
}

bool vn_profile_redeem_sent(const char *staging)
{
    char path[4096], buf[16] = {0};
    if (path_of(staging, VN_PROFILE_MARKER, path, sizeof path)) return true;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    /* Anything but the staged mark (a torn write) counts as sent: a retry
     * then asks for the passphrase rather than throwing keys away. */
    return n != (ssize_t)strlen(MARK_STAGED) || memcmp(buf, MARK_STAGED, (size_t)n) != 0;
}

/* Removes the files a profile directory can hold. */
static void remove_profile_files(const char *dir)
{
    static const char *const names[] = {VN_KEYFILE_NAME, VN_KEYFILE_NAME ".tmp", "data.mdb",
                                        "lock.mdb", VN_PROFILE_MARKER};
    char path[4096];
    for (size_t i = 0; i < COUNT(names); i++)
        if (path_of(dir, names[i], path, sizeof path) == VN_OK) unlink(path);
}

vn_err vn_profile_discard(const char *staging)
{
    remove_profile_files(staging);
    if (rmdir(staging) != 0 && errno != ENOENT) return VN_EIO;
    return VN_OK;
}

/* The directory dir is in. */
static void parent_of(const char *dir, char *out, size_t size)
{
    snprintf(out, size, "%s", dir);
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, size, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

vn_err vn_profile_commit(const char *staging, const char *dir)
{
    char path[4096], parent[4096];
    /* Leftovers of an older client's interrupted start (no key file) go:
     * rename() replaces an empty directory only. */
    for (size_t i = 0; i < COUNT(leftovers); i++)
        if (path_of(dir, leftovers[i], path, sizeof path) == VN_OK) unlink(path);
    if (rename(staging, dir) != 0) return VN_EIO;
    parent_of(dir, parent, sizeof parent);
    if (sync_dir(parent)) return VN_EIO;
    /* From here the profile is complete; the marker is only clutter. */
    if (path_of(dir, VN_PROFILE_MARKER, path, sizeof path) == VN_OK) unlink(path);
    return VN_OK;
}

bool vn_profile_diagnose(const char *dir, char *why, size_t size)
{
    char what[160];
    vn_err err = vn_keyfile_check(dir, what, sizeof what);
    if (err == VN_ENOTFOUND) {
        err = vn_migrate_salt_check(dir, what, sizeof what);
        if (err == VN_ENOTFOUND) {
            snprintf(why, size,
                     "its key file (profile.key) is missing, so its store cannot be "
                     "decrypted; put back profile.key from a backup of this profile");
            return true;
        }
        if (err) {
            snprintf(why, size, "its salt (profile.salt, of an older version) is damaged: %s",
                     what);
            return true;
        }
        return false;
    }
    if (err == VN_ECRYPTO || err == VN_EIO) {
        snprintf(why, size,
                 "its key file (profile.key) is damaged: %s; put back profile.key from a backup "
                 "of this profile",
                 what);
        return true;
    }
    return false;
}
