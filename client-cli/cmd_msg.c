/* send and inbox: the message path. A message is durable in the sender's
 * outbox before it is sent, resent until the server acknowledges it, and
 * durable in the receiver's history before the server may delete it. */
#include "client.h"

#include "vn/frame.h"
#include "vn/pad.h"
#include "vn/signals.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_MAX 16384 /* longest message text, in bytes */

static uint64_t next_seq(vn_client *c, int db)
{
    uint64_t seq = 0;
    uint8_t b[8];
    size_t n;
    char key[16];
    snprintf(key, sizeof key, "seq_%d", db);
    if (vn_client_cfg_get(c, key, b, sizeof b, &n) == VN_OK && n == 8) seq = vn_get_be64(b);
    vn_put_be64(b, ++seq);
    vn_client_cfg_put(c, key, b, 8);
    return seq;
}

/* Encrypts content for peer (1:1) or for the care team of case_id (sender
 * key), and queues the Send in the outbox, all in one transaction with the
 * ratchet step, so a crash can neither lose the message nor reuse a key. */
static vn_err queue_content(vn_client *c, const char *peer, const char *case_id,
                            const Vn__Content *content)
{
    uint8_t *pt = NULL, *ct = NULL, *padded = NULL, *packed = NULL, id[VN_MSGID_LEN], k[8];
    size_t ptlen, ctlen, padlen, plen;
    bool prekey_msg = false;
    ptlen = vn__content__get_packed_size(content);
    pt = malloc(ptlen ? ptlen : 1);
    if (!pt) return VN_ENOMEM;
    vn__content__pack(content, pt);
    vn_err err = vn_random(id, sizeof id);
    if (err) goto out;
    if ((err = vn_kv_begin(c->kv))) goto out;
    if (case_id)
        err = vn_e2ee_group_encrypt(c->e2ee, case_id, pt, ptlen, &ct, &ctlen);
    else
        err = vn_e2ee_encrypt(c->e2ee, peer, pt, ptlen, &ct, &ctlen, &prekey_msg);
    if (err) goto out_abort;
    if ((err = vn_pad_encode(ct, ctlen, &padded, &padlen))) goto out_abort;
    Vn__Send s = VN__SEND__INIT;
    s.to = case_id ? (char *)"" : (char *)peer;
    s.case_id = case_id ? (char *)case_id : (char *)"";
    s.id = (ProtobufCBinaryData){sizeof id, id};
    s.prekey_msg = prekey_msg;
    s.body = (ProtobufCBinaryData){padlen, padded};
    plen = vn__send__get_packed_size(&s);
    if (!(packed = malloc(plen))) {
        err = VN_ENOMEM;
        goto out_abort;
    }
    vn__send__pack(&s, packed);
    vn_put_be64(k, next_seq(c, CDB_OUTBOX));
    if ((err = vn_kv_put(c->kv, CDB_OUTBOX, k, sizeof k, packed, plen))) goto out;
    err = vn_kv_commit(c->kv);
    goto out;
out_abort:
    vn_kv_abort(c->kv);
out:
    if (pt) explicit_bzero(pt, ptlen);
    free(pt);
    free(ct);
    free(padded);
    free(packed);
    return err;
}

static vn_err queue_message(vn_client *c, const char *peer, const char *case_id, const char *text)
{
    Vn__Content content = VN__CONTENT__INIT;
    content.text = (char *)text;
    content.sent_ms = vn_now_ms();
    return queue_content(c, peer, case_id, &content);
}

struct outbox_item {
    uint8_t key[8]; /* outbox key */
    uint8_t *val;   /* packed Send */
    size_t len;
    bool found;
};

static vn_err first_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct outbox_item *it = ud;
    if (kl != 8 || !(it->val = malloc(vl ? vl : 1))) return VN_ENOMEM;
    memcpy(it->key, k, 8);
    memcpy(it->val, v, vl);
    it->len = vl;
    it->found = true;
    *stop = true;
    return VN_OK;
}

/* A rate-limit refusal says when to retry: wait that long if it fits in
 * the time this whole command may spend waiting (--timeout), else give up. */
