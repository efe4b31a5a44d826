/* The store key file: where it is, and checks that refuse a key file the
 * operator should not be using, each with its own message. */
#include "storekey.h"

#include "vn/rand.h"
#include "vn/hex.h"
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEX_LEN (2 * VN_STOREKEY_LEN)

vn_err vn_storekey_path(const char *path, char *out, size_t size, char *msg, size_t msglen)
{
    const char *creds = getenv("CREDENTIALS_DIRECTORY");
    int n;
    if (path)
        n = snprintf(out, size, "%s", path);
    else if (creds && creds[0])
        n = snprintf(out, size, "%s/%s", creds, VN_STOREKEY_CREDENTIAL);
    else {
        snprintf(msg, msglen,
                 "no store key: give --store-key FILE or run under systemd with "
                 "LoadCredentialEncrypted=%s",
                 VN_STOREKEY_CREDENTIAL);
        return VN_ENOTFOUND;
    }
    if (n < 0 || (size_t)n >= size) {
        snprintf(msg, msglen, "the store key path is too long");
        return VN_ETOOBIG;
    }
    return VN_OK;
}

/* Resolves path, or for a file yet to be made its directory, into out
 * (followed by '/' in that case). */
static bool resolve(const char *path, char out[PATH_MAX])
{
    char parent[PATH_MAX];
    if (realpath(path, out)) return true;
    const char *slash = strrchr(path, '/');
    size_t plen = !slash ? 1 : slash == path ? 1 : (size_t)(slash - path);
    if (plen >= sizeof parent) return false;
    memcpy(parent, slash ? path : ".", plen);
    parent[plen] = '\0';
    if (!realpath(parent, out)) return false;
    size_t len = strlen(out);
    if (len + 2 > PATH_MAX) return false;
    out[len] = '/';
    out[len + 1] = '\0';
    return true;
}

/* Whether path (an existing file, or a new one in an existing directory)
 * lies inside dir, symbolic links resolved. A directory that does not
 * exist yet holds nothing. */
static bool inside(const char *path, const char *dir)
{
    char rdir[PATH_MAX], rpath[PATH_MAX];
    if (!realpath(dir, rdir) || !resolve(path, rpath)) return false;
    size_t dl = strlen(rdir);
    if (dl == 1) return true; /* the state directory is / */
    return strncmp(rpath, rdir, dl) == 0 && (rpath[dl] == '/' || rpath[dl] == '\0');
}

static vn_err refuse_inside(const char *path, const char *state_dir, char *msg, size_t msglen)
{
    if (!inside(path, state_dir)) return VN_OK;
    snprintf(msg, msglen,
             "the store key %s lies inside the state directory %s: keep it elsewhere (a copy of "
             "the state directory must not carry its key)",
             path, state_dir);
    return VN_EDENIED;
}

/* Parses the file's text: 64 hex characters, one optional newline. */
static vn_err parse_key(const char *text, size_t n, uint8_t key[VN_STOREKEY_LEN])
{
    char hex[HEX_LEN + 1];
    if (n == HEX_LEN + 1 && text[HEX_LEN] == '\n') n--;
    if (n != HEX_LEN) return VN_EINVAL;
    memcpy(hex, text, HEX_LEN);
    hex[HEX_LEN] = '\0';
    vn_err err = vn_hex_decode(hex, key, VN_STOREKEY_LEN);
    explicit_bzero(hex, sizeof hex);
    return err;
}

static vn_err read_checked(int fd, const char *path, uint8_t key[VN_STOREKEY_LEN], char *msg,
                           size_t msglen)
{
    struct stat sb;
    char text[HEX_LEN + 2];
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(msg, msglen, "the store key %s is not a regular file", path);
        return VN_EINVAL;
    }
    if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(msg, msglen,
                 "the store key %s is open to group or others (mode %04o): chmod 600 it, and "
                 "if others may have read it, make a new key",
                 path, (unsigned)(sb.st_mode & 0777));
        return VN_EDENIED;
    }
    ssize_t n = read(fd, text, sizeof text);
    vn_err err = n < 0 ? VN_EIO : parse_key(text, (size_t)n, key);
    explicit_bzero(text, sizeof text);
    if (err == VN_EIO) snprintf(msg, msglen, "cannot read the store key %s", path);
    if (err == VN_EINVAL)
        snprintf(msg, msglen,
                 "the store key %s is not a store key: it must hold %d hex characters (%d random "
                 "bytes) and at most one newline",
                 path, HEX_LEN, VN_STOREKEY_LEN);
    return err;
}

vn_err vn_storekey_load(const char *path, const char *state_dir, uint8_t key[VN_STOREKEY_LEN],
                        char *msg, size_t msglen)
{
    vn_err err = refuse_inside(path, state_dir, msg, msglen);
    if (err) goto err_wipe;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = errno == ENOENT ? VN_ENOTFOUND : VN_EIO;
        snprintf(msg, msglen, "cannot open the store key %s: %s", path, strerror(errno));
        goto err_wipe;
    }
    err = read_checked(fd, path, key, msg, msglen);
    close(fd);
    if (err) goto err_wipe;
    return VN_OK;

err_wipe:
    explicit_bzero(key, VN_STOREKEY_LEN);
    return err;
}

vn_err vn_storekey_create(const char *path, const char *state_dir, uint8_t key[VN_STOREKEY_LEN],
                          char *msg, size_t msglen)
{
    char text[HEX_LEN + 2];
    vn_err err = refuse_inside(path, state_dir, msg, msglen);
    if (err) goto err_wipe;
    if ((err = vn_rand_bytes(key, VN_STOREKEY_LEN))) {
        snprintf(msg, msglen, "cannot make a random store key");
        goto err_wipe;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        err = errno == EEXIST ? VN_EEXISTS : VN_EIO;
        if (err == VN_EEXISTS)
            snprintf(msg, msglen,
                     "the store key %s exists already: a new store gets a new key (move the old "
                     "file away if no store uses it)",
                     path);
        else
            snprintf(msg, msglen, "cannot create the store key %s: %s", path, strerror(errno));
        goto err_wipe;
    }
    vn_hex_encode(key, VN_STOREKEY_LEN, text);
    text[HEX_LEN] = '\n';
    bool ok = write(fd, text, HEX_LEN + 1) == HEX_LEN + 1 && fsync(fd) == 0;
    explicit_bzero(text, sizeof text);
    ok = close(fd) == 0 && ok;
    if (!ok) {
        unlink(path);
        err = VN_EIO;
        snprintf(msg, msglen, "cannot write the store key %s", path);
        goto err_wipe;
    }
    return VN_OK;

err_wipe:
    explicit_bzero(text, sizeof text);
    explicit_bzero(key, VN_STOREKEY_LEN);
    return err;
}
