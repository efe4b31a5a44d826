/* Unit tests of the store key file of server/storekey.c (compiled into this
 * test directly): the systemd credential as the default, a key made and read
 * back, and each refusal (inside the state directory, open to group or
 * others, wrong size or format, an existing file) with the key wiped. */
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

#include "storekey.h"

typedef struct fixture {
    char dir[32];   /* a temporary directory: the key files */
    char state[64]; /* a state directory inside it */
    char path[96];  /* a key file beside the state directory */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    memcpy(f->dir, "/tmp/vn-skey-XXXXXX", sizeof "/tmp/vn-skey-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->state, sizeof f->state, "%s/state", f->dir);
    assert_int_equal(mkdir(f->state, 0700), 0);
    snprintf(f->path, sizeof f->path, "%s/store.key", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_default_path(void **state)
{
    (void)state;
    char out[256], msg[256];
    unsetenv("CREDENTIALS_DIRECTORY");
    assert_int_equal(vn_storekey_path(NULL, out, sizeof out, msg, sizeof msg), VN_ENOTFOUND);
    assert_non_null(strstr(msg, "--store-key FILE"));
    assert_non_null(strstr(msg, "LoadCredentialEncrypted=vangnetd-store-key"));
    setenv("CREDENTIALS_DIRECTORY", "/run/credentials/vangnetd.service", 1);
    assert_int_equal(vn_storekey_path(NULL, out, sizeof out, msg, sizeof msg), VN_OK);
    assert_string_equal(out, "/run/credentials/vangnetd.service/vangnetd-store-key");
    /* An explicit file wins over the credential. */
    assert_int_equal(vn_storekey_path("/etc/k", out, sizeof out, msg, sizeof msg), VN_OK);
    assert_string_equal(out, "/etc/k");
    unsetenv("CREDENTIALS_DIRECTORY");
}

static void test_create_and_load(void **state)
{
    fixture *f = *state;
    uint8_t made[32], read[32];
    char msg[512];
    struct stat sb;
    assert_int_equal(vn_storekey_create(f->path, f->state, made, msg, sizeof msg), VN_OK);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 65);
    assert_int_equal(vn_storekey_load(f->path, f->state, read, msg, sizeof msg), VN_OK);
    assert_memory_equal(made, read, 32);
    /* Never over an existing file, and nothing of a key on failure. */
    assert_int_equal(vn_storekey_create(f->path, f->state, made, msg, sizeof msg), VN_EEXISTS);
    assert_non_null(strstr(msg, "exists already"));
    static const uint8_t zero[32];
    assert_memory_equal(made, zero, 32);
}

static void test_refusals(void **state)
{
    fixture *f = *state;
    uint8_t key[32];
    char msg[512], inside[128];
    static const uint8_t zero[32];
    const char *hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
    snprintf(inside, sizeof inside, "%s/store.key", f->state);
    assert_int_equal(vn_storekey_create(inside, f->state, key, msg, sizeof msg), VN_EDENIED);
    assert_non_null(strstr(msg, "inside the state directory"));
    write_text(inside, hex, 0600);
    assert_int_equal(vn_storekey_load(inside, f->state, key, msg, sizeof msg), VN_EDENIED);
    write_text(f->path, hex, 0644);
    assert_int_equal(vn_storekey_load(f->path, f->state, key, msg, sizeof msg), VN_EDENIED);
    assert_non_null(strstr(msg, "mode 0644"));
    assert_memory_equal(key, zero, 32);
    write_text(f->path, "0011\n", 0600);
    assert_int_equal(vn_storekey_load(f->path, f->state, key, msg, sizeof msg), VN_EINVAL);
    write_text(f->path, "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 0600);
    assert_int_equal(vn_storekey_load(f->path, f->state, key, msg, sizeof msg), VN_EINVAL);
    write_text(f->path, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\n",
               0600);
    assert_int_equal(vn_storekey_load(f->path, f->state, key, msg, sizeof msg), VN_EINVAL);
    /* Without the newline it is still the key. */
    write_text(f->path, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 0400);
    assert_int_equal(vn_storekey_load(f->path, f->state, key, msg, sizeof msg), VN_OK);
    assert_int_equal(key[1], 0x11);
    snprintf(inside, sizeof inside, "%s/missing.key", f->dir);
    assert_int_equal(vn_storekey_load(inside, f->state, key, msg, sizeof msg), VN_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_path),
        cmocka_unit_test_setup_teardown(test_create_and_load, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