static bool wait_for_rate(vn_client *c)
{
    uint64_t retry = 0;
    vn_conn_error(c->conn, &retry);
    if (retry == 0) retry = 100;
    if (c->rate_waited_ms + retry > (uint64_t)c->timeout_ms) return false;
    struct timespec ts = {(time_t)(retry / 1000), (long)(retry % 1000) * 1000000};
    nanosleep(&ts, NULL);
    c->rate_waited_ms += retry;
    return true;
}

/* What a flush of the outbox did. */
typedef struct flushed {
    size_t sent;    /* accepted by the server */
    size_t refused; /* refused for good, and dropped */
    vn_err refusal; /* the last refusal's code */
    char why[512];  /* and the server's message */
} flushed;

/* Errors that may pass: the message stays queued for a later try. */
static bool transient(vn_err err)
{
    return err == VN_ETIMEOUT || err == VN_ETRANSPORT || err == VN_ERATE || err == VN_ESTORE ||
           err == VN_EFULL || err == VN_EINTERNAL || err == VN_ENOMEM;
}

/* Sends everything in the outbox, oldest first, stopping at the first
 * transient failure so order per recipient holds. A message the server
 * refuses for good (the recipient is not in one's care network any more)
 * would block the queue forever: it is dropped and reported in *f. */
static vn_err flush_outbox(vn_client *c, flushed *f)
{
    vn_err err = VN_OK;
    memset(f, 0, sizeof *f);
    for (;;) {
        struct outbox_item it = {.found = false};
        Vn__Reply *rep = NULL;
        err = vn_kv_each(c->kv, CDB_OUTBOX, NULL, 0, first_cb, &it);
        if (err || !it.found) {
            free(it.val);
            return err;
        }
        Vn__Send *s = vn__send__unpack(NULL, it.len, it.val);
        free(it.val);
        if (!s) return VN_ESTORE;
        if ((err = vn_client_connect(c))) {
            vn__send__free_unpacked(s, NULL);
            return err;
        }
        Vn__Request req = VN__REQUEST__INIT;
        req.body_case = VN__REQUEST__BODY_SEND;
        req.send = s;
        err = vn_conn_call(c->conn, &req, &rep);
        vn__send__free_unpacked(s, NULL);
        vn_frame_reply_free(rep);
        if (err == VN_ERATE && wait_for_rate(c)) continue;
        if (err && transient(err)) return err;
        if (err) {
            f->refused++;
            f->refusal = err;
            snprintf(f->why, sizeof f->why, "%s", vn_conn_error(c->conn, NULL));
        } else {
            f->sent++;
        }
        if ((err = vn_kv_del(c->kv, CDB_OUTBOX, it.key, 8)) && err != VN_ENOTFOUND) return err;
    }
}

vn_err vn_client_queue_content(vn_client *c, const char *peer, const Vn__Content *content)
{
    return queue_content(c, peer, NULL, content);
}

/* Tells the user about refused messages; true if there were any. */
static bool report_refused(vn_client *c, const flushed *f)
{
    if (f->refused == 0) return false;
    fprintf(stderr, "vangnet: %zu message%s refused by the server and not kept: %s\n", f->refused,
            f->refused == 1 ? " was" : "s were", f->why);
    return true;
}

static char *read_line(FILE *f, char *buf, size_t size, bool *toolong)
{
    *toolong = false;
    if (!fgets(buf, (int)size, f)) return NULL;
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    else if (!feof(f)) {
        *toolong = true;
        int ch;
        while ((ch = fgetc(f)) != EOF && ch != '\n') {
        }
    }
    return buf;
}

