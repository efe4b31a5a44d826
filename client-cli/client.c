/* The profile: its directory, the passphrase that unlocks its store, and
 * what the store keeps (config, contact names, records). */
#include "client.h"

#include "vn/frame.h"
#include "vn/invite.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <termios.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const db_names[] = {
    "config", "contacts", "seen", "history", "outbox", "teams", "records", VN_E2EE_DBS,
};
_Static_assert(sizeof db_names / sizeof db_names[0] == CDB_COUNT, "one name per CDB_*");

/* The passphrase: $VANGNET_PASSPHRASE, else asked on the terminal with
 * echo off. *pass is malloc'd (caller wipes and frees). */
static vn_err read_passphrase(vn_client *c, char **pass)
{
    const char *env = getenv("VANGNET_PASSPHRASE");
    char buf[256];
    if (env && env[0]) {
        *pass = strdup(env);
        return *pass ? VN_OK : VN_ENOMEM;
    }
    if (!isatty(STDIN_FILENO)) return VN_EDENIED;
    struct termios old, quiet;
    bool echo_off = tcgetattr(STDIN_FILENO, &old) == 0;
    if (echo_off) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    fprintf(stderr, "passphrase for %s: ", c->profile);
    bool ok = fgets(buf, sizeof buf, stdin) != NULL;
    if (echo_off) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    buf[strcspn(buf, "\r\n")] = '\0';
    *pass = ok && buf[0] ? strdup(buf) : NULL;
    explicit_bzero(buf, sizeof buf);
    return *pass ? VN_OK : VN_EDENIED;
}

/* The profile's salt (made on first use), next to the store. */
static vn_err profile_salt(vn_client *c, uint8_t salt[16])
{
    char path[4096];
    snprintf(path, sizeof path, "%s/profile.salt", c->profile);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        bool ok = read(fd, salt, 16) == 16;
        close(fd);
        return ok ? VN_OK : VN_EIO;
    }
    if (errno != ENOENT) return VN_EIO;
    vn_err err = vn_random(salt, 16);
    if (err) return err;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return VN_EIO;
    bool ok = write(fd, salt, 16) == 16 && fsync(fd) == 0;
    close(fd);
    return ok ? VN_OK : VN_EIO;
}

/* Seals the store with a key derived from the passphrase (scrypt), and
 * checks it against the profile's verifier so a wrong passphrase is named
 * as such instead of showing up as garbage later. */
static vn_err unlock(vn_client *c)
{
    static const char check[] = "vangnet profile v1";
    uint8_t salt[16], key[32];
    char *pass = NULL;
    vn_err err = profile_salt(c, salt);
    if (err) return err;
    if ((err = read_passphrase(c, &pass))) return err;
    int ok = EVP_PBE_scrypt(pass, strlen(pass), salt, sizeof salt, 1 << 14, 8, 1, 64u << 20, key,
                            sizeof key);
    explicit_bzero(pass, strlen(pass));
    free(pass);
    if (ok != 1) return VN_ECRYPTO;
    vn_kv_seal(c->kv, key, NULL);
    /* Contact names are looked up by a keyed hash, never stored in clear. */
    uint8_t tagged[33];
    memcpy(tagged, key, 32);
    tagged[32] = 'c';
    vn_sha256(tagged, sizeof tagged, c->names_key);
    explicit_bzero(tagged, sizeof tagged);
    explicit_bzero(key, sizeof key);
    char got[sizeof check];
    size_t n = 0;
    err = vn_client_cfg_get(c, "check", got, sizeof got, &n);
    if (err == VN_ENOTFOUND) {
        /* Under another key the check record is not found at all (keys are
         * hashed): only a store with nothing in it is a new profile. */
        size_t n_cfg = 0;
        if ((err = vn_kv_count(c->kv, CDB_CONFIG, &n_cfg))) return err;
        if (n_cfg) return VN_EUNTRUSTED;
        return vn_client_cfg_put(c, "check", check, sizeof check);
    }
    if (err == VN_ECRYPTO || (!err && (n != sizeof check || memcmp(got, check, n) != 0)))
        return VN_EUNTRUSTED;
    return err;
}

