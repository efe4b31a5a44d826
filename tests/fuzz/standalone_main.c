/* A main() for the fuzz targets without libFuzzer, so plain gcc builds and
 * CI (including the sanitizer build) run them: every file named on the
 * command line (a directory means every regular file in it, in name
 * order) goes through LLVMFuzzerTestOneInput as it is, and then through a
 * fixed number of deterministic mutations — bit flips, byte changes,
 * insertions, deletions, truncations — so each run covers more than the
 * seeds. With no file arguments it reads the target's seed corpus
 * (VN_FUZZ_CORPUS, set by CMake).
 *
 *   fuzz_request_standalone [-mutations=N] [FILE|DIR]...
 *
 * A finding shows up as an abort or a sanitizer report, and a non-zero
 * exit; with VN_FUZZ_SAVE=1 in the environment the input that caused it
 * is left in ./crash-standalone.bin. */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vn/parse.h"

#define INPUT_MAX (1024 * 1024)
#define MUTATIONS 2000
#define FILES_MAX 4096
#define GROW_MAX  64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* With VN_FUZZ_SAVE set, each input is written here before it runs, so
 * after a crash the file holds the input that caused it. Off by default,
 * which keeps normal runs free of disk writes. */
static const char *save_path;

static void run_one(const uint8_t *data, size_t size)
{
    if (save_path) {
        FILE *f = fopen(save_path, "wb");
        if (f) {
            fwrite(data, 1, size, f);
            fclose(f);
        }
    }
    /* A heap copy of the exact size, so reads past the end are caught. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) {
        fputs("fuzz standalone: out of memory\n", stderr);
        exit(1);
    }
    memcpy(copy, data, size);
    LLVMFuzzerTestOneInput(copy, size);
    free(copy);
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Applies 1..4 random edits to buf[0..*len) of capacity cap. */
static void mutate(uint8_t *buf, size_t *len, size_t cap, uint64_t *rng)
{
    unsigned edits = 1 + (unsigned)(next_rand(rng) % 4);
    for (unsigned e = 0; e < edits; e++) {
        size_t n = *len;
        uint64_t r = next_rand(rng);
        size_t at = n ? (size_t)(next_rand(rng) % n) : 0;
        switch (r % 6) {
        case 0: /* flip a bit */
            if (n) buf[at] ^= (uint8_t)(1u << (r >> 8) % 8);
            break;
        case 1: /* set a byte to an interesting or random value */
        {
            static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12};
            if (n) buf[at] = (r >> 8) % 2 ? vals[(r >> 16) % sizeof vals] : (uint8_t)(r >> 24);
            break;
        }
        case 2: /* insert a random byte */
            if (n < cap) {
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = (uint8_t)(r >> 8);
                *len = n + 1;
            }
            break;
        case 3: /* delete a range */
            if (n) {
                size_t k = 1 + (size_t)((r >> 8) % 8);
                if (k > n - at) k = n - at;
                memmove(buf + at, buf + at + k, n - at - k);
                *len = n - k;
            }
            break;
        case 4: /* truncate */
            *len = at;
            break;
        default: /* repeat a chunk */
        {
            size_t k = 1 + (size_t)((r >> 8) % 16);
            if (k > n - at) k = n - at;
            if (n && n + k <= cap) {
                memmove(buf + at + k, buf + at, n - at);
                *len = n + k;
            }
            break;
        }
        }
    }
}

static int run_file(const char *path, unsigned long mutations, uint64_t seed)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz standalone: cannot open %s\n", path);
        return -1;
    }
    uint8_t *data = malloc(INPUT_MAX + GROW_MAX);
    uint8_t *work = malloc(INPUT_MAX + GROW_MAX);
    size_t len = data ? fread(data, 1, INPUT_MAX, f) : 0;
    bool too_big = data && fgetc(f) != EOF;
    fclose(f);
    if (!data || !work || too_big) {
        fprintf(stderr, "fuzz standalone: %s: %s\n", path,
                too_big ? "larger than 1 MiB" : "out of memory");
        free(data);
        free(work);
        return -1;
    }
    run_one(data, len);
    uint64_t rng = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (unsigned long i = 0; i < mutations; i++) {
        size_t wlen = len;
        memcpy(work, data, len);
        mutate(work, &wlen, len + GROW_MAX, &rng);
        run_one(work, wlen);
    }
    free(data);
    free(work);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file in dir, in name order. Returns the count or -1. */
static long run_dir(const char *dir, unsigned long mutations, uint64_t *seed)
{
    char *names[FILES_MAX];
    size_t n = 0;
    long done = 0;
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fuzz standalone: cannot open directory %s\n", dir);
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(d)) && n < FILES_MAX) {
        if (de->d_name[0] == '.') continue;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *p = malloc(len);
        if (!p) break;
        snprintf(p, len, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            free(p);
            continue;
        }
        names[n++] = p;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (done >= 0 && run_file(names[i], mutations, (*seed)++) == 0)
            done++;
        else
            done = -1;
        free(names[i]);
    }
    return done;
}

int main(int argc, char **argv)
{
    unsigned long mutations = MUTATIONS;
    uint64_t seed = 1, v;
    long files = 0;
    int paths = 0;
    if (getenv("VN_FUZZ_SAVE")) save_path = "crash-standalone.bin";
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "-mutations=", 11) == 0) {
            if (vn_parse_u64(argv[i] + 11, 0, 100000000, &v) != VN_OK) {
                fprintf(stderr, "fuzz standalone: -mutations=N needs a number\n");
                return 2;
            }
            mutations = (unsigned long)v;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [-mutations=N] [FILE|DIR]...\n", argv[0]);
            return 2;
        }
    }
    for (int i = 1; i <= argc; i++) {
        const char *path = i < argc ? argv[i] : NULL;
        if (path && path[0] == '-') continue;
#ifdef VN_FUZZ_CORPUS
        if (!path && paths == 0) path = VN_FUZZ_CORPUS;
#endif
        if (!path) break;
        paths++;
        struct stat st;
        long n;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            n = run_dir(path, mutations, &seed);
        else
            n = run_file(path, mutations, seed++) == 0 ? 1 : -1;
        if (n < 0) return 1;
        files += n;
    }
    if (files == 0) {
        fprintf(stderr, "fuzz standalone: no inputs (give files or a corpus directory)\n");
        return 1;
    }
    printf("fuzz standalone: %ld inputs, %lu mutations each, no findings\n", files, mutations);
    return 0;
}
