/* The profile: its directory, the passphrase that unlocks its master key
 * (keyfile.c), the store sealed under that key, and what the store keeps
 * (config, contact names, records). docs/CLIENT-STORE.md tells what a
 * thief of the profile sees. */
#include "client.h"
#include "keyfile.h"
#include "migrate.h"

#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/be.h"
#include "vn/account.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const db_names[] = {
    "config",  "contacts",  "seen",    "history",   "outbox", "teams",
    "records", VN_E2EE_DBS, "unshown", "wellbeing", "groups",
};
_Static_assert(sizeof db_names / sizeof db_names[0] == CDB_COUNT, "one name per CDB_*");

#define STORE_MAP ((size_t)256 << 20) /* the store's LMDB map size */

/* Databases whose callers scan by prefix, and that prefix's length: the
 * store hashes those first bytes of a key as a group of their own, so a
 * scan reads one group instead of the whole database. A thief learns which
 * records share a group (for records: how many each case has), so only
 * scans that would otherwise read a large database get one; the others'
 * keys are hashed whole and their scans read all and filter. */
static const struct {
    const char *db; /* database name */
    size_t len;     /* prefix length its callers scan by */
} scan_groups[] = {
    /* A report reads one case's month: group by the case id. */
    {"records", VN_ACCOUNT_HEX},
    /* E2EE lists and deletes one peer's sessions by "account\0". */
    {"e2ee_session", VN_ACCOUNT_HEX + 1},
};

/* Asks for a secret on the terminal with echo off into buf. */
static bool ask_tty(vn_client *c, const char *prompt, char *buf, size_t size)
{
    struct termios old, quiet;
    bool echo_off = tcgetattr(STDIN_FILENO, &old) == 0;
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    fprintf(stderr, "%s %s: ", prompt, c->profile);
    bool ok = fgets(buf, (int)size, stdin) != NULL;
    if (echo_off) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    buf[ok ? strcspn(buf, "\r\n") : 0] = '\0';
    return ok && buf[0];
}

/* How often a new passphrase is asked before giving up. */
#define NEW_PASS_TRIES 3

/* Asks for a new passphrase on the terminal until one is strong enough
 * and typed the same twice, NEW_PASS_TRIES times at most, saying what was
 * wrong each time; buf gets it. VN_EINVAL when no try was good, VN_EDENIED
 * when the terminal gave nothing. */
static vn_err ask_new(vn_client *c, const char *prompt, char *buf, char *again, size_t size)
{
    for (int tries = 0; tries < NEW_PASS_TRIES; tries++) {
        if (!ask_tty(c, prompt, buf, size)) return VN_EDENIED;
        if (!vn_keyfile_pass_strong(buf)) {
            fprintf(stderr, "vangnet: too weak: a new passphrase must be %s\n", VN_PASS_RULE);
            continue;
        }
        if (!ask_tty(c, "the same again for", again, size)) return VN_EDENIED;
        if (strcmp(buf, again) == 0) return VN_OK;
        fprintf(stderr, "vangnet: the two passphrases differ\n");
    }
    return VN_EINVAL;
}

/* A passphrase: the environment variable env when set and not empty (for
 * scripts, taken as it is), else asked on the terminal; a new one
 * (confirm) must be VN_PASS_RULE (keyfile.h) and typed twice, as a typo
 * would lock the profile for good. *pass is malloc'd (caller wipes and
 * frees). VN_EDENIED when there is neither; VN_EINVAL when no new one
 * passed after NEW_PASS_TRIES tries. */
static vn_err read_secret(vn_client *c, const char *env, const char *prompt, bool confirm,
                          char **pass)
{
    const char *v = getenv(env);
    char buf[256], again[256];
    vn_err err = VN_EDENIED;
    *pass = NULL;
    if (v && v[0]) {
        *pass = strdup(v);
        return *pass ? VN_OK : VN_ENOMEM;
    }
    if (!isatty(STDIN_FILENO)) return VN_EDENIED;
    if (confirm)
        err = ask_new(c, prompt, buf, again, sizeof buf);
    else
        err = ask_tty(c, prompt, buf, sizeof buf) ? VN_OK : VN_EDENIED;
    c->pass_refused = err == VN_EINVAL;
    if (err) goto out;
    *pass = strdup(buf);
    err = *pass ? VN_OK : VN_ENOMEM;
out:
    explicit_bzero(buf, sizeof buf);
    explicit_bzero(again, sizeof again);
    return err;
}