/* Team members from the server (the care team roster; not audited). */
static vn_err team_roster(vn_client *c, const char *case_id, char (*acc)[VN_ACCOUNT_HEX + 1],
                          size_t max, size_t *n)
{
    Vn__Reply *rep = NULL;
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    cs.case_id = (char *)case_id;
    cs.team_only = true;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_SHOW;
    req.case_show = &cs;
    vn_err err = vn_conn_call(c->conn, &req, &rep);
    if (err) return err;
    const Vn__CaseInfo *ci = rep->case_info;
    *n = 0;
    if (rep->body_case != VN__REPLY__BODY_CASE_INFO) err = VN_EPROTO;
    for (size_t i = 0; !err && i <= ci->n_members; i++) {
        const char *a = i < ci->n_members ? ci->members[i]->account : ci->casemanager;
        if (!vn_account_valid(a))
            err = VN_EPROTO;
        else if (strcmp(a, c->account) == 0)
            continue;
        else if (*n == max)
            err = VN_ETOOBIG;
        else
            memcpy(acc[(*n)++], a, VN_ACCOUNT_HEX + 1);
    }
    vn_frame_reply_free(rep);
    return err;
}

static bool listed(char (*acc)[VN_ACCOUNT_HEX + 1], size_t n, const char *a)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(acc[i], a, VN_ACCOUNT_HEX) == 0) return true;
    return false;
}

#define TEAM_MAX 64

/* Makes sure every current team member holds our sender key for the case,
 * and that nobody who left does: if someone left, the key is replaced
 * before anything else is sent, so a removed member cannot read on. */
static vn_err prepare_team(vn_client *c, const char *case_id)
{
    char team[TEAM_MAX][VN_ACCOUNT_HEX + 1], had[TEAM_MAX][VN_ACCOUNT_HEX + 1];
    size_t nteam = 0, nhad = 0, len = 0;
    uint8_t *dist = NULL;
    size_t dlen = 0;
    char *holders = NULL;
    vn_err err = team_roster(c, case_id, team, TEAM_MAX, &nteam);
    if (err) return err;
    if (vn_kv_get(c->kv, CDB_TEAMS, case_id, VN_ACCOUNT_HEX, (void **)&holders, &len) == VN_OK) {
        for (size_t i = 0; i + VN_ACCOUNT_HEX <= len && nhad < TEAM_MAX; i += VN_ACCOUNT_HEX) {
            memcpy(had[nhad], holders + i, VN_ACCOUNT_HEX);
            had[nhad++][VN_ACCOUNT_HEX] = '\0';
        }
    }
    free(holders);
    bool someone_left = false;
    for (size_t i = 0; i < nhad; i++)
        if (!listed(team, nteam, had[i])) someone_left = true;
    /* Sessions first (network), then one transaction for keys and outbox. */
    for (size_t i = 0; i < nteam; i++) {
        if (vn_e2ee_has_session(c->e2ee, team[i])) continue;
        if ((err = vn_client_start_session(c, team[i]))) return err;
    }
    if ((err = vn_kv_begin(c->kv))) return err;
    if (someone_left) {
        if ((err = vn_e2ee_group_rotate(c->e2ee, case_id))) goto fail;
        nhad = 0;
    }
    if ((err = vn_e2ee_group_distribution(c->e2ee, case_id, &dist, &dlen))) goto fail;
    Vn__Content content = VN__CONTENT__INIT;
    content.sender_key = (ProtobufCBinaryData){dlen, dist};
    content.sender_key_case = (char *)case_id;
    content.text = (char *)"";
    for (size_t i = 0; i < nteam; i++) {
        if (listed(had, nhad, team[i])) continue;
        if ((err = queue_content(c, team[i], NULL, &content))) goto fail;
        memcpy(had[nhad++], team[i], VN_ACCOUNT_HEX + 1);
    }
    char buf[TEAM_MAX * VN_ACCOUNT_HEX];
    for (size_t i = 0; i < nhad; i++)
        memcpy(buf + i * VN_ACCOUNT_HEX, had[i], VN_ACCOUNT_HEX);
    if ((err = vn_kv_put(c->kv, CDB_TEAMS, case_id, VN_ACCOUNT_HEX, buf, nhad * VN_ACCOUNT_HEX)))
        goto out;
    err = vn_kv_commit(c->kv);
    goto out;
fail:
    if (vn_kv_in_txn(c->kv)) vn_kv_abort(c->kv);
out:
    free(dist);
    return err;
}

vn_err vn_client_flush(vn_client *c)
{
    flushed f;
    vn_err err = flush_outbox(c, &f);
    report_refused(c, &f);
    return err;
}

