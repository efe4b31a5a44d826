/* inbox: fetch, decrypt, store and acknowledge. A message is durable in
 * the receiver's history before the server may delete it. */
#include "client.h"

#include "vn/frame.h"
#include "vn/pad.h"
#include "vn/signals.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The messages an inbox run received, for printing at the end. */
typedef struct received {
    char id[VN_MSGID_LEN * 2 + 1];
    char from[VN_ACCOUNT_HEX + 1];
    char case_id[VN_ACCOUNT_HEX + 1]; /* "" for a 1:1 message */
    uint64_t time_ms;
    char *text;
} received;

typedef struct inbox_run {
    vn_client *c;
    received *items; /* what was received */
    size_t n, cap;
    size_t held; /* messages left on the server (untrusted sender) */
    ProtobufCBinaryData acks[VN_FETCH_MAX * 2];
    size_t nacks;
    uint8_t ackbuf[VN_FETCH_MAX * 2][VN_MSGID_LEN];
    bool follow_print; /* print as messages arrive */
} inbox_run;

static void print_item(vn_client *c, const received *r, bool first)
{
    char when[32], name[128];
    const char *label = vn_client_name_of(c, r->from, name, sizeof name);
    vn_iso_time(r->time_ms, when, sizeof when);
    if (c->json) {
        printf("%s{\"id\": \"%s\", \"from\": \"%s\", ", first ? "" : ",\n ", r->id, r->from);
        if (label) {
            fputs("\"from_name\": ", stdout);
            vn_json_str(stdout, label);
            fputs(", ", stdout);
        }
        if (r->case_id[0]) printf("\"case\": \"%s\", ", r->case_id);
        printf("\"time\": \"%s\", \"text\": ", when);
        vn_json_str(stdout, r->text);
        fputs("}", stdout);
    } else {
        if (r->case_id[0])
            printf("[%s] [team %.8s] %s: %s\n", when, r->case_id, label ? label : r->from, r->text);
        else
            printf("[%s] %s: %s\n", when, label ? label : r->from, r->text);
    }
    fflush(stdout);
}

/* Adds a received item to the run's list (text is taken over). */
static vn_err add_item(inbox_run *run, const Vn__Envelope *e, const char *from, char *text)
{
    if (run->n == run->cap) {
        size_t cap = run->cap ? run->cap * 2 : 64;
        received *items = realloc(run->items, cap * sizeof *items);
        if (!items) {
            free(text);
            return VN_ENOMEM;
        }
        run->items = items;
        run->cap = cap;
    }
    received *r = &run->items[run->n++];
    vn_hex_encode(e->id.data, VN_MSGID_LEN, r->id);
    snprintf(r->from, sizeof r->from, "%s", from);
    bool team = e->case_id && e->case_id[0];
    snprintf(r->case_id, sizeof r->case_id, "%s", team ? e->case_id : "");
    r->time_ms = e->time_ms;
    r->text = text;
    if (run->follow_print) print_item(run->c, r, run->n == 1);
    return VN_OK;
}

static void queue_ack(inbox_run *run, const Vn__Envelope *e)
{
    memcpy(run->ackbuf[run->nacks], e->id.data, VN_MSGID_LEN);
    run->acks[run->nacks] = (ProtobufCBinaryData){VN_MSGID_LEN, run->ackbuf[run->nacks]};
    run->nacks++;
}

/* A notice from the server itself (reminder, overdue item, contract). */
static vn_err take_notice(inbox_run *run, const Vn__Envelope *e)
{
    const Vn__Notice *n = e->notice;
    char text[256];
    if (run->nacks == sizeof run->acks / sizeof run->acks[0]) return VN_ETOOBIG;
    if (!vn_kv_has(run->c->kv, CDB_SEEN, e->id.data, VN_MSGID_LEN)) {
        if (strcmp(n->kind, "contract-set") == 0 || strcmp(n->kind, "contract-signed") == 0)
            snprintf(text, sizeof text,
                     "[notice] %s: version %u of the contract of case %.8s "
                     "(from %s)%s",
                     n->kind, n->version, n->case_id, n->date,
                     n->kind[9] == 's' && n->kind[10] == 'e' ? "; read and sign it: vangnet "
                                                               "contract show / sign"
                                                             : "");
        else if (n->alert && n->alert[0])
            snprintf(text, sizeof text, "[notice] %s: %s %s alert %s (case %.8s)%s%s", n->kind,
                     n->severity, n->item, n->alert, n->case_id,
                     n->by && n->by[0] ? ", claimed by " : "", n->by ? n->by : "");
        else
            snprintf(text, sizeof text, "[notice] %s: %s %s (case %.8s)", n->kind, n->item, n->date,
                     n->case_id);
        vn_err err = vn_kv_put(run->c->kv, CDB_SEEN, e->id.data, VN_MSGID_LEN, "", 0);
        if (err) return err;
        char *t = strdup(text);
        if (!t) return VN_ENOMEM;
        if ((err = add_item(run, e, "server", t))) return err;
    }
    queue_ack(run, e);
    return VN_OK;
}