static void free_secret(char **pass)
{
    if (*pass) {
        explicit_bzero(*pass, strlen(*pass));
        free(*pass);
        *pass = NULL;
    }
}

/* The test knob: a non-empty VANGNET_INSECURE_TEST_KDF. */
static bool test_kdf(void)
{
    const char *v = getenv("VANGNET_INSECURE_TEST_KDF");
    return v && v[0];
}

/* Test knob, like VANGNET_INSECURE_TEST_KDF: VANGNET_TEST_FAIL_WRITE=N
 * makes the N-th write of the store after opening fail as if the disk
 * were full, so that tests can show a failed write leaves no trace. */
static void test_fail_write(vn_client *c)
{
    const char *v = getenv("VANGNET_TEST_FAIL_WRITE");
    char *end;
    if (!v || !v[0]) return;
    unsigned long n = strtoul(v, &end, 10);
    if (*end || n == 0) return;
    fprintf(stderr,
            "vangnet: WARNING: VANGNET_TEST_FAIL_WRITE is set (tests only): write %lu fails\n", n);
    vn_kv_test_fail_put(c->kv, n);
}

/* The cost of a key file written now: the standard one, or under the test
 * knob the least libsodium allows, so that tests do not spend most of a
 * second on every client call. A profile written that way falls to fast
 * guessing; the warning says so every time. */
static vn_keyfile_cost write_cost(vn_client *c)
{
    vn_keyfile_cost cost = {VN_KEYFILE_OPS, VN_KEYFILE_MEM_KIB};
    if (!test_kdf()) return cost;
    fprintf(stderr,
            "vangnet: WARNING: VANGNET_INSECURE_TEST_KDF is set: the passphrase of %s gets a "
            "test-only cost that is cheap to guess; never set it outside tests\n",
            c->profile);
    cost.ops = crypto_pwhash_OPSLIMIT_MIN;
    cost.mem_kib = crypto_pwhash_MEMLIMIT_MIN / 1024;
    return cost;
}

static bool profile_has(vn_client *c, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", c->profile, name);
    return stat(path, &st) == 0;
}

/* Seals the store under a key derived from the master key, with the group
 * lengths of scan_groups. */
static vn_err seal(vn_client *c)
{
    size_t group[CDB_COUNT] = {0};
    uint8_t key[32];
    for (size_t i = 0; i < sizeof scan_groups / sizeof scan_groups[0]; i++)
        for (int db = 0; db < CDB_COUNT; db++)
            if (strcmp(db_names[db], scan_groups[i].db) == 0) group[db] = scan_groups[i].len;
    /* One subkey per use of the master key, so none stands in for another. */
    crypto_kdf_derive_from_key(key, sizeof key, 1, "vnprofil", c->profile_key);
    vn_err err = vn_kv_seal(c->kv, key, group);
    sodium_memzero(key, sizeof key);
    return err;
}

/* Keys are hashed under the master key, so a key file of another store
 * would find nothing here and pass for a new profile, and the next join
 * would write a second identity beside the unreadable first. A known
 * record tells the two apart. */
static vn_err check_store(vn_client *c)
{
    static const char check[] = "vangnet profile v2";
    char got[sizeof check];
    size_t n = 0, records = 0;
    vn_err err = vn_client_cfg_get(c, "check", got, sizeof got, &n);
    if (err == VN_ENOTFOUND) {
        if ((err = vn_kv_count(c->kv, CDB_CONFIG, &records))) return err;
        return records ? VN_ECRYPTO : vn_client_cfg_put(c, "check", check, sizeof check);
    }
    if (err == VN_ETOOBIG || (!err && (n != sizeof check || memcmp(got, check, n) != 0)))
        return VN_ECRYPTO;
    return err;
}

/* ---- moving a profile of the scrypt era (profile.salt) --------------- */

/* The new store and its key file are made here, then moved into place. */
#define MIGRATE_DIR "migrate.tmp"

static void profile_path(vn_client *c, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", c->profile, name);
}

/* Leftovers of an attempt that did not get as far as its key file. */
static void migrate_clean(vn_client *c)
{
    static const char *const names[] = {MIGRATE_DIR "/data.mdb", MIGRATE_DIR "/lock.mdb",
                                        MIGRATE_DIR "/" VN_KEYFILE_NAME ".tmp"};
    char path[4096];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        profile_path(c, names[i], path, sizeof path);
        unlink(path);
    }
    profile_path(c, MIGRATE_DIR, path, sizeof path);
    rmdir(path);
}

