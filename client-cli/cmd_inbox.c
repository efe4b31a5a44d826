/* inbox: fetch, decrypt, store, show, acknowledge, in that order. A
 * message is durable in the receiver's store before it is shown, and shown
 * before the server may delete it: a run killed at any point loses nothing
 * and shows nothing twice. What was stored but not yet shown waits in
 * CDB_UNSHOWN and is shown first by the next run; a message stored but not
 * acknowledged comes back from the server and is only acknowledged (its id
 * is in CDB_SEEN). */
#include "args.h"
#include "notice.h"
#include "instructions.h"
#include "report.h"
#include "group.h"
#include "receipt.h"
#include "chat_inbox.h"

#include "vn/array.h"
#include "vn/frame.h"
#include "vn/pad.h"
#include "vn/sealed.h"
#include "vn/signals.h"
#include "vn/parse.h"
#include "vn/be.h"
#include "vn/account.h"
#include "vn/day.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROSTERS_MAX      16    /* case rosters one run keeps, to check records by */
#define FOLLOW_CHECK_MS  5000  /* --follow re-subscribes and fetches this often */
#define FOLLOW_RETRY_MS  500   /* first wait after the server was lost; doubles */
#define FOLLOW_RETRY_MAX 30000 /* longest wait between tries */

typedef struct inbox_run {
    vn_client *c;                                   /* the profile and connection */
    vn_shower sh;                                   /* where messages are shown */
    bool store_only;                                /* the daemon: store, ack, show nothing */
    size_t n;                                       /* messages shown this run */
    size_t held;                                    /* left on the server (untrusted sender) */
    ProtobufCBinaryData acks[VN_FETCH_MAX * 2];     /* ids to acknowledge */
    size_t nacks;                                   /* how many */
    uint8_t ackbuf[VN_FETCH_MAX * 2][VN_MSGID_LEN]; /* their bytes */
    struct {
        char case_id[VN_ACCOUNT_HEX + 1];       /* the case */
        Vn__Reply *rep;                         /* its roster, or NULL: the server refused it */
    } rosters[ROSTERS_MAX];                     /* read once a run per case (a round robin) */
    size_t nrosters;                            /* rosters read so far */
    bool have_server_key;                       /* server_key is loaded */
    uint8_t server_key[VN_SEALED_SIGN_PUB_LEN]; /* the pinned key certificates are checked by */
    vn_receipts *owed;                          /* receipts owed to senders (receipt.h) */
} inbox_run;

/* One envelope as its sealed layer told it: who sent it, for which case. */
typedef struct incoming {
    const Vn__Envelope *e;            /* as the server delivered it */
    char from[VN_ACCOUNT_HEX + 1];    /* the certified sender, or "server" */
    char case_id[VN_ACCOUNT_HEX + 1]; /* the case of a team message, else "" */
    uint64_t time_ms;                 /* the sender's time if it gave one, else the envelope's */
    const Vn__SignalReport *signal;   /* what it carried, for the daemon (vn_stored) */
    const Vn__RecordNote *record;
} incoming;

static void queue_ack(inbox_run *run, const Vn__Envelope *e)
{
    memcpy(run->ackbuf[run->nacks], e->id.data, VN_MSGID_LEN);
    run->acks[run->nacks] = (ProtobufCBinaryData){VN_MSGID_LEN, run->ackbuf[run->nacks]};
    run->nacks++;
}

/* Shows a stored message and then forgets that it waits to be shown (key:
 * its CDB_UNSHOWN key). That deletion skips the fsync: it only has to
 * outlive this process, and the shorter the time between showing and
 * forgetting, the smaller the chance that a kill in between shows it once
 * more. VN_EIO when it could not be shown; it then stays for the next run. */
static vn_err show_stored(inbox_run *run, const Vn__Received *r, const uint8_t key[8])
{
    vn_client *c = run->c;
    vn_err err = vn_show_item(&run->sh, r);
    if (err) return err;
    run->n++;
    if (run->owed) vn_receipts_shown(c, run->owed, r); /* best effort: only a tick */
    vn_kv_set_durable(c->kv, false);
    err = vn_kv_del(c->kv, CDB_UNSHOWN, key, 8);
    vn_kv_set_durable(c->kv, true);
    return err == VN_ENOTFOUND ? VN_OK : err;
}