vn_err vn_client_open(vn_client *c)
{
    struct stat st;
    if (mkdir(c->profile, 0700) != 0 && errno != EEXIST) return VN_EIO;
    /* The store holds private keys: refuse a profile others can read. */
    if (stat(c->profile, &st) != 0 || !S_ISDIR(st.st_mode)) return VN_EIO;
    if ((st.st_mode & 077) != 0 && chmod(c->profile, 0700) != 0) return VN_EIO;
    vn_err err = vn_kv_open(&c->kv, c->profile, db_names, CDB_COUNT, (size_t)256 << 20);
    if (err) return err;
    if ((err = unlock(c)) || (err = vn_e2ee_open(&c->e2ee, c->kv, CDB_E2EE))) {
        vn_kv_close(&c->kv);
        return err;
    }
    size_t len = 0;
    c->account[0] = '\0';
    if (vn_client_cfg_get(c, "account", c->account, sizeof c->account - 1, &len) == VN_OK) {
        c->account[len] = '\0';
        /* Safety numbers are computed over both account ids. */
        err = vn_e2ee_set_account(c->e2ee, c->account);
    }
    return err;
}

/* The store key of a contact name: a keyed hash, so names stay secret. */
void vn_client_name_key(vn_client *c, const char *name, uint8_t out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), c->names_key, 32, (const uint8_t *)name, strlen(name), out, &n);
}

void vn_client_close(vn_client *c)
{
    vn_conn_close(&c->conn);
    vn_e2ee_close(&c->e2ee);
    vn_kv_close(&c->kv);
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

vn_err vn_client_resolve(vn_client *c, const char *who, char account[VN_ACCOUNT_HEX + 1])
{
    void *v = NULL;
    size_t n;
    if (vn_account_valid(who)) {
        memcpy(account, who, VN_ACCOUNT_HEX + 1);
        return VN_OK;
    }
    if (!who[0]) return VN_EINVAL;
    uint8_t k[32];
    vn_client_name_key(c, who, k);
    vn_err err = vn_kv_get(c->kv, CDB_CONTACTS, k, sizeof k, &v, &n);
    if (err) return err == VN_ENOTFOUND ? VN_ENOACCOUNT : err;
    /* The value is the account id, then the name. */
    if (n < VN_ACCOUNT_HEX)
        err = VN_ESTORE;
    else {
        memcpy(account, v, VN_ACCOUNT_HEX);
        account[VN_ACCOUNT_HEX] = '\0';
    }
    free(v);
    return err;
}

struct name_search {
    const char *account; /* what we look for */
    char *name;          /* where the name goes */
    size_t size;
    bool found;
};

static vn_err name_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct name_search *s = ud;
    size_t nl = vl - VN_ACCOUNT_HEX;
    if (vl <= VN_ACCOUNT_HEX || memcmp(v, s->account, VN_ACCOUNT_HEX) != 0) return VN_OK;
    if (nl >= s->size) return VN_OK;
    memcpy(s->name, (const char *)v + VN_ACCOUNT_HEX, nl);
    s->name[nl] = '\0';
    s->found = true;
    *stop = true;
    return VN_OK;
}

const char *vn_client_name_of(vn_client *c, const char *account, char *name, size_t size)
{
    struct name_search s = {account, name, size, false};
    /* Contacts are few; a scan is simpler than a second index. */
    if (vn_kv_each(c->kv, CDB_CONTACTS, NULL, 0, name_cb, &s) != VN_OK || !s.found) return NULL;
    return name;
}

vn_err vn_client_keep_record(vn_client *c, const Vn__RecordNote *r, const uint8_t id[16])
{
    /* Key: case, date, kind, message id: a report reads a month in order. */
    char key[VN_ACCOUNT_HEX + 10 + 32 + 16];
    size_t kl = (size_t)snprintf(key, sizeof key, "%.32s%.10s%.31s", r->case_id ? r->case_id : "",
                                 r->date ? r->date : "", r->kind ? r->kind : "");
    if (kl + 16 > sizeof key) return VN_EINVAL;
    memcpy(key + kl, id, 16);
    size_t n = vn__record_note__get_packed_size(r);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return VN_ENOMEM;
    vn__record_note__pack(r, buf);
    vn_err err = vn_kv_put(c->kv, CDB_RECORDS, key, kl + 16, buf, n);
    free(buf);
    return err;
}

uint64_t vn_client_next_seq(vn_client *c, int db)
{
    uint64_t seq = 0;
    uint8_t b[8];
    size_t n;
    char key[16];
    snprintf(key, sizeof key, "seq_%d", db);
    if (vn_client_cfg_get(c, key, b, sizeof b, &n) == VN_OK && n == 8) seq = vn_get_be64(b);
    vn_put_be64(b, ++seq);
    vn_client_cfg_put(c, key, b, 8);
    return seq;
}