/* Moves the new store, then its key file into place, then drops the old
 * salt. Each step may already be done: after a crash the next open finds
 * the key file still in MIGRATE_DIR, or the salt beside the key file, and
 * runs this again. */
static vn_err migrate_finish(vn_client *c)
{
    char from[4096], to[4096];
    /* The old lock file describes the old store; LMDB makes a new one. */
    profile_path(c, "lock.mdb", to, sizeof to);
    if (profile_has(c, MIGRATE_DIR "/" VN_KEYFILE_NAME)) unlink(to);
    profile_path(c, MIGRATE_DIR "/data.mdb", from, sizeof from);
    profile_path(c, "data.mdb", to, sizeof to);
    if (rename(from, to) != 0 && errno != ENOENT) return VN_EIO;
    profile_path(c, MIGRATE_DIR "/" VN_KEYFILE_NAME, from, sizeof from);
    profile_path(c, VN_KEYFILE_NAME, to, sizeof to);
    if (rename(from, to) != 0 && errno != ENOENT) return VN_EIO;
    int dfd = open(c->profile, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool synced = dfd >= 0 && fsync(dfd) == 0;
    if (dfd >= 0) close(dfd);
    if (!synced) return VN_EIO;
    profile_path(c, VN_MIGRATE_SALT_NAME, to, sizeof to);
    if (unlink(to) != 0 && errno != ENOENT) return VN_EIO;
    migrate_clean(c);
    return VN_OK;
}

/* One record of the old store into the new one (c->kv). */
static vn_err migrate_put(void *ud, int db, const void *k, size_t kl, const void *v, size_t vl)
{
    vn_client *c = ud;
    char name[VN_CONTACT_NAME_MAX + 1], account[VN_ACCOUNT_HEX + 1];
    /* The new store has its own check record (check_store). */
    if (db == CDB_CONFIG && kl == 5 && memcmp(k, "check", 5) == 0) return VN_OK;
    if (db != CDB_CONTACTS) return vn_kv_put(c->kv, db, k, kl, v, vl);
    /* An old contact: a keyed hash of the name -> account id, then name. */
    if (vl <= VN_ACCOUNT_HEX || vl - VN_ACCOUNT_HEX > VN_CONTACT_NAME_MAX) return VN_OK;
    memcpy(account, v, VN_ACCOUNT_HEX);
    account[VN_ACCOUNT_HEX] = '\0';
    memcpy(name, (const char *)v + VN_ACCOUNT_HEX, vl - VN_ACCOUNT_HEX);
    name[vl - VN_ACCOUNT_HEX] = '\0';
    vn_err err = vn_client_contact_add(c, name, account);
    return err == VN_EINVAL ? VN_OK : err;
}

/* Copies the old store, record by record, into a new one sealed under a
 * new master key, wraps that key with pass (the same passphrase) and moves
 * both into place. A wrong passphrase fails on the first record, before
 * anything of the profile changed. */
static vn_err migrate(vn_client *c, const char *pass)
{
    char tmp[4096];
    uint8_t old_key[32];
    vn_kv *old = NULL;
    vn_keyfile_cost cost;
    vn_err err = vn_migrate_old_key(c->profile, pass, old_key);
    if (err) goto out;
    migrate_clean(c);
    profile_path(c, MIGRATE_DIR, tmp, sizeof tmp);
    if (mkdir(tmp, 0700) != 0) {
        err = VN_EIO;
        goto out;
    }
    if ((err = vn_kv_open(&old, c->profile, db_names, CDB_COUNT, STORE_MAP)) ||
        (err = vn_kv_open(&c->kv, tmp, db_names, CDB_COUNT, STORE_MAP)))
        goto out;
    randombytes_buf(c->profile_key, sizeof c->profile_key);
    if ((err = seal(c)) || (err = check_store(c)) || (err = vn_profile_format(c)) ||
        (err = vn_kv_begin(c->kv)) ||
        (err = vn_migrate_each(old, CDB_COUNT, old_key, migrate_put, c)) ||
        (err = vn_kv_commit(c->kv)))
        goto out;
    vn_kv_close(&c->kv);
    vn_kv_close(&old);
    cost = write_cost(c);
    if ((err = vn_keyfile_write(tmp, pass, c->profile_key, &cost))) goto out;
    err = migrate_finish(c);
    if (!err)
        fprintf(stderr, "vangnet: profile %s moved to the current format (Argon2id, sealed keys)\n",
                c->profile);
out:
    vn_kv_close(&c->kv); /* aborts a transaction left open */
    vn_kv_close(&old);
    if (err && !profile_has(c, MIGRATE_DIR "/" VN_KEYFILE_NAME)) migrate_clean(c);
    sodium_memzero(old_key, sizeof old_key);
    return err;
}

/* Gets the profile's master key: unwrapped from the key file with the
 * passphrase, made (random) with the key file for a new profile, or made
 * for a profile of the scrypt era, whose store is moved under it.
 * VN_EUNTRUSTED for a wrong passphrase, VN_ECRYPTO for a store whose key
 * file is gone. */
static vn_err unlock(vn_client *c)
{
    char *pass = NULL;
    vn_keyfile_cost cost;
    vn_err err = VN_OK;
    /* A move of an old profile that a crash interrupted is finished first. */
    if (profile_has(c, MIGRATE_DIR "/" VN_KEYFILE_NAME) ||
        (profile_has(c, VN_KEYFILE_NAME) && profile_has(c, VN_MIGRATE_SALT_NAME)))
        err = migrate_finish(c);
    bool fresh = !profile_has(c, VN_KEYFILE_NAME);
    bool old = fresh && profile_has(c, VN_MIGRATE_SALT_NAME);
    if (err) return err;
    /* Refused before asking: no passphrase opens it. */
    if (fresh && !old && profile_has(c, "data.mdb")) return VN_ECRYPTO;
    err = read_secret(c, "VANGNET_PASSPHRASE",
                      fresh && !old ? "new passphrase for profile" : "passphrase for",
                      fresh && !old, &pass);
    if (err) return err;
    if (old) {
        err = migrate(c, pass);
    } else if (fresh) {
        randombytes_buf(c->profile_key, sizeof c->profile_key);
        cost = write_cost(c);
        err = vn_keyfile_write(c->profile, pass, c->profile_key, &cost);
    } else {
        err = vn_keyfile_read(c->profile, pass, c->profile_key, &cost);
        if (!err && !test_kdf() && (cost.ops < VN_KEYFILE_OPS || cost.mem_kib < VN_KEYFILE_MEM_KIB))
            fprintf(stderr,
                    "vangnet: WARNING: the passphrase of %s has a test-only cost that is cheap "
                    "to guess: run vangnet change-passphrase\n",
                    c->profile);
    }
    free_secret(&pass);
    return err;
}

vn_err vn_client_open(vn_client *c)
{
    struct stat st;
    if (sodium_init() < 0) return VN_ECRYPTO;
    if (mkdir(c->profile, 0700) != 0 && errno != EEXIST) return VN_EIO;
    /* The store holds private keys: refuse a profile others can read. */
    if (stat(c->profile, &st) != 0 || !S_ISDIR(st.st_mode)) return VN_EIO;
    if ((st.st_mode & 077) != 0 && chmod(c->profile, 0700) != 0) return VN_EIO;
    /* One process at a time: two would both take a message off the server
     * and the second would find its keys used up. */
    vn_err err = vn_lock_take(c);
    if (err == VN_ETIMEOUT) errno = EBUSY;
    if (err) return err == VN_ETIMEOUT ? VN_EIO : err;
    /* A lost or damaged store is refused before a passphrase is asked. */
    err = vn_profile_check_store(c);
    if (err) goto err_wipe;
    /* The key file first: the store is never created without one. */
    err = unlock(c);
    if (err) goto err_wipe;
    if ((err = vn_kv_open(&c->kv, c->profile, db_names, CDB_COUNT, STORE_MAP))) goto err_wipe;
    if ((err = seal(c)) || (err = check_store(c)) || (err = vn_profile_format(c)) ||
        (err = vn_e2ee_open(&c->e2ee, c->kv, CDB_E2EE)))
        goto err_close;
    size_t len = 0;
    c->account[0] = '\0';
    err = vn_client_cfg_get(c, "account", c->account, sizeof c->account - 1, &len);
    if (err == VN_ENOTFOUND) err = VN_OK, len = 0;
    if (err) goto err_close;
    c->account[len] = '\0';
    /* Safety numbers are computed over both account ids. */
    if (len && (err = vn_e2ee_set_account(c->e2ee, c->account))) goto err_close;
    test_fail_write(c); /* counts the command's writes, not the opening's */
    return VN_OK;
err_close:
    vn_e2ee_close(&c->e2ee);
    vn_kv_close(&c->kv);
err_wipe:
    sodium_memzero(c->profile_key, sizeof c->profile_key);
    vn_lock_release(c);
    return err;
}

vn_err vn_client_change_passphrase(vn_client *c)
{
    char *pass = NULL;
    vn_err err = read_secret(c, "VANGNET_NEW_PASSPHRASE", "new passphrase for", true, &pass);
    if (err) return err;
    vn_keyfile_cost cost = write_cost(c);
    err = vn_keyfile_write(c->profile, pass, c->profile_key, &cost);
    free_secret(&pass);
    return err;
}

void vn_client_close(vn_client *c)
{
    vn_client_remember_endpoint(c);
    vn_conn_close(&c->conn);
    vn_e2ee_close(&c->e2ee);
    vn_kv_close(&c->kv);
    sodium_memzero(c->profile_key, sizeof c->profile_key);
    vn_client_known_free(c);
    vn_lock_release(c);
}

vn_err vn_client_cfg_get(vn_client *c, const char *key, void *out, size_t size, size_t *len)
{
    void *v = NULL;
    size_t n;
    vn_err err = vn_kv_get(c->kv, CDB_CONFIG, key, strlen(key), &v, &n);
    if (err) return err;
    if (n > size) {
        free(v);
        return VN_ETOOBIG;
    }
    memcpy(out, v, n);
    explicit_bzero(v, n);
    free(v);
    if (len) *len = n;
    return VN_OK;
}

vn_err vn_client_cfg_put(vn_client *c, const char *key, const void *val, size_t len)
{
    return vn_kv_put(c->kv, CDB_CONFIG, key, strlen(key), val, len);
}

/* A contact's store key: its name, NUL-padded to the longest allowed, so
 * that every contact is stored at one size whatever its name's length (the
 * sealed store hashes keys and keeps the caller's key inside the value). */
static bool contact_key(const char *name, char key[VN_CONTACT_NAME_MAX])
{
    size_t n = strlen(name);
    if (n == 0 || n > VN_CONTACT_NAME_MAX) return false;
    memset(key, 0, VN_CONTACT_NAME_MAX);
    memcpy(key, name, n);
    return true;
}

vn_err vn_client_contact_add(vn_client *c, const char *name, const char *account)
{
    char key[VN_CONTACT_NAME_MAX];
    if (!contact_key(name, key) || !vn_account_valid(account)) return VN_EINVAL;
    return vn_kv_put(c->kv, CDB_CONTACTS, key, sizeof key, account, VN_ACCOUNT_HEX);
}

vn_err vn_client_resolve(vn_client *c, const char *who, char account[VN_ACCOUNT_HEX + 1])
{
    char key[VN_CONTACT_NAME_MAX];
    void *v = NULL;
    size_t n;
    if (vn_account_valid(who)) {
        memcpy(account, who, VN_ACCOUNT_HEX + 1);
        return VN_OK;
    }
    if (!contact_key(who, key)) return who[0] ? VN_ENOACCOUNT : VN_EINVAL;
    vn_err err = vn_kv_get(c->kv, CDB_CONTACTS, key, sizeof key, &v, &n);
    if (err) return err == VN_ENOTFOUND ? VN_ENOACCOUNT : err;
    if (n != VN_ACCOUNT_HEX)
        err = VN_ESTORE;
    else {
        memcpy(account, v, VN_ACCOUNT_HEX);
        account[VN_ACCOUNT_HEX] = '\0';
    }
    free(v);
    return err;
}

struct contact_walk {
    vn_contact_fn fn; /* the caller's callback */
    void *ud;         /* and its data */
};

static vn_err contact_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct contact_walk *w = ud;
    char name[VN_CONTACT_NAME_MAX + 1], account[VN_ACCOUNT_HEX + 1];
    /* Another shape is not ours to show: skip it rather than fail the list. */
    if (kl != VN_CONTACT_NAME_MAX || vl != VN_ACCOUNT_HEX) return VN_OK;
    memcpy(name, k, kl);
    name[kl] = '\0';
    memcpy(account, v, VN_ACCOUNT_HEX);
    account[VN_ACCOUNT_HEX] = '\0';
    return w->fn(w->ud, name, account, stop);
}

