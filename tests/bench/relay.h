/* bench_relay's shared parts: its settings, clients, messages and figures
 * (the struct bench every part works on), split by what they do:
 * relay_server.c starts and stops vangnetd and makes invites, relay_wire.c
 * speaks the wire protocol for the clients (setup, sends, pushes, acks),
 * relay.c runs the phases and reports. */
#ifndef VN_BENCH_RELAY_H
#define VN_BENCH_RELAY_H

#include "vn/account.h"
#include "vn/conn.h"
#include "vn/frame.h"
#include "vn/invite.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <zmq.h>

#define MAGIC            0x564e4231u  /* "VNB1" */
#define HEADER_LEN       20           /* magic, sequence number, send time */
#define CTL_BIT          (1ULL << 63) /* request ids of redeem, subscribe, ack, fetch */
#define ACK_MAX          1024         /* ids per ack, the server's limit */
#define PER_SENDER_MAX   400          /* keeps every pipe well under ZeroMQ's HWM of 1000 */
#define REPLY_MAX        (VN_FRAME_MAX_DEFAULT * 2)
#define STALL_MS         5000 /* no delivery for this long: fetch what the pushes lost */
#define STALLS_MAX       3    /* then give up */
#define SETUP_TIMEOUT_MS 30000
#define INVITE_PARALLEL  8 /* `vangnetd invite` processes at once */
#define LOG_TAIL         8192
#define SERVER_ARGS_MAX  16
#define CLIENTS_MAX      250
#define CASE_CLIENTS     50 /* clients per case (a case holds at most 63 members) */
#define CASES_MAX        ((CLIENTS_MAX + CASE_CLIENTS - 1) / CASE_CLIENTS)
/* The benchmark measures the relay, not the abuse limits: lift the
 * per-pair limit as far as `vangnetd run` allows. */
#define RATE_MAX    "1000000"
#define INBOUND_MAX "1000000000000"

/* Command-line settings. */
typedef struct opts {
    const char *vangnetd; /* path of the server binary */
    const char *tmpdir;   /* where the temporary state directory goes */
    size_t clients;       /* N */
    size_t messages;      /* M, throughput phase */
    size_t latency_msgs;  /* messages of the latency phase */
    size_t size;          /* payload bytes before padding */
    size_t window;        /* messages in flight in the throughput phase */
    size_t rate;          /* open loop: messages offered a second (0: off) */
    size_t duration;      /* open loop: seconds */
    size_t idle;          /* idle connections held through the phases */
    size_t kill9;         /* kill -9 and restarts of the server in the run */
    bool newcomers;       /* time fresh connections' first request during the first phase */
    bool keep;            /* keep the state directory */
    const char *server_args[SERVER_ARGS_MAX]; /* extra arguments of `vangnetd run` */
    size_t nserver_args;
} opts;

/* One benchmark client: a device with its own key pair and connection. */
typedef struct client {
    void *sock;                       /* DEALER under CURVE */
    char account[VN_ACCOUNT_HEX + 1]; /* from the Redeemed reply */
    bool subscribed;                  /* Subscribed reply seen */
    size_t inflight;                  /* own sends not yet pushed to the recipient */
    uint8_t (*ack_ids)[VN_MSGID_LEN]; /* delivered ids waiting for an ack */
    size_t nack;                      /* how many */
    bool refetch;                     /* a fetch came back full: fetch again after the ack */
    uint8_t pub[32], sec[32];         /* its CURVE key pair (a reconnect after a kill needs it) */
} client;

/* What the benchmark knows about one message. */
typedef struct msg {
    int64_t t_send;           /* CLOCK_MONOTONIC ns just before the first send */
    uint8_t id[VN_MSGID_LEN]; /* message id: run prefix + sequence number */
    bool sent;                /* Sent reply received */
    bool delivered;           /* reached the recipient */
    unsigned pushes;          /* pushes of it seen; two in one server run are a duplicate */
    unsigned push_epoch;      /* the server run (epoch) of the last push */
    int64_t retry_at;         /* resend due at (ns) after a rate-limit refusal; 0 if none */
} msg;

/* Figures of one phase. */
typedef struct phase_result {
    size_t count;                /* messages delivered */
    int64_t wall_ns;             /* first send to last delivery */
    int64_t p50, p99, p999, max; /* send-to-push latency, ns */
    int64_t server_cpu_ns;       /* the server's user and system time in the phase */
} phase_result;

