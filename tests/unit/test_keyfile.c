/* Unit tests of the client's key file (client-cli/keyfile.c): the master
 * key round-trips, a wrong passphrase and every altered byte of the header
 * are refused, odd files are named, and a rewrite replaces the file whole.
 * Argon2id runs at the least cost libsodium allows, as the tests' knob does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "keyfile.h"

#define FILE_SIZE 120 /* version 2: 104 bytes and a 16-byte checksum */

static const vn_keyfile_cost cheap = {1, 8};

static void tmp_dir(char *dir)
{
    memcpy(dir, "/tmp/vn-keyfile-XXXXXX", sizeof "/tmp/vn-keyfile-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void rm_dir(const char *dir)
{
    char path[64];
    snprintf(path, sizeof path, "%s/%s", dir, VN_KEYFILE_NAME);
    unlink(path);
    rmdir(dir);
}

/* Reads or writes the key file's bytes. */
static size_t file_io(const char *dir, uint8_t *buf, size_t n, bool write)
{
    char path[64];
    snprintf(path, sizeof path, "%s/%s", dir, VN_KEYFILE_NAME);
    FILE *f = fopen(path, write ? "wb" : "rb");
    assert_non_null(f);
    size_t got = write ? fwrite(buf, 1, n, f) : fread(buf, 1, n, f);
    fclose(f);
    return got;
}

static void test_round_trip(void **state)
{
    char dir[32];
    uint8_t master[32], got[32];
    vn_keyfile_cost cost = {0, 0};
    tmp_dir(dir);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_ENOTFOUND);
    randombytes_buf(master, sizeof master);
    assert_int_equal(vn_keyfile_write(dir, "pass", master, &cheap), VN_OK);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, &cost), VN_OK);
    assert_memory_equal(got, master, 32);
    assert_int_equal(cost.ops, cheap.ops);
    assert_int_equal(cost.mem_kib, cheap.mem_kib);
    /* Private to its owner, and no temporary file left. */
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, VN_KEYFILE_NAME);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, FILE_SIZE);
    snprintf(path, sizeof path, "%s/%s.tmp", dir, VN_KEYFILE_NAME);
    assert_int_not_equal(access(path, F_OK), 0);
    rm_dir(dir);
}

static void test_wrong_passphrase(void **state)
{
    char dir[32];
    uint8_t master[32] = {1, 2, 3}, got[32];
    tmp_dir(dir);
    assert_int_equal(vn_keyfile_write(dir, "pass", master, &cheap), VN_OK);
    memset(got, 0xaa, sizeof got);
    assert_int_equal(vn_keyfile_read(dir, "Pass", got, NULL), VN_EUNTRUSTED);
    /* Nothing of a failed unwrap is handed out. */
    uint8_t zero[32] = {0};
    assert_memory_equal(got, zero, 32);
    assert_int_equal(vn_keyfile_read(dir, "", got, NULL), VN_EUNTRUSTED);
    rm_dir(dir);
}

/* A change of any byte fails: the header is the AEAD's associated data
 * (lowering the cost or changing the salt is noticed), the rest its
 * nonce, ciphertext and tag. */
static void test_every_byte_bound(void **state)
{
    char dir[32];
    uint8_t master[32] = {9}, got[32], buf[FILE_SIZE], bad[FILE_SIZE];
    tmp_dir(dir);
    assert_int_equal(vn_keyfile_write(dir, "pass", master, &cheap), VN_OK);
    assert_int_equal(file_io(dir, buf, sizeof buf, false), FILE_SIZE);
    for (size_t i = 0; i < FILE_SIZE; i++) {
        memcpy(bad, buf, sizeof bad);
        bad[i] ^= 0x01;
        file_io(dir, bad, sizeof bad, true);
        vn_err err = vn_keyfile_read(dir, "pass", got, NULL);
        if (err == VN_OK) fail_msg("byte %zu changed and the file still opens", i);
    }
    file_io(dir, buf, sizeof buf, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_OK);
    rm_dir(dir);
}

static void test_odd_files(void **state)
{
    char dir[32];
    uint8_t master[32] = {7}, got[32], buf[FILE_SIZE + 1], bad[FILE_SIZE + 1];
    tmp_dir(dir);
    assert_int_equal(vn_keyfile_write(dir, "pass", master, &cheap), VN_OK);
    assert_int_equal(file_io(dir, buf, sizeof buf, false), FILE_SIZE);
    /* Another version or KDF: named as such, not as a wrong passphrase. */
    memcpy(bad, buf, FILE_SIZE);
    bad[4] = 3;
    file_io(dir, bad, FILE_SIZE, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_EVERSION);
    memcpy(bad, buf, FILE_SIZE);
    bad[5] = 2;
    file_io(dir, bad, FILE_SIZE, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_EVERSION);
    /* Not a key file, cut short, or longer than one. */
    memcpy(bad, buf, FILE_SIZE);
    bad[0] = 'X';
    file_io(dir, bad, FILE_SIZE, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_ECRYPTO);
    file_io(dir, buf, FILE_SIZE - 1, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_ECRYPTO);
    memcpy(bad, buf, FILE_SIZE);
    bad[FILE_SIZE] = 0;
    file_io(dir, bad, FILE_SIZE + 1, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_ECRYPTO);
    file_io(dir, bad, 0, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_ECRYPTO);
    /* An absurd cost is refused before the KDF runs: 1000 passes. */
    memcpy(bad, buf, FILE_SIZE);
    bad[8] = 0, bad[9] = 0, bad[10] = 0x03, bad[11] = 0xe8;
    file_io(dir, bad, FILE_SIZE, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_ECRYPTO);
    rm_dir(dir);
}