/* Ends the envelope's transaction (opened by the caller, holding whatever
 * was stored for it: ratchet step, history, record): marks it seen and,
 * unless text is NULL, keeps it to be shown; commits; shows it; queues its
 * ack. A notice from the server is kept typed beside its text. If err is set or a write fails,
 * nothing of it stays and the error is returned: the message comes back next run. */
static vn_err finish_msg_notice(inbox_run *run, const incoming *in, const char *text,
                                const Vn__Notice *notice, vn_err err)
{
    vn_client *c = run->c;
    uint8_t key[8];
    uint64_t seq = 0;
    Vn__Received r = VN__RECEIVED__INIT;
    r.id = in->e->id;
    r.from = (char *)in->from;
    r.case_id = (char *)in->case_id;
    r.time_ms = in->time_ms;
    r.text = (char *)text;
    r.notice = (Vn__Notice *)notice;
    if (!err) err = vn_kv_put(c->kv, CDB_SEEN, in->e->id.data, VN_MSGID_LEN, "", 0);
    if (!err && text && !(err = vn_client_next_seq(c, CDB_UNSHOWN, &seq))) {
        size_t n = vn__received__get_packed_size(&r);
        uint8_t *buf = malloc(n ? n : 1);
        vn_be_put64(key, seq);
        if (!buf) err = VN_ENOMEM;
        if (buf) vn__received__pack(&r, buf);
        if (!err) err = vn_kv_put(c->kv, CDB_UNSHOWN, key, 8, buf, n);
        free(buf);
    }
    if (!err)
        err = vn_kv_commit(c->kv);
    else if (vn_kv_in_txn(c->kv))
        vn_kv_abort(c->kv);
    if (!err && text && c->on_stored) {
        vn_stored s = {
            .r = &r, .notice = in->e->notice, .signal = in->signal, .record = in->record};
        c->on_stored->fn(c->on_stored->ud, &s);
    }
    if (!err && text && !run->store_only) err = show_stored(run, &r, key);
    if (!err) queue_ack(run, in->e);
    return err;
}

static vn_err finish_msg(inbox_run *run, const incoming *in, const char *text, vn_err err)
{
    return finish_msg_notice(run, in, text, NULL, err);
}

/* It can never be read; say so rather than keep it forever. The caller
 * acknowledges it. */
static vn_err drop_undecryptable(const char *from, vn_err why)
{
    fprintf(stderr, "vangnet: a message from %s could not be decrypted (%s) and was dropped\n",
            from, vn_err_str(why));
    return VN_OK;
}

/* A notice from the server itself (reminder, overdue item, contract, alert). */
static vn_err take_notice(inbox_run *run, const Vn__Envelope *e)
{
    char text[1024];
    incoming in = {.e = e, .from = "server", .case_id = "", .time_ms = e->time_ms};
    vn_notice_text(run->c, e->notice, text, sizeof text);
    vn_err err = vn_kv_begin(run->c->kv);
    return err ? err : finish_msg_notice(run, &in, text, e->notice, VN_OK);
}

/* A team member's sender key, for their team messages to come. Nothing is
 * shown; a bad one is dropped like an undecryptable message. */
static vn_err take_sender_key(inbox_run *run, const incoming *in, const Vn__Content *content)
{
    vn_client *c = run->c;
    vn_err err = vn_account_valid(content->sender_key_case)
                     ? vn_e2ee_group_process(c->e2ee, content->sender_key_case, in->from,
                                             content->sender_key.data, content->sender_key.len)
                     : VN_EPROTO;
    if (err == VN_ENOMEM || err == VN_ESTORE || err == VN_EFULL || err == VN_EIO) {
        if (vn_kv_in_txn(c->kv)) vn_kv_abort(c->kv);
        return err; /* ours, not the message's: it comes back */
    }
    if (err) {
        if (vn_kv_in_txn(c->kv)) vn_kv_abort(c->kv);
        drop_undecryptable(in->from, err);
        queue_ack(run, in->e);
        return VN_OK;
    }
    return finish_msg(run, in, NULL, VN_OK);
}

/* A text message, 1:1 or to the team: its history entry and the seen mark
 * commit with the ratchet state. */
static vn_err take_text(inbox_run *run, const incoming *in, const char *text)
{
    Vn__Received h = VN__RECEIVED__INIT;
    h.id = in->e->id;
    h.from = (char *)in->from;
    h.case_id = (char *)in->case_id;
    h.time_ms = in->time_ms;
    h.text = (char *)text;
    return finish_msg(run, in, text, vn_client_keep_history(run->c, &h));
}

