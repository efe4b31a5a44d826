/* vn_opreplay: what someone on the NATS network can do with an operator's
 * write in a cluster (server/cluster_op.c), for the cluster_op_*.sh tests.
 *
 *   vn_opreplay record URLS OUT N      listens on the operators' subjects
 *       (vn.op.*, as anyone on the NATS account may), prints "ready" once
 *       it does, and saves the next N requests as OUT.1 .. OUT.N; exits 0
 *       when all came, 1 after 60 s.
 *   vn_opreplay send URLS FILE         sends a saved request again, to its
 *       subject with its reply inbox (the MAC covers both), listens on that
 *       inbox and prints the writer's answer: "answer: appended at SEQ" or
 *       "answer: refused: TEXT"; exit 0 when an answer came, 1 when none did
 *       within 5 s ("no answer", or "no writer").
 *   vn_opreplay resign KEYFILE FILE OUT OFFSET_MS   a copy of a saved
 *       request with a new nonce and the time now + OFFSET_MS, its MAC made
 *       under the store key in KEYFILE (as `vangnetd init` writes it) on the
 *       same subject and inbox; the write-set is left as it was.
 *
 * A saved request: one line "SUBJECT REPLY LENGTH", then the bytes. The
 * answer's MAC is not checked (the tool has no key when it sends). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>
#include <sodium.h>

#include "cluster_opreq.h"
#include "vn/be.h"
#include "vn/hex.h"

#define NAME_MAX_LEN 256
#define BODY_MAX     (1 << 20)

typedef struct saved {
    char subject[NAME_MAX_LEN], reply[NAME_MAX_LEN];
    uint8_t *data;
    size_t len;
} saved;

static int usage(void)
{
    fprintf(stderr, "usage: vn_opreplay record URLS OUT N | send URLS FILE | "
                    "resign KEYFILE FILE OUT OFFSET_MS\n");
    return 2;
}

static int save(const char *path, const char *subject, const char *reply, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int rc = fprintf(f, "%s %s %zu\n", subject, reply, n) > 0 && fwrite(d, 1, n, f) == n ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

static int load(const char *path, saved *s)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    int rc = -1;
    if (fscanf(f, "%255s %255s %zu", s->subject, s->reply, &s->len) == 3 && fgetc(f) == '\n' &&
        s->len <= BODY_MAX && (s->data = malloc(s->len + 1)) &&
        fread(s->data, 1, s->len, f) == s->len)
        rc = 0;
    fclose(f);
    return rc;
}

static natsConnection *connect_to(const char *urls)
{
    natsOptions *o = NULL;
    natsConnection *nc = NULL;
    if (natsOptions_Create(&o) != NATS_OK) return NULL;
    char *copy = strdup(urls), *list[16];
    int n = 0;
    for (char *p = strtok(copy, ","); p && n < 16; p = strtok(NULL, ","))
        list[n++] = p;
    natsStatus s = natsOptions_SetServers(o, (const char **)list, n);
    if (s == NATS_OK) s = natsConnection_Connect(&nc, o);
    if (s != NATS_OK) fprintf(stderr, "vn_opreplay: cannot connect: %s\n", natsStatus_GetText(s));
    natsOptions_Destroy(o);
    free(copy);
    return s == NATS_OK ? nc : NULL;
}

static int record(const char *urls, const char *out, int want)
{
    natsConnection *nc = connect_to(urls);
    natsSubscription *sub = NULL;
    int got = 0;
    if (!nc || natsConnection_SubscribeSync(&sub, nc, "vn.op.*") != NATS_OK ||
        natsConnection_Flush(nc) != NATS_OK)
        return 1;
    printf("ready\n");
    fflush(stdout);
    int64_t until = nats_Now() + 60000;
    while (got < want && nats_Now() < until) {
        natsMsg *m = NULL;
        if (natsSubscription_NextMsg(&m, sub, until - nats_Now()) != NATS_OK) break;
        const char *reply = natsMsg_GetReply(m);
        char path[4096];
        snprintf(path, sizeof path, "%s.%d", out, got + 1);
        if (reply && save(path, natsMsg_GetSubject(m), reply, natsMsg_GetData(m),
                          (size_t)natsMsg_GetDataLength(m)) == 0) {
            got++;
            printf("recorded %s (%d bytes)\n", path, natsMsg_GetDataLength(m));
            fflush(stdout);
        }
        natsMsg_Destroy(m);
    }
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    return got == want ? 0 : 1;
}

static int send_saved(const char *urls, const char *file)
{
    saved s = {0};
    natsConnection *nc = NULL;
    natsSubscription *sub = NULL;
    natsMsg *m = NULL;
    int rc = 1;
    if (load(file, &s) != 0) {
        fprintf(stderr, "vn_opreplay: cannot read a saved request from %s\n", file);
        return 1;
    }
    if (!(nc = connect_to(urls)) || natsConnection_SubscribeSync(&sub, nc, s.reply) != NATS_OK ||
        natsConnection_PublishRequest(nc, s.subject, s.reply, s.data, (int)s.len) != NATS_OK)
        goto out;
    natsStatus st = natsSubscription_NextMsg(&m, sub, 5000);
    if (st == NATS_NO_RESPONDERS || (st == NATS_OK && natsMsg_IsNoResponders(m))) {
        printf("no writer\n");
        goto out;
    }
    if (st != NATS_OK) {
        printf("no answer\n");
        goto out;
    }
    const uint8_t *d = (const uint8_t *)natsMsg_GetData(m);
    int n = natsMsg_GetDataLength(m);
    if (n < VN_OPREQ_ANS_HEAD || d[0] != VN_OPREQ_VERSION)
        printf("answer: not one of a writer (%d bytes)\n", n);
    else if (d[1] == VN_OPREQ_OK)
        printf("answer: appended at %llu\n", (unsigned long long)vn_be_get64(d + 2));
    else
        printf("answer: refused: %.*s\n", n - VN_OPREQ_ANS_HEAD,
               (const char *)d + VN_OPREQ_ANS_HEAD);
    rc = 0;
out:
    natsMsg_Destroy(m);
    natsSubscription_Destroy(sub);
    natsConnection_Destroy(nc);
    free(s.data);
    return rc;
}

static int resign(const char *keyfile, const char *file, const char *out, const char *offset)
{
    saved s = {0};
    char hex[80] = {0};
    uint8_t key[32], nonce[VN_OPREQ_NONCE_LEN];
    vn_opreq_keys k;
    struct timespec ts;
    FILE *f = fopen(keyfile, "r");
    bool ok = f && fgets(hex, sizeof hex, f) != NULL;
    if (f) fclose(f);
    hex[strcspn(hex, "\n")] = '\0';
    if (!ok || vn_hex_decode(hex, key, sizeof key) != VN_OK) {
        fprintf(stderr, "vn_opreplay: cannot read a store key from %s\n", keyfile);
        return 1;
    }
    if (load(file, &s) != 0 || s.len <= VN_OPREQ_HEAD) {
        fprintf(stderr, "vn_opreplay: cannot read a saved request from %s\n", file);
        return 1;
    }
    vn_opreq_keys_derive(key, &k);
    randombytes_buf(nonce, sizeof nonce);
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    uint64_t t = now + (uint64_t)strtoll(offset, NULL, 10);
    vn_opreq_seal(&k, s.subject, s.reply, t, nonce, s.data + VN_OPREQ_HEAD, s.len - VN_OPREQ_HEAD,
                  s.data);
    int rc = save(out, s.subject, s.reply, s.data, s.len);
    sodium_memzero(key, sizeof key);
    sodium_memzero(&k, sizeof k);
    free(s.data);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0) return 1;
    if (argc == 5 && strcmp(argv[1], "record") == 0) return record(argv[2], argv[3], atoi(argv[4]));
    if (argc == 4 && strcmp(argv[1], "send") == 0) return send_saved(argv[2], argv[3]);
    if (argc == 6 && strcmp(argv[1], "resign") == 0)
        return resign(argv[2], argv[3], argv[4], argv[5]);
    return usage();
}
