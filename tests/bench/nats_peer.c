/* nats_peer: bench_relay's workload against NATS JetStream, for
 * compare.sh. Each pair has a publishing and a subscribing connection; the
 * messages go through one file-backed stream (subjects bench.>), published
 * asynchronously (the server acknowledges once stored) and consumed by one
 * push consumer per pair, acknowledged after each delivery.
 *
 *   nats_peer --url nats://127.0.0.1:PORT [--pairs N] [--messages M] [--size B] [--window W] */
#include "peer.h"

#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>

static void on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    peer_delivered(closure, natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
    natsMsg_Ack(msg, NULL);
    natsMsg_Destroy(msg);
}

static int fail(const char *what, natsStatus s)
{
    fprintf(stderr, "nats_peer: %s: %s\n", what, natsStatus_GetText(s));
    return 1;
}

int main(int argc, char **argv)
{
    peer_run r;
    peer_args(&r, argc, argv, "nats_peer");
    natsConnection **pub = calloc(r.pairs, sizeof *pub), **sub = calloc(r.pairs, sizeof *sub);
    jsCtx **js = calloc(r.pairs, sizeof *js), **jsub = calloc(r.pairs, sizeof *jsub);
    natsSubscription **subs = calloc(r.pairs, sizeof *subs);
    uint8_t *buf = malloc(r.size);
    natsOptions *opts = NULL;
    jsErrCode jerr = 0;
    char subj[64];
    if (!pub || !sub || !js || !jsub || !subs || !buf) return 1;
    natsStatus s = natsOptions_Create(&opts);
    if (s == NATS_OK) s = natsOptions_SetURL(opts, r.url);
    /* One pool of delivery threads instead of one per subscription. */
    if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(opts, true);
    if (s != NATS_OK) return fail("options", s);
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = (int64_t)r.window;
    for (size_t i = 0; i < r.pairs; i++) {
        if ((s = natsConnection_Connect(&pub[i], opts)) ||
            (s = natsConnection_Connect(&sub[i], opts)) ||
            (s = natsConnection_JetStream(&js[i], pub[i], &jo)) ||
            (s = natsConnection_JetStream(&jsub[i], sub[i], NULL)))
            return fail("connect", s);
    }
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[] = {"bench.>"};
    sc.Name = "BENCH";
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    sc.Storage = js_FileStorage;
    if ((s = js_AddStream(NULL, js[0], &sc, NULL, &jerr))) return fail("add stream", s);
    for (size_t i = 0; i < r.pairs; i++) {
        snprintf(subj, sizeof subj, "bench.%zu", i);
        if ((s = js_Subscribe(&subs[i], jsub[i], subj, on_msg, &r, NULL, NULL, &jerr)))
            return fail("subscribe", s);
    }
    for (size_t seq = 0; seq < r.messages; seq++) {
        size_t i = seq % r.pairs;
        peer_wait_window(&r);
        peer_fill(&r, buf, seq);
        snprintf(subj, sizeof subj, "bench.%zu", i);
        if ((s = js_PublishAsync(js[i], subj, buf, (int)r.size, NULL))) return fail("publish", s);
    }
    for (size_t i = 0; i < r.pairs; i++)
        js_PublishAsyncComplete(js[i], NULL);
    if (peer_wait_all(&r, 120)) fprintf(stderr, "nats_peer: not every message arrived\n");
    int rc = peer_report(&r, "nats_peer");
    for (size_t i = 0; i < r.pairs; i++) {
        natsSubscription_Destroy(subs[i]);
        jsCtx_Destroy(js[i]);
        jsCtx_Destroy(jsub[i]);
        natsConnection_Destroy(pub[i]);
        natsConnection_Destroy(sub[i]);
    }
    natsOptions_Destroy(opts);
    nats_Close();
    return rc;
}