/* Records one envelope: decrypt, store durably with its id, queue the ack. */
static vn_err take_envelope(inbox_run *run, const Vn__Envelope *e)
{
    vn_client *c = run->c;
    const uint8_t *payload;
    size_t plen, ptlen;
    uint8_t *pt = NULL, k[8];
    vn_err err;
    bool team = e->case_id && e->case_id[0];
    if (e->notice && e->id.len == VN_MSGID_LEN) return take_notice(run, e);
    if (e->id.len != VN_MSGID_LEN || !vn_account_valid(e->from) ||
        (team && !vn_account_valid(e->case_id)))
        return VN_EPROTO;
    if (run->nacks == sizeof run->acks / sizeof run->acks[0]) return VN_ETOOBIG;
    bool seen = vn_kv_has(c->kv, CDB_SEEN, e->id.data, VN_MSGID_LEN);
    if (!seen) {
        if ((err = vn_pad_decode(e->body.data, e->body.len, &payload, &plen))) goto undecryptable;
        if ((err = vn_kv_begin(c->kv))) return err;
        if (team)
            err = vn_e2ee_group_decrypt(c->e2ee, e->case_id, e->from, payload, plen, &pt, &ptlen);
        else
            err = vn_e2ee_decrypt(c->e2ee, e->from, e->prekey_msg, payload, plen, &pt, &ptlen);
        if (err == VN_EUNTRUSTED) {
            /* Leave it on the server until the user verifies the new key;
             * keep the new key as pending, so `verify` can show it. */
            if ((err = vn_kv_commit(c->kv))) return err;
            fprintf(stderr,
                    "vangnet: a message from %s is held: their identity key changed. Run "
                    "`vangnet verify %s` and compare safety numbers\n",
                    e->from, e->from);
            run->held++;
            return VN_OK;
        }
        if (err) {
            vn_kv_abort(c->kv);
            goto undecryptable;
        }
        Vn__Content *content = vn__content__unpack(NULL, ptlen, pt);
        explicit_bzero(pt, ptlen);
        free(pt);
        if (!content) {
            vn_kv_abort(c->kv);
            err = VN_EPROTO;
            goto undecryptable;
        }
        if (!team && content->sender_key.len > 0) {
            /* A team member's sender key, for their team messages to come. */
            err = vn_account_valid(content->sender_key_case)
                      ? vn_e2ee_group_process(c->e2ee, content->sender_key_case, e->from,
                                              content->sender_key.data, content->sender_key.len)
                      : VN_EPROTO;
            vn__content__free_unpacked(content, NULL);
            if (!err) err = vn_kv_put(c->kv, CDB_SEEN, e->id.data, VN_MSGID_LEN, "", 0);
            if (!err)
                err = vn_kv_commit(c->kv);
            else if (vn_kv_in_txn(c->kv))
                vn_kv_abort(c->kv);
            if (err) goto undecryptable;
            goto ack;
        }
        if (!team && content->signal) {
            /* A signal report or an SOS: shown, and kept like a message. */
            const Vn__SignalReport *sr = content->signal;
            char line[1400];
            size_t o = 0;
            bool sos = sr->kind && strcmp(sr->kind, "sos") == 0;
            o += (size_t)snprintf(line + o, sizeof line - o, sos ? "[SOS] %s" : "[signal %s]",
                                  sos ? (sr->note ? sr->note : "") : sr->severity);
            for (size_t i = 0; !sos && i < sr->n_codes && o < sizeof line - 200; i++) {
                const vn_signal *sg = vn_signals_find(sr->codes[i]);
                o += (size_t)snprintf(line + o, sizeof line - o, " %s (%s)", sr->codes[i],
                                      sg ? sg->en : "unknown");
            }
            if (!sos && sr->note && sr->note[0] && o < sizeof line - 20)
                o += (size_t)snprintf(line + o, sizeof line - o, " - %.600s", sr->note);
            if (o < sizeof line - 80)
                snprintf(line + o, sizeof line - o,
                         sos ? " -- take it: vangnet claim %s" : " -- vangnet ack %s", sr->alert);
            vn__content__free_unpacked(content, NULL);
            content = NULL;
            err = vn_kv_put(c->kv, CDB_SEEN, e->id.data, VN_MSGID_LEN, "", 0);
            if (!err)
                err = vn_kv_commit(c->kv);
            else if (vn_kv_in_txn(c->kv))
                vn_kv_abort(c->kv);
            if (err) return err;
            char *t = strdup(line);
            if (!t) return VN_ENOMEM;
            if ((err = add_item(run, e, e->from, t))) return err;
            goto ack;
        }
        if (!team && content->record) {
            /* A record's outcome from the casemanager: kept for reports and
             * shown as a line of text. */
            const Vn__RecordNote *rn = content->record;
            err = vn_client_keep_record(c, rn, e->id.data);
            char line[600];
            snprintf(line, sizeof line, "[record] %s %s: %s%s%s%s", rn->kind, rn->date, rn->result,
                     rn->confirmed ? " (confirmed)" : "", rn->note && rn->note[0] ? " - " : "",
                     rn->note ? rn->note : "");
            vn__content__free_unpacked(content, NULL);
            content = NULL;
            if (!err) err = vn_kv_put(c->kv, CDB_SEEN, e->id.data, VN_MSGID_LEN, "", 0);
            if (!err)
                err = vn_kv_commit(c->kv);
            else if (vn_kv_in_txn(c->kv))
                vn_kv_abort(c->kv);
            if (err) return err;
            char *t = strdup(line);
            if (!t) return VN_ENOMEM;
            if ((err = add_item(run, e, e->from, t))) return err;
            goto ack;
        }
        char *text = strdup(content->text ? content->text : "");
        vn__content__free_unpacked(content, NULL);
        if (!text) {
            vn_kv_abort(c->kv);
            return VN_ENOMEM;
        }
        /* History and the seen mark commit with the ratchet state. */
        Vn__Envelope h = VN__ENVELOPE__INIT;
        h.id = e->id;
        h.from = e->from;
        h.case_id = team ? e->case_id : "";
        h.time_ms = e->time_ms;
        h.body = (ProtobufCBinaryData){strlen(text), (uint8_t *)text};
        size_t hl = vn__envelope__get_packed_size(&h);
        uint8_t *hb = malloc(hl);
        if (!hb) {
            free(text);
            vn_kv_abort(c->kv);
            return VN_ENOMEM;
        }
        vn__envelope__pack(&h, hb);
        vn_put_be64(k, vn_client_next_seq(c, CDB_HISTORY));
        err = vn_kv_put(c->kv, CDB_HISTORY, k, sizeof k, hb, hl);
        free(hb);
        if (!err) err = vn_kv_put(c->kv, CDB_SEEN, e->id.data, VN_MSGID_LEN, "", 0);
        if (!err) err = vn_kv_commit(c->kv);
        if (err) {
            free(text);
            return err;
        }
        if ((err = add_item(run, e, e->from, text))) return err;
    }
    goto ack;
undecryptable:
    /* It can never be read; say so rather than keep it forever. */
    fprintf(stderr, "vangnet: a message from %s could not be decrypted (%s) and was dropped\n",
            e->from, vn_err_str(err));
ack:
    queue_ack(run, e);
    return VN_OK;
}