int vn_cmd_send(vn_client *c, int argc, char **argv)
{
    char peer[VN_ACCOUNT_HEX + 1] = "";
    const char *case_id = NULL, *text = NULL, *who = NULL;
    bool from_stdin = false;
    size_t queued = 0;
    flushed fl;
    vn_err err;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--case") == 0 && i + 1 < argc && !case_id)
            case_id = argv[++i];
        else if (strcmp(argv[i], "--stdin") == 0)
            from_stdin = true;
        else if (!case_id && !who)
            who = argv[i];
        else if (!text)
            text = argv[i];
        else
            who = NULL, case_id = NULL; /* too many arguments */
    }
    if ((!who && !case_id) || (who && case_id) || (from_stdin == (text != NULL)))
        return vn_client_fail(c, VN_EINVAL,
                              "usage: vangnet send WHO TEXT | send WHO --stdin | send --case CASE "
                              "TEXT | send --case CASE --stdin");
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    if (case_id && !vn_account_valid(case_id))
        return vn_client_fail(c, VN_EINVAL, "%s is not a case id (32 hex characters)", case_id);
    if (who && vn_client_resolve(c, who, peer))
        return vn_client_fail(c, VN_ENOACCOUNT, "%s is neither an account id nor a contact name",
                              who);
    if (text && strlen(text) > TEXT_MAX)
        return vn_client_fail(c, VN_ETOOBIG, "message text is %zu bytes; the limit is %d",
                              strlen(text), TEXT_MAX);
    if ((err = vn_client_connect(c))) return vn_client_fail(c, err, "cannot connect");
    /* Whatever an earlier run left unsent goes first, to keep the order. */
    err = flush_outbox(c, &fl);
    report_refused(c, &fl);
    if (err) return vn_client_fail_call(c, err, "earlier messages are still waiting to be sent");
    if (case_id)
        err = prepare_team(c, case_id);
    else if (!vn_e2ee_has_session(c->e2ee, peer))
        err = vn_client_start_session(c, peer);
    if (err == VN_EUNTRUSTED)
        return vn_client_fail(c, err,
                              "an identity key has changed; nothing was sent. Compare safety "
                              "numbers with `vangnet verify`");
    if (err)
        return vn_client_fail_call(
            c, err, case_id ? "cannot write to the care team" : "cannot start a secure session");
    if (text) {
        if ((err = queue_message(c, peer, case_id, text)))
            return vn_client_fail(c, err, "cannot encrypt the message: %s", vn_err_str(err));
        queued = 1;
    } else {
        char *line = malloc(TEXT_MAX + 2);
        bool toolong;
        if (!line) return vn_client_fail(c, VN_ENOMEM, "out of memory");
        while (read_line(stdin, line, TEXT_MAX + 2, &toolong)) {
            if (toolong) {
                free(line);
                return vn_client_fail(c, VN_ETOOBIG,
                                      "line %zu is longer than %d bytes; "
                                      "nothing from it on was sent",
                                      queued + 1, TEXT_MAX);
            }
            if ((err = queue_message(c, peer, case_id, line))) break;
            queued++;
            /* Send as we go, so a long stream is not all held back. */
            if ((err = flush_outbox(c, &fl)) || fl.refused) break;
        }
        free(line);
        if (err && err != VN_ETIMEOUT && err != VN_ETRANSPORT && err != VN_ERATE)
            return vn_client_fail(c, err, "cannot send: %s", vn_err_str(err));
    }
    if (!err && !fl.refused) err = flush_outbox(c, &fl);
    if (fl.refused) return vn_client_fail(c, fl.refusal, "not sent: %s", fl.why);
    if (err)
        return vn_client_fail_call(c, err,
                                   "message kept in the outbox; the next send or inbox "
                                   "retries it");
    if (c->json) printf("{\"sent\": %zu, \"to\": \"%s\"}\n", queued, case_id ? case_id : peer);
    return EXIT_OK;
}

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
        vn_put_be64(k, next_seq(c, CDB_HISTORY));
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
    flushed fl;
    if ((err = flush_outbox(c, &fl))) return vn_client_fail_call(c, err, "cannot send outbox");
    report_refused(c, &fl);
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
