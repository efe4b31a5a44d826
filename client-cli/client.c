/* The device store, connection and output helpers shared by all commands. */
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

#define PREKEY_LOW     10  /* refill when the server holds fewer */
#define PREKEY_BATCH   100 /* how many a device keeps on the server */
#define SPK_MAX_AGE_MS (7ULL * 86400000)

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
    vn_kv_seal(c->kv, key);
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
    if (err == VN_ENOTFOUND) return vn_client_cfg_put(c, "check", check, sizeof check);
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

vn_err vn_client_connect(vn_client *c)
{
    char endpoint[VN_ENDPOINT_MAX + 1] = {0};
    uint8_t server_key[32], pub[32], sec[32];
    size_t n;
    if (c->conn) return VN_OK;
    vn_err err = vn_client_cfg_get(c, "endpoint", endpoint, VN_ENDPOINT_MAX, &n);
    if (err) return err;
    if ((err = vn_client_cfg_get(c, "server_key", server_key, 32, &n)) ||
        (err = vn_client_cfg_get(c, "curve_pub", pub, 32, &n)) ||
        (err = vn_client_cfg_get(c, "curve_sec", sec, 32, &n)))
        goto out;
    err = vn_conn_open(&c->conn, endpoint, server_key, pub, sec);
    if (!err) vn_conn_set_timeout(c->conn, c->timeout_ms, 1000);
out:
    explicit_bzero(sec, sizeof sec);
    return err;
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

void vn_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

void vn_iso_time(uint64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int exit_code(vn_err err)
{
    switch (err) {
    case VN_ETIMEOUT:
    case VN_ETRANSPORT:
    case VN_ERATE:
    case VN_EFULL:
    case VN_ESTORE:
        return EXIT_RETRY;
    case VN_EUNTRUSTED:
        return EXIT_UNTRUSTED;
    case VN_EINVAL:
        return EXIT_FAIL;
    default:
        return EXIT_FAIL;
    }
}

static int report(vn_client *c, vn_err err, const char *msg)
{
    if (c->json) {
        fprintf(stderr, "{\"error\": {\"code\": \"%s\", \"message\": ", vn_err_name(err));
        vn_json_str(stderr, msg);
        fprintf(stderr, "}}\n");
    } else {
        fprintf(stderr, "vangnet: %s\n", msg);
    }
    return exit_code(err);
}

int vn_client_fail(vn_client *c, vn_err err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return report(c, err, msg);
}

int vn_client_fail_call(vn_client *c, vn_err err, const char *what)
{
    uint64_t retry = 0;
    const char *smsg = c->conn ? vn_conn_error(c->conn, &retry) : "";
    if (err == VN_ETIMEOUT)
        return vn_client_fail(c, err,
                              "%s: no answer from the server within %d s (is it running and "
                              "reachable?)",
                              what, c->timeout_ms / 1000);
    if (retry)
        return vn_client_fail(c, err, "%s: %s (retry after %llu ms)", what,
                              smsg[0] ? smsg : vn_err_str(err), (unsigned long long)retry);
    return vn_client_fail(c, err, "%s: %s", what, smsg[0] ? smsg : vn_err_str(err));
}

vn_err vn_client_publish_keys(vn_client *c, uint32_t count, uint32_t *left, uint64_t *server_ms)
{
    vn_bundle b;
    vn_prekey_pub *pks = NULL;
    Vn__PreKey *pk = NULL, **pkp = NULL;
    Vn__Reply *rep = NULL;
    vn_err err = vn_e2ee_public_bundle(c->e2ee, &b);
    if (err) return err;
    if (count > 0) {
        /* The new prekeys are durable locally before the server learns of
         * them, so a crash never leaves the server handing out keys we lost. */
        if ((err = vn_e2ee_generate_prekeys(c->e2ee, count, &pks))) return err;
        pk = calloc(count, sizeof *pk);
        pkp = calloc(count, sizeof *pkp);
        if (!pk || !pkp) {
            err = VN_ENOMEM;
            goto out;
        }
        for (uint32_t i = 0; i < count; i++) {
            vn__pre_key__init(&pk[i]);
            pk[i].id = pks[i].id;
            pk[i].key.data = pks[i].key;
            pk[i].key.len = VN_E2EE_KEY_LEN;
            pkp[i] = &pk[i];
        }
    }
    Vn__PublishKeys pub = VN__PUBLISH_KEYS__INIT;
    pub.registration_id = b.registration_id;
    pub.identity_key = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.identity_key};
    pub.signed_prekey_id = b.signed_prekey_id;
    pub.signed_prekey = (ProtobufCBinaryData){VN_E2EE_KEY_LEN, b.signed_prekey};
    pub.signed_prekey_sig = (ProtobufCBinaryData){VN_E2EE_SIG_LEN, b.signed_prekey_sig};
    pub.n_prekeys = count;
    pub.prekeys = pkp;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_PUBLISH_KEYS;
    req.publish_keys = &pub;
    if ((err = vn_client_connect(c))) goto out;
    err = vn_conn_call(c->conn, &req, &rep);
    if (!err && rep->body_case != VN__REPLY__BODY_KEYS_PUBLISHED) err = VN_EPROTO;
    if (!err && left) *left = rep->keys_published->prekeys_left;
    if (!err && server_ms) *server_ms = rep->keys_published->server_time_ms;
out:
    vn_frame_reply_free(rep);
    free(pkp);
    free(pk);
    free(pks);
    return err;
}

vn_err vn_client_maintain_keys(vn_client *c)
{
    bool rotated = false;
    uint32_t left = 0;
    uint64_t now = 0;
    /* Publishing with no new prekeys tells us how many remain, and the
     * server's time, by which key ages are kept. */
    vn_err err = vn_client_publish_keys(c, 0, &left, &now);
    if (err) return err;
    if ((err = vn_e2ee_rotate_signed_prekey(c->e2ee, now, SPK_MAX_AGE_MS, &rotated))) return err;
    if (left < PREKEY_LOW || rotated)
        err = vn_client_publish_keys(c, left < PREKEY_LOW ? PREKEY_BATCH - left : 0, &left, NULL);
    return err;
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

int vn_client_own_case(vn_client *c, char case_id[VN_ACCOUNT_HEX + 1], char cm[VN_ACCOUNT_HEX + 1])
{
    Vn__Reply *rep = NULL;
    Vn__Whoami w = VN__WHOAMI__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_IDENTITY, "cannot find your case", &rep);
    if (rc) return rc;
    if (!vn_account_valid(rep->identity->case_id)) {
        rc = vn_client_fail(c, VN_ENOTFOUND, "you are not in a case");
    } else {
        snprintf(case_id, VN_ACCOUNT_HEX + 1, "%s", rep->identity->case_id);
        if (cm) snprintf(cm, VN_ACCOUNT_HEX + 1, "%s", rep->identity->casemanager);
    }
    vn_frame_reply_free(rep);
    return rc;
}

int vn_client_roster(vn_client *c, const char *case_id, Vn__Reply **rep)
{
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    cs.case_id = (char *)case_id;
    cs.team_only = true;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_SHOW;
    req.case_show = &cs;
    return vn_client_call(c, &req, VN__REPLY__BODY_CASE_INFO, "cannot read the case", rep);
}