vn_err vn_client_contacts_each(vn_client *c, vn_contact_fn fn, void *ud)
{
    struct contact_walk w = {fn, ud};
    return vn_kv_each(c->kv, CDB_CONTACTS, NULL, 0, contact_cb, &w);
}

struct name_search {
    const char *account; /* what we look for */
    char *name;          /* where the name goes */
    size_t size;         /* its size */
    bool found;          /* it was found */
};

static vn_err name_cb(void *ud, const char *name, const char *account, bool *stop)
{
    struct name_search *s = ud;
    if (strcmp(account, s->account) != 0 || strlen(name) >= s->size) return VN_OK;
    memcpy(s->name, name, strlen(name) + 1);
    s->found = true;
    *stop = true;
    return VN_OK;
}

const char *vn_client_name_of(vn_client *c, const char *account, char *name, size_t size)
{
    struct name_search s = {account, name, size, false};
    /* Contacts are few; a scan is simpler than a second index. */
    if (vn_client_contacts_each(c, name_cb, &s) != VN_OK || !s.found) return NULL;
    return name;
}

/* A test result, a clinical state or a medication exception is one fact
 * per case, day and kind: recording it again corrects it, so the new one
 * replaces every earlier one (a report must count a corrected result
 * once). The key keeps its message id all the same, so records stored
 * before this rule keep their layout and are replaced too. Alert histories
 * are the exception: each is a different alert (several can be raised on
 * one day), and an alert is acknowledged only once. */