/* A damaged file is named as damage, not as a wrong passphrase: the
 * checksum of version 2 tells them apart (a salt byte changed fails the
 * AEAD tag exactly as a wrong passphrase does). */
static void test_damage_told(void **state)
{
    char dir[32], why[160];
    uint8_t master[32] = {5}, got[32], buf[FILE_SIZE];
    tmp_dir(dir);
    assert_int_equal(vn_keyfile_check(dir, why, sizeof why), VN_ENOTFOUND);
    assert_string_equal(why, "it is missing");
    assert_int_equal(vn_keyfile_write(dir, "pass", master, &cheap), VN_OK);
    assert_int_equal(vn_keyfile_check(dir, why, sizeof why), VN_OK);
    assert_int_equal(file_io(dir, buf, sizeof buf, false), FILE_SIZE);
    buf[20] ^= 0x40; /* in the salt */
    file_io(dir, buf, sizeof buf, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_ECRYPTO);
    assert_int_equal(vn_keyfile_check(dir, why, sizeof why), VN_ECRYPTO);
    assert_non_null(strstr(why, "checksum"));
    file_io(dir, buf, 50, true);
    assert_int_equal(vn_keyfile_check(dir, why, sizeof why), VN_ECRYPTO);
    assert_non_null(strstr(why, "50 bytes long, not 120"));
    rm_dir(dir);
}

/* A key file of version 1 (no checksum), as earlier clients wrote it,
 * still opens. */
static void test_version1_read(void **state)
{
    char dir[32];
    uint8_t master[32] = {6}, got[32], buf[104] = "VNPK", key[32];
    tmp_dir(dir);
    buf[4] = 1, buf[5] = 1;
    buf[11] = (uint8_t)cheap.ops;
    buf[12] = (uint8_t)(cheap.mem_kib >> 24), buf[13] = (uint8_t)(cheap.mem_kib >> 16);
    buf[14] = (uint8_t)(cheap.mem_kib >> 8), buf[15] = (uint8_t)cheap.mem_kib;
    randombytes_buf(buf + 16, 16 + 24);
    assert_int_equal(crypto_pwhash(key, 32, "pass", 4, buf + 16, cheap.ops,
                                   (size_t)cheap.mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13),
                     0);
    crypto_aead_xchacha20poly1305_ietf_encrypt(buf + 56, NULL, master, 32, buf, 32, NULL, buf + 32,
                                               key);
    file_io(dir, buf, sizeof buf, true);
    assert_int_equal(vn_keyfile_read(dir, "pass", got, NULL), VN_OK);
    assert_memory_equal(got, master, 32);
    assert_int_equal(vn_keyfile_read(dir, "wrong", got, NULL), VN_EUNTRUSTED);
    rm_dir(dir);
}

static void test_rewrap(void **state)
{
    char dir[32];
    uint8_t master[32], got[32];
    vn_keyfile_cost too_cheap = {0, 8};
    tmp_dir(dir);
    randombytes_buf(master, sizeof master);
    assert_int_equal(vn_keyfile_write(dir, "old", master, &cheap), VN_OK);
    assert_int_equal(vn_keyfile_write(dir, "new", master, &cheap), VN_OK);
    assert_int_equal(vn_keyfile_read(dir, "old", got, NULL), VN_EUNTRUSTED);
    assert_int_equal(vn_keyfile_read(dir, "new", got, NULL), VN_OK);
    assert_memory_equal(got, master, 32);
    /* A cost libsodium refuses is refused, and the file stays as it was. */
    assert_int_equal(vn_keyfile_write(dir, "newer", master, &too_cheap), VN_EINVAL);
    assert_int_equal(vn_keyfile_read(dir, "new", got, NULL), VN_OK);
    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_wrong_passphrase),
        cmocka_unit_test(test_every_byte_bound), cmocka_unit_test(test_odd_files),
        cmocka_unit_test(test_rewrap),           cmocka_unit_test(test_damage_told),
        cmocka_unit_test(test_version1_read)};
    if (sodium_init() < 0) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