/* A signal report or an SOS: shown as one line, and kept like a message. */
static vn_err take_signal(inbox_run *run, const incoming *in, const Vn__SignalReport *sr)
{
    incoming with = *in;
    with.signal = sr;
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
    /* What to do with it depends on who reads it (notice.c). */
    if (o < sizeof line - 100)
        vn_notice_signal_hint(run->c, sos, sr->alert, line + o, sizeof line - o);
    return take_text(run, &with, line);
}

/* The roster of case_id, read from the server once a run; *ci is NULL
 * when the server refused it (an unknown or closed case, or not ours).
 * Any other failure is returned, so the message is tried again later. */
static vn_err roster_of(inbox_run *run, const char *case_id, const Vn__CaseInfo **ci)
{
    Vn__Reply *rep = NULL;
    size_t n = run->nrosters < ROSTERS_MAX ? run->nrosters : ROSTERS_MAX;
    for (size_t i = 0; i < n; i++)
        if (strcmp(run->rosters[i].case_id, case_id) == 0) {
            *ci = run->rosters[i].rep ? run->rosters[i].rep->case_info : NULL;
            return VN_OK;
        }
    vn_err err = vn_client_record_roster(run->c, case_id, &rep);
    if (err == VN_EDENIED || err == VN_ENOTFOUND || err == VN_EINVAL) err = VN_OK;
    if (err) return err;
    size_t slot = run->nrosters++ % ROSTERS_MAX;
    vn_frame_reply_free(run->rosters[slot].rep);
    snprintf(run->rosters[slot].case_id, sizeof run->rosters[slot].case_id, "%s", case_id);
    run->rosters[slot].rep = rep;
    *ci = rep ? rep->case_info : NULL;
    return VN_OK;
}

/* Whether the record may be kept: its verified sender may author its kind
 * for its case. If not, why says so. */
static vn_err check_author(inbox_run *run, const incoming *in, const Vn__RecordNote *rn, bool *ok,
                           char *why, size_t size)
{
    const Vn__CaseInfo *ci = NULL;
    int32_t day;
    *ok = false;
    if (!vn_account_valid(rn->case_id) || !rn->date || vn_day_parse(rn->date, &day)) {
        snprintf(why, size, "it names no valid case and date");
        return VN_OK;
    }
    vn_err err = roster_of(run, rn->case_id, &ci);
    if (err) return err;
    if (!ci)
        snprintf(why, size, "case %.8s is unknown, closed or not yours", rn->case_id);
    else
        *ok = vn_client_record_author_ok(ci, rn, in->from, why, size);
    return VN_OK;
}

/* A record's outcome (a test, a clinical state, a medication exception,
 * an alert's history): kept for reports and shown as a line of text when
 * its sender may author it. Anyone can send a RecordNote; one from someone
 * else is an ordinary message of its real sender, marked so, and never
 * kept or counted. */
static vn_err take_record(inbox_run *run, const incoming *in, const Vn__RecordNote *rn)
{
    char line[600], why[160];
    bool ok = false;
    vn_err err = check_author(run, in, rn, &ok, why, sizeof why);
    if (err) {
        vn_kv_abort(run->c->kv); /* not seen: it comes back next run */
        return err;
    }
    int o = ok ? 0 : snprintf(line, sizeof line, "[not a record: %s] ", why);
    vn_client_record_line(rn, line + o, sizeof line - (size_t)o); /* records.c */
    if (!ok) return take_text(run, in, line);
    /* Kept for reports, and in the history as received: a correction
     * shows there after what it corrects. */
    incoming with = *in;
    with.record = rn;
    err = vn_client_keep_record(run->c, rn, in->e->id.data);
    return err ? finish_msg(run, &with, line, err) : take_text(run, &with, line);
}

/* Test-day instructions: kept when the case's casemanager sent them
 * (instructions.c), shown either way. */
static vn_err take_instructions(inbox_run *run, const incoming *in, const Vn__TestInstructions *ti)
{
    const Vn__CaseInfo *ci = NULL;
    char line[700];
    vn_err err = vn_account_valid(ti->case_id) ? roster_of(run, ti->case_id, &ci) : VN_OK;
    if (!err) err = vn_instructions_take(run->c, ci, in->from, ti, line, sizeof line);
    if (err) {
        vn_kv_abort(run->c->kv); /* not seen: it comes back next run */
        return err;
    }
    return take_text(run, in, line);
}

