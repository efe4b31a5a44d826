/* Unit tests of the server's CURVE key files, server/serverkey.c (compiled
 * into this test directly): init's pair opens to the secret whose public
 * key is server.pub, and server.key holds that secret in no form (raw, hex
 * or z85); a wrong store key, every truncation and every changed character
 * are refused; a plain file of an older release reads as such and is
 * sealed in place; a rotation's server.key.rekey is moved into place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <sodium.h>
#include <zmq.h>

#include "serverkey.h"
#include "tmpdir.h"
#include "vn/hex.h"

typedef struct fixture {
    char dir[32];          /* the state directory */
    char key_path[64];     /* its server.key */
    uint8_t store_key[32]; /* the store key of the test */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_true(sodium_init() >= 0);
    tmpdir_make(f->dir, "vn-srvkey");
    snprintf(f->key_path, sizeof f->key_path, "%s/server.key", f->dir);
    randombytes_buf(f->store_key, sizeof f->store_key);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    const char *names[] = {"server.key", "server.pub", "server.key.rekey", "server.key.tmp"};
    char path[96];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", f->dir, names[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static size_t read_all(const char *path, char *buf, size_t size)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, size - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return n;
}

static void write_all(const char *path, const char *buf, size_t n)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(buf, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static vn_err load(const fixture *f, const uint8_t key[32], uint8_t secret[32], bool *plain)
{
    char note[256], msg[512];
    return vn_serverkey_load(f->dir, key, secret, plain, note, sizeof note, msg, sizeof msg);
}

static bool has(const char *hay, size_t n, const void *needle, size_t m)
{
    for (size_t i = 0; m <= n && i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return true;
    return false;
}

/* The secret init sealed is the pair of server.pub, and is nowhere in
 * server.key. */
static void test_create_and_load(void **state)
{
    fixture *f = *state;
    char pub[41], msg[512], text[512], pubfile[64], z85[41], hex[65];
    uint8_t secret[32], derived[32], pinned[32];
    bool plain = true;
    assert_int_equal(vn_serverkey_create(f->dir, f->store_key, pub, msg, sizeof msg), VN_OK);
    assert_int_equal(load(f, f->store_key, secret, &plain), VN_OK);
    assert_false(plain);
    assert_int_equal(crypto_scalarmult_base(derived, secret), 0);
    snprintf(pubfile, sizeof pubfile, "%s/server.pub", f->dir);
    assert_int_equal(read_all(pubfile, text, sizeof text), 41);
    text[40] = '\0';
    assert_string_equal(text, pub);
    assert_non_null(zmq_z85_decode(pinned, text));
    assert_memory_equal(derived, pinned, 32);

    size_t n = read_all(f->key_path, text, sizeof text);
    assert_int_equal(n, 151);
    assert_memory_equal(text, "vnsk1:", 6);
    assert_non_null(zmq_z85_encode(z85, secret, 32));
    vn_hex_encode(secret, 32, hex);
    assert_false(has(text, n, secret, 32));
    assert_false(has(text, n, z85, 40));
    assert_false(has(text, n, hex, 64));
    struct stat sb;
    assert_int_equal(stat(f->key_path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    /* init never writes over a key. */
    assert_int_equal(vn_serverkey_create(f->dir, f->store_key, pub, msg, sizeof msg), VN_EEXISTS);
    assert_non_null(strstr(msg, "exists already"));
}

static void test_refusals(void **state)
{
    fixture *f = *state;
    char pub[41], msg[512], good[512], bad[512], note[64];
    uint8_t secret[32], other[32], zero[32] = {0};
    bool plain;
    assert_int_equal(vn_serverkey_create(f->dir, f->store_key, pub, msg, sizeof msg), VN_OK);
    size_t n = read_all(f->key_path, good, sizeof good);

    memcpy(other, f->store_key, 32);
    other[31] ^= 1;
    memset(secret, 0xaa, sizeof secret);
    assert_int_equal(
        vn_serverkey_load(f->dir, other, secret, &plain, note, sizeof note, msg, sizeof msg),
        VN_ECRYPTO);
    assert_non_null(strstr(msg, "server.key"));
    assert_memory_equal(secret, zero, 32); /* wiped */

    for (size_t len = 0; len < n - 1; len++) {
        write_all(f->key_path, good, len);
        assert_int_equal(vn_serverkey_load(f->dir, f->store_key, secret, &plain, note, sizeof note,
                                           msg, sizeof msg),
                         VN_EINVAL);
        assert_non_null(strstr(msg, "is damaged"));
    }
    for (size_t i = 0; i < n - 1; i++) {
        memcpy(bad, good, n);
        bad[i] = bad[i] == 'a' ? 'b' : 'a';
        write_all(f->key_path, bad, n);
        vn_err err = load(f, f->store_key, secret, &plain);
        assert_true(err == VN_ECRYPTO || err == VN_EINVAL);
    }
    unlink(f->key_path);
    assert_int_equal(
        vn_serverkey_load(f->dir, f->store_key, secret, &plain, note, sizeof note, msg, sizeof msg),
        VN_ENOTFOUND);
    assert_non_null(strstr(msg, "vangnetd init"));
}

/* A plain server.key of an older release: read as such, then sealed. */
static void test_plain_upgraded(void **state)
{
    fixture *f = *state;
    char pubz[41], secz[41], line[64], msg[512], text[512];
    uint8_t want[32], secret[32];
    bool plain = false;
    assert_int_equal(zmq_curve_keypair(pubz, secz), 0);
    assert_non_null(zmq_z85_decode(want, secz));
    snprintf(line, sizeof line, "%s\n", secz);
    write_all(f->key_path, line, 41);
    assert_int_equal(load(f, f->store_key, secret, &plain), VN_OK);
    assert_true(plain);
    assert_memory_equal(secret, want, 32);
    /* Without its newline too. */
    write_all(f->key_path, line, 40);
    assert_int_equal(load(f, f->store_key, secret, &plain), VN_OK);
    assert_true(plain);

    assert_int_equal(
        vn_serverkey_store(f->dir, VN_SERVERKEY_FILE, f->store_key, secret, msg, sizeof msg),
        VN_OK);
    size_t n = read_all(f->key_path, text, sizeof text);
    assert_false(has(text, n, secz, 40));
    memset(secret, 0, sizeof secret);
    assert_int_equal(load(f, f->store_key, secret, &plain), VN_OK);
    assert_false(plain);
    assert_memory_equal(secret, want, 32);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s/server.key.tmp", f->dir);
    assert_int_equal(access(tmp, F_OK), -1);
}

/* A rotation stopped between the store and server.key: the new key opens
 * server.key.rekey, which is moved over server.key. */
static void test_rekey_finished_on_load(void **state)
{
    fixture *f = *state;
    char pub[41], msg[512], note[512], rekey[64];
    uint8_t secret[32], again[32], new_key[32];
    bool plain;
    assert_int_equal(vn_serverkey_create(f->dir, f->store_key, pub, msg, sizeof msg), VN_OK);
    assert_int_equal(load(f, f->store_key, secret, &plain), VN_OK);
    randombytes_buf(new_key, sizeof new_key);
    assert_int_equal(
        vn_serverkey_store(f->dir, VN_SERVERKEY_REKEY, new_key, secret, msg, sizeof msg), VN_OK);
    /* The old key still opens server.key, and leaves the rekey file. */
    assert_int_equal(
        vn_serverkey_load(f->dir, f->store_key, again, &plain, note, sizeof note, msg, sizeof msg),
        VN_OK);
    assert_string_equal(note, "");
    snprintf(rekey, sizeof rekey, "%s/server.key.rekey", f->dir);
    assert_int_equal(access(rekey, F_OK), 0);
    /* The new key finds the rotation's file and finishes it. */
    assert_int_equal(
        vn_serverkey_load(f->dir, new_key, again, &plain, note, sizeof note, msg, sizeof msg),
        VN_OK);
    assert_memory_equal(again, secret, 32);
    assert_non_null(strstr(note, "key rotation"));
    assert_int_equal(access(rekey, F_OK), -1);
    assert_int_equal(load(f, new_key, again, &plain), VN_OK);
    assert_int_equal(load(f, f->store_key, again, &plain), VN_ECRYPTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_upgraded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rekey_finished_on_load, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