static bool replaces_earlier(const char *kind)
{
    return strcmp(kind, "test") == 0 || strcmp(kind, "state") == 0 ||
           strcmp(kind, "medication") == 0;
}

vn_err vn_client_keep_record(vn_client *c, const Vn__RecordNote *r, const uint8_t id[16])
{
    /* Key: case, date, kind, message id: a report reads a month in order. */
    char key[VN_ACCOUNT_HEX + 10 + 32 + 16];
    const char *kind = r->kind ? r->kind : "";
    size_t kl = (size_t)snprintf(key, sizeof key, "%.32s%.10s%.31s", r->case_id ? r->case_id : "",
                                 r->date ? r->date : "", kind);
    if (kl + 16 > sizeof key) return VN_EINVAL;
    memcpy(key + kl, id, 16);
    size_t n = vn__record_note__get_packed_size(r);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return VN_ENOMEM;
    vn__record_note__pack(r, buf);
    /* The deletion and the put are one transaction (nested in the
     * caller's, when there is one). */
    vn_err err = vn_kv_begin(c->kv);
    if (!err && replaces_earlier(kind)) err = vn_kv_del_prefix(c->kv, CDB_RECORDS, key, kl, NULL);
    if (!err) err = vn_kv_put(c->kv, CDB_RECORDS, key, kl + 16, buf, n);
    if (!err)
        err = vn_kv_commit(c->kv);
    else if (vn_kv_in_txn(c->kv))
        vn_kv_abort(c->kv);
    free(buf);
    return err;
}

vn_err vn_client_next_seq(vn_client *c, int db, uint64_t *seq)
{
    uint8_t b[8];
    size_t n;
    char key[16];
    snprintf(key, sizeof key, "seq_%d", db);
    vn_err err = vn_client_cfg_get(c, key, b, sizeof b, &n);
    if (err == VN_ENOTFOUND || (!err && n != 8))
        *seq = 0;
    else if (err)
        return err;
    else
        *seq = vn_be_get64(b);
    vn_be_put64(b, ++*seq);
    return vn_client_cfg_put(c, key, b, 8);
}

vn_err vn_client_keep_history(vn_client *c, const Vn__Received *h)
{
    uint8_t k[8];
    uint64_t seq;
    size_t hl = vn__received__get_packed_size(h);
    uint8_t *hb = malloc(hl ? hl : 1);
    if (!hb) return VN_ENOMEM;
    vn__received__pack(h, hb);
    vn_err err = vn_client_next_seq(c, CDB_HISTORY, &seq);
    if (!err) {
        vn_be_put64(k, seq);
        err = vn_kv_put(c->kv, CDB_HISTORY, k, sizeof k, hb, hl);
    }
    explicit_bzero(hb, hl ? hl : 1);
    free(hb);
    return err;
}