/* A delivery or read receipt for messages of ours: updates their state,
 * shows nothing and answers nothing (receipt.h). */
static vn_err take_receipt(inbox_run *run, const incoming *in, const Vn__Receipt *r)
{
    size_t taken = 0;
    vn_err err = finish_msg(run, in, NULL, vn_receipt_take(run->c, in->from, r, &taken));
    /* Stored: a daemon tells its subscribers (a chat moves the ticks). */
    if (!err && taken && run->c->on_stored) {
        vn_stored s = {.receipt = r, .receipt_from = in->from, .receipt_moved = taken};
        run->c->on_stored->fn(run->c->on_stored->ud, &s);
    }
    return err;
}

/* Decrypts the inner message of m inside the caller's transaction under
 * the session of the certified sender, checks that this session's identity
 * key is the certified one (VN_EFORGED if not), and unpacks it. */
static vn_err open_content(vn_client *c, const vn_sealed_msg *m, Vn__Content **content)
{
    uint8_t *pt = NULL, key[VN_E2EE_KEY_LEN];
    size_t ptlen;
    const char *from = m->sender.account;
    vn_err err;
    if (m->kind == VN_SEALED_TEAM)
        err = vn_e2ee_group_decrypt(c->e2ee, m->case_id, from, m->ct, m->ctlen, &pt, &ptlen);
    else
        err = vn_e2ee_decrypt(c->e2ee, from, m->kind == VN_SEALED_PREKEY, m->ct, m->ctlen, &pt,
                              &ptlen);
    if (!err) err = vn_e2ee_peer_identity(c->e2ee, from, key);
    if (!err) err = vn_sealed_check_identity(m, key);
    if (!err && !(*content = vn__content__unpack(NULL, ptlen, pt))) err = VN_EPROTO;
    if (pt) explicit_bzero(pt, ptlen);
    free(pt);
    return err;
}

/* A message whose sender cannot be believed: nothing of it is stored, the
 * user is told, and the caller acknowledges it, since it can never become
 * readable (a forged or expired certificate stays so), and left on the
 * server it would come back on every run. */
static void refuse(const char *claimed, vn_err why)
{
    fprintf(stderr,
            "vangnet: a message was refused: %s%s%s. It was not stored; if this repeats, tell "
            "your casemanager\n",
            vn_err_str(why), claimed[0] ? "; it claims to be from " : "", claimed);
}

/* A member's display name (names_intro.c): kept as their contact name
 * when they have none here, shown, and answered with ours once. */
static vn_err take_intro(inbox_run *run, const incoming *in, const Vn__Introduction *iv)
{
    char line[600];
    bool answer = false;
    vn_err err = vn_client_intro_take(run->c, in->from, iv, &answer, line, sizeof line);
    if (err) {
        if (vn_kv_in_txn(run->c->kv)) vn_kv_abort(run->c->kv); /* it comes back next run */
        return err;
    }
    if (!(err = finish_msg(run, in, line, VN_OK)) && answer)
        vn_client_intro_answer(run->c, in->from, iv);
    return err;
}

/* A message of an intervision group this device is in: the group's state
 * follows it (group.c) and it is kept and shown as one line. */
static vn_err take_group(inbox_run *run, const incoming *in, const Vn__Content *content)
{
    char line[6000];
    vn_err err = vn_group_receive(run->c, in->from, in->case_id, content, line, sizeof line);
    if (err) {
        if (vn_kv_in_txn(run->c->kv)) vn_kv_abort(run->c->kv);
        return err; /* ours, not the message's: it comes back */
    }
    return take_text(run, in, line);
}

/* Shows and stores a decrypted message by what it carries. */
static vn_err take_content(inbox_run *run, const incoming *in, const Vn__Content *content)
{
    bool team = in->case_id[0] != '\0';
    if (team && vn_group_known(run->c, in->case_id)) return take_group(run, in, content);
    if (!team && content->sender_key.len > 0) return take_sender_key(run, in, content);
    if (!team && content->signal) return take_signal(run, in, content->signal);
    if (!team && content->record) return take_record(run, in, content->record);
    if (!team && content->instructions) return take_instructions(run, in, content->instructions);
    if (!team && content->introduction) return take_intro(run, in, content->introduction);
    if (!team && content->receipt) return take_receipt(run, in, content->receipt);
    vn_err err = take_text(run, in, content->text ? content->text : "");
    /* Stored: its sender may know (best effort, like the read receipt). */
    if (!err && !team && run->owed)
        vn_receipts_add(run->owed, in->from, in->e->id.data, in->e->id.len, VN_MSG_DELIVERED);
    return err;
}

