/* mosq_peer: bench_relay's workload against Mosquitto, for compare.sh.
 * Each pair has a publishing and a subscribing client; messages go at QoS
 * 1 (the broker acknowledges each publish, and delivers with an
 * acknowledgement) to the pair's topic bench/i, from persistent sessions
 * (clean session off).
 *
 *   mosq_peer --url HOST:PORT [--pairs N] [--messages M] [--size B] [--window W] */
#include "peer.h"

#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct sub_ctx {
    peer_run *r;
    const char *topic;
    int subscribed;
    pthread_mutex_t mu;
} sub_ctx;

static void on_message(struct mosquitto *m, void *ud, const struct mosquitto_message *msg)
{
    sub_ctx *c = ud;
    peer_delivered(c->r, msg->payload, (size_t)msg->payloadlen);
}

static void on_subscribe(struct mosquitto *m, void *ud, int mid, int n, const int *qos)
{
    sub_ctx *c = ud;
    pthread_mutex_lock(&c->mu);
    c->subscribed = 1;
    pthread_mutex_unlock(&c->mu);
}

static struct mosquitto *client(const char *id, const char *host, int port, void *ud)
{
    struct mosquitto *m = mosquitto_new(id, false, ud);
    if (!m) return NULL;
    mosquitto_max_inflight_messages_set(m, 0); /* the window is the benchmark's */
    if (mosquitto_connect(m, host, port, 60) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(m) != MOSQ_ERR_SUCCESS) {
        mosquitto_destroy(m);
        return NULL;
    }
    return m;
}

int main(int argc, char **argv)
{
    peer_run r;
    char host[256], id[64], topic[64];
    int port;
    peer_args(&r, argc, argv, "mosq_peer");
    if (sscanf(r.url, "%255[^:]:%d", host, &port) != 2) {
        fprintf(stderr, "mosq_peer: --url must be HOST:PORT\n");
        return 2;
    }
    mosquitto_lib_init();
    struct mosquitto **pub = calloc(r.pairs, sizeof *pub), **sub = calloc(r.pairs, sizeof *sub);
    sub_ctx *ctx = calloc(r.pairs, sizeof *ctx);
    char **topics = calloc(r.pairs, sizeof *topics);
    uint8_t *buf = malloc(r.size);
    if (!pub || !sub || !ctx || !topics || !buf) return 1;
    for (size_t i = 0; i < r.pairs; i++) {
        snprintf(topic, sizeof topic, "bench/%zu", i);
        topics[i] = strdup(topic);
        ctx[i] = (sub_ctx){.r = &r, .topic = topics[i]};
        pthread_mutex_init(&ctx[i].mu, NULL);
        snprintf(id, sizeof id, "bench-sub-%zu-%d", i, (int)getpid());
        sub[i] = client(id, host, port, &ctx[i]);
        snprintf(id, sizeof id, "bench-pub-%zu-%d", i, (int)getpid());
        pub[i] = client(id, host, port, NULL);
        if (!sub[i] || !pub[i]) {
            fprintf(stderr, "mosq_peer: cannot connect to %s:%d\n", host, port);
            return 1;
        }
        mosquitto_message_callback_set(sub[i], on_message);
        mosquitto_subscribe_callback_set(sub[i], on_subscribe);
        mosquitto_subscribe(sub[i], NULL, topics[i], 1);
    }
    for (size_t i = 0; i < r.pairs; i++) { /* every subscription in place */
        for (int k = 0; k < 10000; k++) {
            pthread_mutex_lock(&ctx[i].mu);
            int done = ctx[i].subscribed;
            pthread_mutex_unlock(&ctx[i].mu);
            if (done) break;
            usleep(1000);
        }
    }
    for (size_t seq = 0; seq < r.messages; seq++) {
        size_t i = seq % r.pairs;
        peer_wait_window(&r);
        peer_fill(&r, buf, seq);
        int rc = mosquitto_publish(pub[i], NULL, topics[i], (int)r.size, buf, 1, false);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "mosq_peer: publish: %s\n", mosquitto_strerror(rc));
            return 1;
        }
    }
    if (peer_wait_all(&r, 120)) fprintf(stderr, "mosq_peer: not every message arrived\n");
    int rc = peer_report(&r, "mosq_peer");
    for (size_t i = 0; i < r.pairs; i++) {
        mosquitto_disconnect(pub[i]);
        mosquitto_disconnect(sub[i]);
        mosquitto_loop_stop(pub[i], true);
        mosquitto_loop_stop(sub[i], true);
        mosquitto_destroy(pub[i]);
        mosquitto_destroy(sub[i]);
        free(topics[i]);
    }
    mosquitto_lib_cleanup();
    return rc;
}
