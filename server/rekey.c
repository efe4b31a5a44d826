/* Rotation of the store key: a whole copy under the new key, then one
 * rename over the old data file. */
#include "rekey.h"

#include "serverkey.h"
#include "syncdir.h"
#include "vn/sstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define REKEY_DIR "rekey.tmp"

/* The same lock `vangnetd run` holds: no server may write meanwhile. */
static int lock_state(const char *state_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%.4000s/vangnetd.lock", state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return -2;
    }
    return fd;
}

static void remove_tmp(const char *tmp)
{
    char path[4096];
    snprintf(path, sizeof path, "%.4000s/lock.mdb", tmp);
    unlink(path);
    snprintf(path, sizeof path, "%.4000s/data.mdb", tmp);
    unlink(path);
    rmdir(tmp);
}

/* A fresh, empty directory for the new environment; what a crashed
 * rotation left there is only ever a partial copy, never the store. */
static vn_err make_tmp(const char *tmp)
{
    remove_tmp(tmp);
    return mkdir(tmp, 0700) == 0 ? VN_OK : VN_EIO;
}

/* A server.key.rekey of a rotation that did not move the store is
 * sealed under a key that seals nothing. */
static void unlink_rekey(const char *state_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%.4000s/%s", state_dir, VN_SERVERKEY_REKEY);
    unlink(path);
}

/* The copy itself: both stores are closed again when it returns. */
static vn_err copy_store(const char *state_dir, const char *tmp, const uint8_t old_key[32],
                         const uint8_t new_key[32], char *msg, size_t msglen)
{
    vn_sstore *from = NULL, *to = NULL;
    vn_err err = vn_sstore_open(&from, state_dir, 0, old_key);
    if (err) {
        snprintf(msg, msglen, "cannot open the store in %s: %s", state_dir, vn_err_str(err));
        return err;
    }
    if ((err = make_tmp(tmp))) {
        snprintf(msg, msglen, "cannot create %s", tmp);
        goto out;
    }
    if ((err = vn_sstore_open(&to, tmp, 0, new_key)) || (err = vn_sstore_copy(from, to)))
        snprintf(msg, msglen, "cannot write the new store in %s: %s", tmp, vn_err_str(err));
out:
    vn_sstore_close(&to);
    vn_sstore_close(&from);
    return err;
}

/* Seals server.key anew under new_key, into server.key.rekey, which
 * vn_serverkey_rekey_finish moves over server.key once the store is under
 * new_key (vn_serverkey_load finishes that after a crash in between).
 * *have is false when there is no server.key (a restored state directory
 * before its key pair is put back): nothing to move. */
static vn_err reseal_server_key(const char *state_dir, const uint8_t old_key[32],
                                const uint8_t new_key[32], bool *have, char *msg, size_t msglen)
{
    uint8_t secret[VN_SERVERKEY_LEN];
    char note[16];
    bool plain;
    *have = false;
    vn_err err =
        vn_serverkey_load(state_dir, old_key, secret, &plain, note, sizeof note, msg, msglen);
    if (err == VN_ENOTFOUND) return VN_OK;
    /* The old key opened the store: a server.key it does not open was
     * sealed under another key, which is not the store's to fix. */
    if (err == VN_ECRYPTO) {
        snprintf(msg, msglen,
                 "the store key opens the store in %.3000s but not its %s (sealed under another "
                 "store key?): put back the server.key of this store first",
                 state_dir, VN_SERVERKEY_FILE);
        return VN_EDENIED;
    }
    if (!err) err = vn_serverkey_store(state_dir, VN_SERVERKEY_REKEY, new_key, secret, msg, msglen);
    explicit_bzero(secret, sizeof secret);
    *have = !err;
    return err;
}

vn_err vn_rekey_run(const char *state_dir, const uint8_t old_key[32], const uint8_t new_key[32],
                    bool *moved, char *msg, size_t msglen)
{
    char tmp[4096], from[4096], to[4096];
    *moved = false;
    int lock = lock_state(state_dir);
    if (lock < 0) {
        snprintf(msg, msglen,
                 lock == -2 ? "vangnetd is running on %s: stop it first"
                            : "cannot lock %s (does it exist?)",
                 state_dir);
        return lock == -2 ? VN_EEXISTS : VN_EIO;
    }
    snprintf(tmp, sizeof tmp, "%.4000s/%s", state_dir, REKEY_DIR);
    bool have_key = false;
    vn_err err = copy_store(state_dir, tmp, old_key, new_key, msg, msglen);
    if (!err) err = reseal_server_key(state_dir, old_key, new_key, &have_key, msg, msglen);
    if (err) goto out_remove;
    snprintf(from, sizeof from, "%.4000s/data.mdb", tmp);
    snprintf(to, sizeof to, "%.4000s/data.mdb", state_dir);
    /* The old lock file describes the old data file; LMDB makes a new one
     * on the next open, as nobody else has the environment open. */
    if (rename(from, to) != 0) {
        err = VN_EIO;
        snprintf(msg, msglen, "cannot move the new store into %s: %s (the old key still opens it)",
                 state_dir, strerror(errno));
        goto out_remove;
    }
    *moved = true;
    /* Should this fail, the next start moves it (vn_serverkey_load). */
    if (have_key) err = vn_serverkey_rekey_finish(state_dir, msg, msglen);
    if (!err && vn_sync_dir(state_dir) != VN_OK) {
        err = VN_EIO;
        snprintf(msg, msglen,
                 "the store in %s is under the new key, but the directory could not be synced: "
                 "keep both keys until the next start has succeeded",
                 state_dir);
    }
    snprintf(to, sizeof to, "%.4000s/lock.mdb", state_dir);
    unlink(to);
out_remove:
    remove_tmp(tmp);
    if (!*moved) unlink_rekey(state_dir);
    close(lock);
    return err;
}