/* An end-to-end message not seen before: open the sealed layer, decrypt,
 * then store and show it. Returns an error only when the device store or
 * the server failed; a message that cannot be read or believed is dropped
 * and acknowledged. */
static vn_err take_sealed(inbox_run *run, const Vn__Envelope *e)
{
    vn_client *c = run->c;
    Vn__Content *content = NULL;
    vn_sealed_msg m = {.kind = 0};
    const uint8_t *payload;
    size_t plen;
    vn_err err = VN_OK;
    if (!run->have_server_key && !(err = vn_client_server_sign_key(c, run->server_key)))
        run->have_server_key = true;
    if (err) return err;
    if ((err = vn_pad_decode(e->body.data, e->body.len, &payload, &plen)) ||
        (err = vn_e2ee_unseal(c->e2ee, run->server_key, e->time_ms, payload, plen, &m))) {
        if (err == VN_ENOMEM || err == VN_ESTORE) goto out; /* ours, not the message's */
        refuse("", err);
        goto ack;
    }
    incoming in = {.e = e, .time_ms = e->time_ms};
    memcpy(in.from, m.sender.account, sizeof in.from);
    memcpy(in.case_id, m.case_id, sizeof in.case_id);
    if ((err = vn_kv_begin(c->kv))) goto out;
    /* Seen meanwhile (by a run that held the profile before us)? */
    if (vn_kv_has(c->kv, CDB_SEEN, e->id.data, VN_MSGID_LEN)) {
        vn_kv_abort(c->kv);
        goto ack;
    }
    err = open_content(c, &m, &content);
    if (err == VN_EUNTRUSTED) {
        /* Leave it on the server until the user verifies the new key;
         * keep the new key as pending, so `verify` can show it. */
        if ((err = vn_kv_commit(c->kv))) goto out;
        fprintf(stderr,
                "vangnet: a message from %s is held: their identity key changed. Run "
                "`vangnet verify %s` and compare safety numbers\n",
                in.from, in.from);
        run->held++;
        if (c->on_stored) {
            vn_stored s = {.identity_changed = in.from};
            c->on_stored->fn(c->on_stored->ud, &s);
        }
        goto out;
    }
    if (err) {
        /* Nothing of a message that failed is kept, not even a ratchet step. */
        vn_kv_abort(c->kv);
        /* Our store failed, not the message: it comes back next run. */
        if (err == VN_ENOMEM || err == VN_ESTORE || err == VN_EFULL || err == VN_EIO) goto out;
        if (err == VN_EFORGED)
            refuse(in.from, err);
        else
            drop_undecryptable(in.from, err);
        goto ack;
    }
    if (content->sent_ms) in.time_ms = content->sent_ms;
    /* Stored, shown and its ack queued there, or nothing of it kept. */
    err = take_content(run, &in, content);
    vn__content__free_unpacked(content, NULL);
    goto out;
ack:
    err = VN_OK;
    queue_ack(run, e);
out:
    vn_sealed_msg_clear(&m);
    return err;
}

/* Records one envelope: decrypt, store durably with its id, queue the ack.
 * One already seen (its ack was lost) is only acknowledged again. */