static vn_err send_acks(inbox_run *run)
{
    Vn__Reply *rep = NULL;
    if (run->nacks == 0) return VN_OK;
    Vn__Ack ack = VN__ACK__INIT;
    ack.n_ids = run->nacks;
    ack.ids = run->acks;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_ACK;
    req.ack = &ack;
    vn_err err = vn_conn_call(run->c->conn, &req, &rep);
    vn_frame_reply_free(rep);
    if (!err) run->nacks = 0;
    return err;
}

static vn_err take_envelopes(inbox_run *run, const Vn__Envelopes *envs)
{
    for (size_t i = 0; i < envs->n_envelopes; i++) {
        vn_err err = take_envelope(run, envs->envelopes[i]);
        if (err) return err;
    }
    return send_acks(run);
}

/* Fetches until the mailbox is empty (or only held messages remain). */
static vn_err drain(inbox_run *run)
{
    for (;;) {
        Vn__Reply *rep = NULL;
        Vn__Fetch f = VN__FETCH__INIT;
        f.max = VN_FETCH_MAX;
        Vn__Request req = VN__REQUEST__INIT;
        req.body_case = VN__REQUEST__BODY_FETCH;
        req.fetch = &f;
        size_t held_before = run->held;
        vn_err err = vn_conn_call(run->c->conn, &req, &rep);
        if (err) return err;
        if (rep->body_case != VN__REPLY__BODY_ENVELOPES) {
            vn_frame_reply_free(rep);
            return VN_EPROTO;
        }
        err = take_envelopes(run, rep->envelopes);
        bool more = rep->envelopes->more;
        size_t got = rep->envelopes->n_envelopes;
        vn_frame_reply_free(rep);
        if (err) return err;
        /* Held messages stay on the server; stop when a batch was all held. */
        if (!more || got == run->held - held_before) return VN_OK;
    }
}