typedef struct bench {
    opts o;
    char dir[4096];                   /* temporary directory */
    char state[4096];                 /* state directory inside it */
    char store_key[4096];             /* the store key, beside the state directory */
    char log[4096];                   /* the server's stderr */
    pid_t server;                     /* vangnetd run, or 0 */
    void *zctx;                       /* one ZeroMQ context for all clients */
    client *cl;                       /* N ring clients, then the casemanager at index N */
    size_t ncl;                       /* N + 1 */
    zmq_pollitem_t *items;            /* one per client */
    char case_id[VN_ACCOUNT_HEX + 1]; /* the case last created */
    char case_ids[CASES_MAX][VN_ACCOUNT_HEX + 1]; /* the cases the ring clients are buddies in */
    uint8_t server_key[32];
    char endpoint[VN_ENDPOINT_MAX + 1];
    msg *msgs; /* every message of both phases */
    size_t nmsgs;
    uint8_t run_id[8];  /* random prefix of message ids */
    size_t padded_len;  /* size of a padded body */
    uint64_t next_ctl;  /* next control request id */
    size_t ctl_pending; /* control requests without a reply */
    int64_t *lat;       /* latencies of the current phase */
    size_t nlat;
    size_t phase_delivered; /* deliveries in the current phase */
    int64_t last_delivery;  /* time of the latest delivery */
    size_t delivered_total; /* all deliveries */
    size_t via_fetch;       /* deliveries whose push was lost */
    size_t duplicates;      /* pushes of an already delivered message */
    size_t bad;             /* corrupt, misrouted or foreign envelopes */
    size_t acked;           /* sum of Acked counts */
    size_t retries;         /* sends refused with RATE and resent */
    size_t pending_retries; /* of those, not yet resent */
    bool final_check;       /* fetch replies now count as leftovers */
    size_t leftover;        /* envelopes still stored at the end */
    bool failed;            /* a fatal error was reported */
    /* --kill9: the server is killed and restarted on the same store. */
    unsigned epoch;     /* server runs so far, less one */
    uint64_t ctl_floor; /* control ids below this were sent to a killed server */
    size_t redelivered; /* pushed again by a later server run (its ack was lost) */
    size_t resent;      /* sends resent because a killed server never confirmed them */
    int64_t restart_ns; /* time spent killing and restarting, all runs */
} bench;

/* relay_server.c */

/* Reports a failure on stderr and marks the run failed. */
void relay_fail(bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `vangnetd init`, then relay_run_server on a free loopback port. */
int relay_start_server(bench *b);
/* Runs `vangnetd run` on listen (after a kill -9: the same endpoint) with
 * the abuse limits lifted, and waits for its endpoint file. */
int relay_run_server(bench *b, const char *listen);
/* SIGTERM, and SIGKILL after 10 s. */
void relay_stop_server(bench *b);
/* The last few KiB of the server's log, on stderr. */
void relay_print_log_tail(const bench *b);
/* Creates count invites for role (into case_id if not NULL). */
int relay_make_invites(bench *b, vn_invite *inv, size_t count, const char *role,
                       const char *case_id);

/* relay_wire.c */

/* The sender and the recipient of message seq, and the number of cases. */
size_t relay_sender_of(const bench *b, size_t seq);
size_t relay_recipient_of(const bench *b, size_t seq);
size_t relay_ncases(const bench *b);
/* Sends message seq (again, after a refusal: same id, same bytes). */
int relay_send_msg(bench *b, size_t seq);
/* A control request (redeem, subscribe, ack, fetch) on client ci. */
int relay_send_ctl(bench *b, size_t ci, Vn__Request *req);
/* Asks for what waits in client ci's mailbox. */
int relay_fetch_one(bench *b, size_t ci);
/* Waits up to timeout_ms for traffic, handles it, then acks what arrived. */
void relay_pump(bench *b, int timeout_ms);
/* The same, until CLOCK_MONOTONIC due_ns at the latest, to a microsecond
 * rather than a millisecond, without spinning. */
void relay_pump_until(bench *b, int64_t due_ns);
/* Pumps until no control request is waiting for its reply. */
int relay_await_ctl(bench *b, const char *what);
/* Connects client i with its key pair to the server. */
int relay_connect_client(bench *b, size_t i);
/* Joins the casemanager and the ring clients, opens the cases, subscribes. */
int relay_join_all(bench *b);

#endif