static vn_err take_envelope(inbox_run *run, const Vn__Envelope *e)
{
    vn_client *c = run->c;
    if (e->id.len != VN_MSGID_LEN) return VN_EPROTO;
    if (run->nacks == sizeof run->acks / sizeof run->acks[0]) return VN_ETOOBIG;
    if (vn_kv_has(c->kv, CDB_SEEN, e->id.data, VN_MSGID_LEN)) {
        queue_ack(run, e);
        return VN_OK;
    }
    return e->notice ? take_notice(run, e) : take_sealed(run, e);
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

/* Takes a batch; what was shown (or dropped for good) is acknowledged
 * even when the batch stopped early, unless the server itself is gone. */
static vn_err take_envelopes(inbox_run *run, const Vn__Envelopes *envs)
{
    vn_err err = VN_OK;
    for (size_t i = 0; i < envs->n_envelopes && !err; i++)
        err = take_envelope(run, envs->envelopes[i]);
    if (err == VN_ETIMEOUT || err == VN_ETRANSPORT) return err;
    vn_err aerr = send_acks(run);
    /* Receipts after the acks: a failure to send them loses no message. */
    if (!aerr && run->owed) vn_receipts_send(run->c, run->owed);
    return err ? err : aerr;
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

/* What an earlier run stored but could not show (it was killed, or its
 * reader went away), oldest first: shown before anything new. */
typedef struct leftover {
    uint8_t key[8];  /* CDB_UNSHOWN key */
    Vn__Received *r; /* the message */
} leftover;

typedef struct leftovers {
    leftover *items;
    size_t n, cap;
} leftovers;

static vn_err leftover_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    leftovers *l = ud;
    Vn__Received *r = vn__received__unpack(NULL, vl, v);
    if (kl != 8 || !r) {
        if (r) vn__received__free_unpacked(r, NULL);
        return VN_OK; /* not ours to show; the next stored message goes on */
    }
    vn_err err = vn_array_reserve(&l->items, &l->cap, l->n + 1, sizeof *l->items, 1u << 20);
    if (err) {
        vn__received__free_unpacked(r, NULL);
        return err;
    }
    memcpy(l->items[l->n].key, k, 8);
    l->items[l->n++].r = r;
    return VN_OK;
}

static vn_err show_leftovers(inbox_run *run)
{
    leftovers l = {0};
    vn_err err = vn_kv_each(run->c->kv, CDB_UNSHOWN, NULL, 0, leftover_cb, &l);
    for (size_t i = 0; !err && i < l.n; i++)
        err = show_stored(run, l.items[i].r, l.items[i].key);
    for (size_t i = 0; i < l.n; i++)
        vn__received__free_unpacked(l.items[i].r, NULL);
    free(l.items);
    return err;
}

static vn_err subscribe(vn_client *c)
{
    Vn__Reply *rep = NULL;
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Subscribe sub = VN__SUBSCRIBE__INIT;
    req.body_case = VN__REQUEST__BODY_SUBSCRIBE;
    req.subscribe = &sub;
    vn_err err = vn_conn_call(c->conn, &req, &rep);
    vn_frame_reply_free(rep);
    return err;
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* One piece of work of --follow under the profile's lock: a batch of
 * pushes (rep), or with rep NULL a new subscription and a fetch of what a
 * restarted server or a dropped connection kept from us. */
static vn_err follow_step(inbox_run *run, const Vn__Reply *rep, int64_t left_ms)
{
    vn_client *c = run->c;
    vn_err err = vn_lock_take(c);
    if (err) return err;
    if (rep) {
        err = take_envelopes(run, rep->envelopes);
    } else {
        /* A server that is gone should not hold --wait up for a whole
         * --timeout. */
        int t = left_ms < c->timeout_ms ? (int)left_ms : c->timeout_ms;
        vn_conn_set_timeout(c->conn, t < 1000 ? 1000 : t, 1000);
        err = subscribe(c);
        if (!err) err = drain(run);
        vn_conn_set_timeout(c->conn, c->timeout_ms, 1000);
    }
    vn_lock_drop(c);
    return err;
}

/* Waits for pushes until count arrived (0: no limit) or wait_s passed
 * (0: for ever). Every FOLLOW_CHECK_MS it subscribes again and fetches:
 * a restarted server knows no subscription and pushes nothing, and a
 * push lost with a connection stays in the mailbox. While the server is
 * gone it tries again after a growing pause. The profile is not locked
 * while waiting, so that a send meanwhile need not wait for us. */
static vn_err follow(inbox_run *run, uint64_t count, uint64_t wait_s)
{
    vn_client *c = run->c;
    int64_t t0 = mono_ms(), limit = wait_s ? (int64_t)wait_s * 1000 : INT64_MAX / 2;
    int64_t next_check = t0 + FOLLOW_CHECK_MS, retry = 0;
    vn_err err = VN_OK;
    vn_lock_drop(c); /* the level vn_client_open took */
    while (!count || run->n < count) {
        int64_t now = mono_ms();
        if (now - t0 >= limit) break;
        Vn__Reply *rep = NULL;
        if (now >= next_check) {
            err = follow_step(run, NULL, limit - (now - t0));
        } else {
            int64_t wait = next_check - now, left = limit - (now - t0);
            if (wait > left) wait = left;
            err = vn_conn_next_push(c->conn, (int)(wait < 1000 ? wait : 1000), &rep);
            if (err == VN_ETIMEOUT) {
                err = VN_OK;
                continue;
            }
            if (!err) err = follow_step(run, rep, 0);
            vn_frame_reply_free(rep);
            if (!err) continue;
        }
        if (err && (!vn_err_is_retryable(err) || run->sh.reader_gone)) break;
        if (err) {
            retry = retry ? (retry * 2 < FOLLOW_RETRY_MAX ? retry * 2 : FOLLOW_RETRY_MAX)
                          : FOLLOW_RETRY_MS;
            fprintf(stderr, "vangnet: the server is out of reach (%s); trying again in %.1f s\n",
                    vn_err_str(err), (double)retry / 1000);
            next_check = mono_ms() + retry;
            err = VN_OK;
            continue;
        }
        if (retry) fprintf(stderr, "vangnet: connected again\n");
        retry = 0;
        next_check = mono_ms() + FOLLOW_CHECK_MS;
    }
    /* Back to the level vn_client_close lets go of; nothing is written
     * after this, so a failure to get it changes nothing. */
    vn_lock_take(c);
    return err;
}

/* Before fetching: connect, send what the outbox holds, keep keys fresh.
 * Returns an exit code. */
static int get_ready(vn_client *c)
{
    vn_flushed fl;
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    vn_err err = vn_client_connect(c);
    if (err) return vn_client_fail(c, err, "cannot connect: %s", vn_err_str(err));
    err = vn_outbox_send(c, &fl);
    vn_outbox_report_refused(c, &fl);
    /* Messages that wait stay queued; the inbox goes on, unless the
     * server is out of reach for it too. */
    if (err && vn_err_is_retryable(err) && err != VN_ETIMEOUT && err != VN_ETRANSPORT)
        vn_outbox_report_queued(c, err);
    else if (err)
        return vn_client_fail_call(c, err, "cannot send outbox");
    if ((err = vn_client_maintain_keys(c)))
        return vn_client_fail_call(c, err, "cannot refresh keys");
    return EXIT_OK;
}

/* Says how the run ended; returns the exit code. */
static int finish(inbox_run *run, bool following, uint64_t count, vn_err err)
{
    vn_client *c = run->c;
    vn_show_end(&run->sh);
    if (run->sh.reader_gone) {
        /* `vangnet inbox | head -n 1`: what was not shown stays for later. */
        fprintf(stderr, "vangnet: the output was closed; messages not shown are kept for the "
                        "next inbox\n");
        return EXIT_OK;
    }
    if (!c->json && !following && run->n == 0 && !run->held && !err) printf("no new messages\n");
    if (err == VN_EIO && ferror(stdout))
        return vn_client_fail(c, err, "cannot write the output; messages not shown are kept");
    if (err) return vn_client_fail_call(c, err, "inbox stopped early (what was shown is saved)");
    if (following && count && run->n < count)
        return vn_client_fail(c, VN_ETIMEOUT, "received %zu of %llu messages before the wait ended",
                              run->n, (unsigned long long)count);
    return EXIT_OK;
}

int vn_cmd_inbox(vn_client *c, const vn_args *a)
{
    inbox_run run = {.c = c};
    bool following = vn_args_has(a, "--follow");
    const char *v;
    uint64_t count = 0, wait_s = 0;
    vn_err err = VN_OK;
    if ((v = vn_args_get(a, "--count")) && vn_parse_u64(v, 1, 10000000, &count) != VN_OK)
        return vn_args_invalid(c, a, "--count wants a whole number from 1 to 10000000, not %s", v);
    if ((v = vn_args_get(a, "--wait")) && vn_parse_u64(v, 1, 86400, &wait_s) != VN_OK)
        return vn_args_invalid(c, a, "--wait wants whole seconds from 1 to 86400, not %s", v);
    int rc = get_ready(c);
    if (rc) return rc;
    /* --follow --json is a stream: one object a line, each as it comes. */
    run.sh = (vn_shower){.c = c, .json_lines = following};
    vn_show_begin(&run.sh);
    if ((err = vn_receipts_new(&run.owed))) return vn_client_fail(c, err, "out of memory");
    err = show_leftovers(&run);
    if (!err) vn_receipts_send(c, run.owed); /* read receipts of what was left */
    if (!err && following) err = subscribe(c);
    if (!err) err = drain(&run);
    if (!err && following) err = follow(&run, count, wait_s);
    rc = finish(&run, following, count, err);
    for (size_t i = 0; i < ROSTERS_MAX; i++)
        vn_frame_reply_free(run.rosters[i].rep);
    vn_receipts_free(&run.owed);
    return rc;
}

/* ---- inbox as a session of another view (chat.h) ------------------- */

struct vn_inbox {
    inbox_run run;      /* as a run of `inbox --follow` */
    int64_t next_check; /* when to subscribe again and fetch */
    bool lost;          /* the server was out of reach at the last try */
};

int vn_inbox_open(vn_client *c, const vn_shower *sh, vn_inbox **out)
{
    vn_inbox *in = calloc(1, sizeof *in);
    *out = NULL;
    if (!in) return vn_client_fail(c, VN_ENOMEM, "out of memory");
    in->run.c = c;
    in->run.sh = *sh;
    int rc = get_ready(c);
    vn_err err = VN_OK;
    if (!rc && (err = vn_receipts_new(&in->run.owed))) rc = vn_client_fail(c, err, "out of memory");
    if (!rc && (err = show_leftovers(&in->run)))
        rc = vn_client_fail_call(c, err, "cannot show the messages kept from before");
    if (!rc) vn_receipts_send(c, in->run.owed);
    if (!rc && !(err = subscribe(c))) err = drain(&in->run);
    if (!rc && err) rc = vn_client_fail_call(c, err, "cannot fetch new messages");
    if (rc) {
        vn_inbox_close(&in);
        return rc;
    }
    in->next_check = mono_ms() + FOLLOW_CHECK_MS;
    *out = in;
    return EXIT_OK;
}

vn_err vn_inbox_poll(vn_inbox *in, int wait_ms)
{
    vn_client *c = in->run.c;
    Vn__Reply *rep = NULL;
    vn_err err;
    if (mono_ms() >= in->next_check) {
        err = follow_step(&in->run, NULL, FOLLOW_CHECK_MS);
        in->next_check = mono_ms() + (err ? FOLLOW_RETRY_MS * 4 : FOLLOW_CHECK_MS);
        if (err && vn_err_is_retryable(err) && !in->lost)
            fprintf(stderr, "vangnet: the server is out of reach (%s); trying again\n",
                    vn_err_str(err));
        else if (!err && in->lost)
            fprintf(stderr, "vangnet: connected again\n");
        in->lost = err && vn_err_is_retryable(err);
        return in->lost ? VN_OK : err;
    }
    err = vn_conn_next_push(c->conn, wait_ms, &rep);
    if (err == VN_ETIMEOUT) return VN_OK;
    if (!err) err = follow_step(&in->run, rep, 0);
    vn_frame_reply_free(rep);
    if (err && vn_err_is_retryable(err)) {
        in->next_check = 0; /* subscribe again and fetch what we missed */
        return VN_OK;
    }
    return err;
}

size_t vn_inbox_fds(vn_inbox *in, int fds[2])
{
    vn_client *c = in->run.c;
    return c->conn ? vn_conn_fds(c->conn, fds) : 0;
}

bool vn_inbox_ready(vn_inbox *in)
{
    vn_client *c = in->run.c;
    return c->conn && vn_conn_ready(c->conn);
}

void vn_inbox_close(vn_inbox **inp)
{
    vn_inbox *in = *inp;
    if (!in) return;
    for (size_t i = 0; i < ROSTERS_MAX; i++)
        vn_frame_reply_free(in->run.rosters[i].rep);
    vn_receipts_free(&in->run.owed);
    free(in);
    *inp = NULL;
}

vn_err vn_inbox_subscribe(vn_client *c)
{
    return subscribe(c);
}

vn_err vn_inbox_receive(vn_client *c, const Vn__Envelopes *envs)
{
    inbox_run *run = calloc(1, sizeof *run);
    if (!run) return VN_ENOMEM;
    run->c = c;
    run->store_only = true;
    /* Stored: each 1:1 sender gets its delivery receipt (receipt.h). */
    vn_err err = vn_receipts_new(&run->owed);
    if (!err) err = envs ? take_envelopes(run, envs) : drain(run);
    for (size_t i = 0; i < ROSTERS_MAX; i++)
        vn_frame_reply_free(run->rosters[i].rep);
    vn_receipts_free(&run->owed);
    free(run);
    return err;
}