int vn_cmd_inbox(vn_client *c, int argc, char **argv)
{
    inbox_run run = {.c = c};
    bool follow = false;
    uint64_t count = 0, wait_s = 0;
    int rc = EXIT_OK;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--follow") == 0)
            follow = true;
        else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc &&
                 vn_parse_u64(argv[i + 1], 1, 10000000, &count) == VN_OK)
            i++;
        else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc &&
                 vn_parse_u64(argv[i + 1], 1, 86400, &wait_s) == VN_OK)
            i++;
        else
            return vn_client_fail(c, VN_EINVAL,
                                  "usage: vangnet inbox [--follow] [--count N] [--wait SECONDS]");
    }
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    vn_err err = vn_client_connect(c);
    if (err) return vn_client_fail(c, err, "cannot connect: %s", vn_err_str(err));
    vn_flushed fl;
    if ((err = vn_outbox_send(c, &fl))) return vn_client_fail_call(c, err, "cannot send outbox");
    vn_outbox_report_refused(c, &fl);
    if ((err = vn_client_maintain_keys(c)))
        return vn_client_fail_call(c, err, "cannot refresh keys");
    run.follow_print = follow && !c->json;
    if (c->json) fputs("[", stdout);
    if (follow) {
        Vn__Reply *rep = NULL;
        Vn__Request req = VN__REQUEST__INIT;
        Vn__Subscribe sub = VN__SUBSCRIBE__INIT;
        req.body_case = VN__REQUEST__BODY_SUBSCRIBE;
        req.subscribe = &sub;
        if ((err = vn_conn_call(c->conn, &req, &rep))) goto done;
        vn_frame_reply_free(rep);
    }
    if ((err = drain(&run))) goto done;
    if (follow) {
        /* Wait for pushes until enough arrived or the wait ends. */
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int64_t limit = wait_s ? (int64_t)wait_s * 1000 : INT32_MAX;
        while (!count || run.n < count) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            int64_t spent = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
            if (spent >= limit) break;
            Vn__Reply *rep = NULL;
            int64_t left = limit - spent;
            err = vn_conn_next_push(c->conn, (int)(left < 1000 ? left : 1000), &rep);
            if (err == VN_ETIMEOUT) {
                err = VN_OK;
                continue;
            }
            if (err) goto done;
            err = take_envelopes(&run, rep->envelopes);
            vn_frame_reply_free(rep);
            if (err) goto done;
        }
    }
done:
    if (c->json) {
        for (size_t i = 0; i < run.n; i++)
            print_item(c, &run.items[i], i == 0);
        fputs("]\n", stdout);
    } else if (!follow) {
        for (size_t i = 0; i < run.n; i++)
            print_item(c, &run.items[i], i == 0);
        if (run.n == 0 && !run.held) printf("no new messages\n");
    }
    if (err)
        rc = vn_client_fail_call(c, err, "inbox stopped early (what was shown is saved)");
    else if (follow && count && run.n < count)
        rc = vn_client_fail(c, VN_ETIMEOUT, "received %zu of %llu messages before the wait ended",
                            run.n, (unsigned long long)count);
    for (size_t i = 0; i < run.n; i++)
        free(run.items[i].text);
    free(run.items);
    return rc;
}
