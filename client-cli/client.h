/* The vangnet client: a profile directory (one identity), its LMDB device
 * store, and the services the commands share (output, the server session,
 * the outbox, the team's sender key). The commands themselves are in
 * commands.h. */
#ifndef VN_CLIENT_H
#define VN_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vn/conn.h"
#include "vn/e2ee.h"
#include "vn/err.h"
#include "vn/kv.h"
#include "vn/account.h"

#include "text.h"

/* Databases of the device store; E2EE's five follow CDB_E2EE. */
enum {
    CDB_CONFIG,   /* server endpoint and key, device keys, account */
    CDB_CONTACTS, /* local name (NUL-padded) -> account id (never sent anywhere) */
    CDB_SEEN,     /* message ids already received, to drop duplicates */
    CDB_HISTORY,  /* local seq -> received message (id, from, time, text) */
    CDB_OUTBOX,   /* local seq -> Send not yet acknowledged by the server */
    CDB_TEAMS,    /* case -> accounts that hold our current sender key */
    CDB_RECORDS,  /* case|date|kind|id -> record outcome (RecordNote), end to end only */
    CDB_E2EE,
    /* Appended after E2EE's: the store binds each record to its database's
     * number, so the numbers above never move. */
    CDB_UNSHOWN = CDB_E2EE + VN_E2EE_NDBS, /* local seq -> stored, not yet shown (Received) */
    CDB_WELLBEING, /* time answered -> one wellbeing check (wellbeing.h), never sent */
    CDB_GROUPS,    /* group id -> GroupLocal: intervision groups, sessions, the own action plan */
    CDB_COUNT
};

/* Exit codes, documented in `vangnet --help`. */
enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,      /* the request failed; the message says why */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_RETRY = 3,     /* server unreachable or busy: try again later */
    EXIT_UNTRUSTED = 4, /* a peer's identity key changed: verify it first */
};

typedef struct vn_client {
    const char *profile;              /* profile directory */
    bool json;                        /* --json output */
    int timeout_ms;                   /* total time one server call may take */
    uint64_t rate_waited_ms;          /* time this command spent waiting out rate limits */
    vn_kv *kv;                        /* the device store */
    vn_e2ee *e2ee;                    /* Signal state over kv */
    vn_conn *conn;                    /* connection, opened on first use */
    char account[VN_ACCOUNT_HEX + 1]; /* own account, "" before join */
    uint8_t profile_key[32];          /* master key, from the key file (keyfile.h) */
    bool cert_fresh;                  /* the server issued our sender certificate during this run */
    int lock_fd;                      /* the profile directory, flock'ed (lock.c) while lock_held */
    int lock_depth;                   /* nesting of vn_lock_take */
    bool lock_held;                   /* this process holds the profile's lock */
    bool pass_refused;                /* no new passphrase typed was strong and twice the same */
    struct vn_known *known;           /* names_client.c: the cases this profile knows, or NULL */
    struct vn_stored_hook *on_stored; /* the daemon: told of each message stored (cmd_inbox.c) */
    bool out_tty;                     /* the person's standard output is a terminal (colour) */
    int out_cols;                     /* and so many columns wide; 0 when unknown */
} vn_client;

/* client.c: the profile and its device store. */

/* Opens (creating, mode 0700) the profile: asks for the passphrase
 * ($VANGNET_PASSPHRASE, else the terminal), unwraps the master key from
 * the key file (a new profile gets a random one) and opens the store
 * sealed under it; a profile of the scrypt era (profile.salt) is moved
 * into this format on the way. VN_EDENIED when no passphrase can be had
 * (c->pass_refused: a new one was typed but each try was refused),
 * VN_EUNTRUSTED for a wrong one, VN_EVERSION for a key file of another
 * version, VN_ECRYPTO for a store whose key file is missing or not its own
 * (told by a check record), VN_EIO. */
vn_err vn_client_open(vn_client *c);
/* Rewraps the master key under a new passphrase ($VANGNET_NEW_PASSPHRASE,
 * else asked twice on the terminal); the old one opens nothing after.
 * VN_EDENIED when no new passphrase can be had, VN_EIO. */
vn_err vn_client_change_passphrase(vn_client *c);
void vn_client_close(vn_client *c);

/* Config values (strings or raw bytes) in CDB_CONFIG. */
vn_err vn_client_cfg_get(vn_client *c, const char *key, void *out, size_t size, size_t *len);
vn_err vn_client_cfg_put(vn_client *c, const char *key, const void *val, size_t len);

#define VN_CONTACT_NAME_MAX 64 /* bytes of a contact name, at most */

/* Gives account a local name (1 to VN_CONTACT_NAME_MAX bytes), replacing
 * what the name meant before. VN_EINVAL for a bad name or account id. */
vn_err vn_client_contact_add(vn_client *c, const char *name, const char *account);
/* Called for each contact, in name order; set *stop to end early. */
typedef vn_err (*vn_contact_fn)(void *ud, const char *name, const char *account, bool *stop);
vn_err vn_client_contacts_each(vn_client *c, vn_contact_fn fn, void *ud);
/* Resolves a contact name or an account id into account (33 bytes). */
vn_err vn_client_resolve(vn_client *c, const char *who, char account[VN_ACCOUNT_HEX + 1]);
/* The local name of an account, or NULL; copied into name. */
const char *vn_client_name_of(vn_client *c, const char *account, char *name, size_t size);

/* The next number of a local sequence (outbox, history) kept in CDB_CONFIG,
 * in the caller's transaction: a failed write fails the number. */
vn_err vn_client_next_seq(vn_client *c, int db, uint64_t *seq);
/* Adds a message to the conversation history (received, or sent by this
 * device: h->to set, h->from our account), in the caller's transaction. */
vn_err vn_client_keep_history(vn_client *c, const Vn__Received *h);
/* Stores a record outcome in this device's store (for reports); a test,
 * state or medication record replaces the earlier ones of its case, date
 * and kind (a correction), an alert history is added. */
vn_err vn_client_keep_record(vn_client *c, const Vn__RecordNote *r, const uint8_t id[16]);
/* records.c: the roster a received record is checked against: the case's
 * care team (with the medical leads, for its casemanager), or for a
 * medical lead the whole case (an audited read). Prints nothing: returns
 * the server's refusal (VN_EDENIED, VN_ENOTFOUND, ...) or a transport
 * error; on VN_OK *rep is set (free it with vn_frame_reply_free). */
vn_err vn_client_record_roster(vn_client *c, const char *case_id, Vn__Reply **rep);
/* Whether account `from` may author a record of rn's kind for the case
 * whose roster is ci: tests, states and medication exceptions come from
 * the case's casemanager; alert histories from it, a medical lead or a
 * buddy of the case. If not, why gets the reason, as a short phrase. */
bool vn_client_record_author_ok(const Vn__CaseInfo *ci, const Vn__RecordNote *rn, const char *from,
                                char *why, size_t size);
/* records.c: keeps rn on this device and sends it end to end to the case's
 * participant and (as far as the roster lists them) its medical leads, and
 * with to_casemanager to the casemanager too (a medical lead sends to the
 * casemanager only, as the policy allows); never to oneself. Returns an
 * exit code; a failure is reported, after `failed` when sending failed. */
int vn_client_send_record(vn_client *c, const Vn__RecordNote *rn, bool to_casemanager,
                          const char *failed);

/* output.c: what the user sees. */

/* Reports an error: plain to stderr, or {"error": {...}} under --json.
 * Returns the exit code for it. */
int vn_client_fail(vn_client *c, vn_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like vn_client_fail for a bad command line: returns EXIT_USAGE. */
int vn_client_fail_usage(vn_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like vn_client_fail for a failed server call, adding the server's message. */
int vn_client_fail_call(vn_client *c, vn_err err, const char *what);

/* JSON string output with escaping (vn_text_json: controls escaped, bytes
 * that are not UTF-8 as \ufffd). Peer text in human output goes through
 * vn_text_put (text.h). */
void vn_json_str(FILE *f, const char *s);
/* Formats ms since the epoch as ISO 8601 UTC into out (size >= 21). */
void vn_iso_time(uint64_t ms, char *out, size_t size);
/* cmd_alerts.c: prints where to turn when someone is in danger now (the
 * built-in crisis lines, or $VANGNET_CRISIS_CONTACTS). */
void vn_client_crisis_contacts(void);

/* session.c: the conversation with the server. */

/* Connects with the profile's pinned server key; VN_ENOTFOUND before join.
 * The connection moves between the server's endpoints (vn_conn) and starts
 * at the one that last answered (config "endpoint_last"). */
vn_err vn_client_connect(vn_client *c);
/* The profile's server endpoints: config "endpoint" holds them
 * comma-separated (a profile of before the list holds one, which reads the
 * same). VN_ENOTFOUND before join. */
vn_err vn_client_endpoints(vn_client *c, vn_endpoints *eps);
/* Stores them (the one that last answered counts while it is among them). */
vn_err vn_client_set_endpoints(vn_client *c, const vn_endpoints *eps);
/* Remembers the endpoint that answered this run, if it is not the one the
 * next run would start at anyway (vn_client_close calls it). */
void vn_client_remember_endpoint(vn_client *c);

/* One request and its reply of the expected type; prints the error and
 * returns its exit code on failure, 0 with *rep set on success (free it
 * with vn_frame_reply_free). */
int vn_client_call(vn_client *c, Vn__Request *req, Vn__Reply__BodyCase want, const char *what,
                   Vn__Reply **rep);
/* This account's case and (if cm is not NULL) its casemanager, from the
 * server; prints the error and returns its exit code on failure. */
int vn_client_own_case(vn_client *c, char case_id[VN_ACCOUNT_HEX + 1], char cm[VN_ACCOUNT_HEX + 1]);
/* The case's care team (and, for its casemanager, the medical leads), to
 * address end-to-end messages; not an audited read. Prints the error and
 * returns its exit code on failure, 0 with *rep set on success. */
int vn_client_roster(vn_client *c, const char *case_id, Vn__Reply **rep);
/* Fetches peer's bundle and starts a session (before a first message, or
 * to learn a key for verification). VN_EUNTRUSTED if peer's key changed. */
vn_err vn_client_start_session(vn_client *c, const char *peer);
/* Keeps keys fresh: rotates the signed prekey when due and refills the
 * server's one-time prekeys below the low-water mark. */
vn_err vn_client_maintain_keys(vn_client *c);
/* Publishes identity, signed prekey and count new one-time prekeys; *left
 * (may be NULL) gets how many the server now holds, *server_ms (may be
 * NULL) the server's time. */
vn_err vn_client_publish_keys(vn_client *c, uint32_t count, uint32_t *left, uint64_t *server_ms);

/* This account's sender certificate (packed, at most VN_SEALED_CERT_MAX
 * bytes) and its server signature, for sealing messages: fetched from the
 * server once per run (the first fetch pins the server's signing key) and
 * cached; when the server cannot be reached, the cached one while it has
 * two days left. VN_EFORGED if the server's answer is signed by another
 * key than the pinned one, or names another account or identity;
 * VN_EEXPIRED (offline) if the cached one is too old. */
vn_err vn_client_sender_cert(vn_client *c, uint8_t *cert, size_t *len, uint8_t *sig);
/* The pinned server signing key (32 bytes) that sender certificates are
 * checked against; pinned now, from a first certificate, if it was not. */
vn_err vn_client_server_sign_key(vn_client *c, uint8_t *key);

/* outbox.c: messages durable before they are sent. */

/* What a send of the outbox did. */
typedef struct vn_flushed {
    size_t sent;    /* accepted by the server */
    size_t refused; /* refused for good, and dropped */
    vn_err refusal; /* the last refusal's code */
    char why[512];  /* and the server's message */
} vn_flushed;

/* Encrypts content for peer (1:1), or for the care team of case_id (sender
 * key) when case_id is not NULL, and queues it in the outbox in the same
 * transaction as the ratchet step; the next send delivers it. */
vn_err vn_outbox_queue(vn_client *c, const char *peer, const char *case_id,
                       const Vn__Content *content);
/* Sends everything in the outbox, oldest first, stopping at the first
 * transient failure (returned; the rest stays queued). A message refused
 * for good is dropped and counted in *f. */
vn_err vn_outbox_send(vn_client *c, vn_flushed *f);
/* Tells the user about refused messages; true if there were any. */
bool vn_outbox_report_refused(vn_client *c, const vn_flushed *f);
/* Says that the outbox keeps its messages after a retryable failure err
 * ("queued; will retry: ..."), with the server's message when it gave one. */
void vn_outbox_report_queued(vn_client *c, vn_err err);
/* The same for `send --stdin` that stopped after `lines` lines of its
 * input: says that nothing after them was read or sent. */
void vn_outbox_report_stopped(vn_client *c, vn_err err, size_t lines);
/* vn_outbox_send, then vn_outbox_report_refused; VN_OK when it is empty. */
vn_err vn_outbox_flush(vn_client *c);

/* show.c: messages as the user sees them (inbox, history). */

/* Where shown messages go: stdout, as text, a JSON array (--json) or one
 * JSON object a line (--json with json_lines). */
typedef struct vn_shower {
    vn_client *c;     /* the profile (for contact names and --json) */
    bool json_lines;  /* one JSON object a line instead of an array */
    bool wide;        /* whole account and case ids beside the names (history --wide) */
    size_t n;         /* messages shown so far */
    bool opened;      /* the JSON array's "[" is out */
    bool reader_gone; /* stdout's reader went away (`| head`): nothing more is shown */
    int state;        /* history: the next item's delivery state (receipt.h), 0 for none */
    /* Called with each item before it is shown (chat: a bell, a new line
     * under its prompt); NULL for none. */
    void (*before)(void *ud, const Vn__Received *r);
    void *ud;
} vn_shower;

/* Starts the output (ignores SIGPIPE, so that a reader that went away is
 * an error of the write, not the end of the process). */
void vn_show_begin(vn_shower *sh);
/* Shows one message and flushes it; on a pipe, waits (briefly) until the
 * reader took it. VN_EIO when the reader is gone or the write failed: the
 * message was not shown. */
vn_err vn_show_item(vn_shower *sh, const Vn__Received *r);
/* Ends the output ("]" of a JSON array). */
void vn_show_end(vn_shower *sh);

/* names_client.c: names where a person reads (names.h has the pure parts). */

/* The local contact name of account, made safe to print, or when it has
 * none its first VN_NAMES_HANDLE_SHOW hex characters; "you" for this
 * profile's own, "-" for none. Into
 * out (VN_CONTACT_NAME_MAX * 4 + 1 bytes hold any name); returns out. For
 * every line a person reads: the whole id belongs in --json and --wide. */
const char *vn_client_label(vn_client *c, const char *account, char *out, size_t size);
/* The short handle of a case: the shortest prefix of its id, at least
 * VN_NAMES_HANDLE_SHOW characters, that no other case this profile knows
 * shares; "-" for none. Into out (33 bytes hold any); returns out. */
const char *vn_client_case_handle(vn_client *c, const char *case_id, char *out, size_t size);
/* Notes that the server named case_id to this profile (a listing, a case
 * read, an alert): handles are then made unique against it and resolve to
 * it. Best effort, outside any transaction. */
void vn_client_case_seen(vn_client *c, const char *case_id);
/* The case id a command line gave: a whole id as it is, or a handle (at
 * least VN_NAMES_HANDLE_MIN hex characters) that starts exactly one case
 * this profile or the server knows for it. Says what is wrong otherwise (an
 * ambiguous handle with its candidates, an unknown one with the cases
 * known) and returns the exit code; 0 with out set. */
int vn_client_case_resolve(vn_client *c, const char *given, char out[VN_ACCOUNT_HEX + 1]);
/* The alert id a command line gave: a whole id as it is, or its start (at
 * least VN_NAMES_HANDLE_MIN hex characters) among the alerts this account
 * sees. Says what is wrong otherwise and returns the exit code; 0 with out
 * set. */
int vn_client_alert_resolve(vn_client *c, const char *given, char out[VN_ACCOUNT_HEX + 1]);
/* Frees the known cases (vn_client_close). */
void vn_client_known_free(vn_client *c);

/* names_intro.c: display names, end to end (Content.introduction). */

/* After a join with a display name: keeps it (for answers) and, for a
 * participant, buddy or naaste, sends it sealed to the case's casemanager
 * and (not for a naaste) the participant and buddies; *sent gets how many.
 * Returns the exit code (said why); what was queued but not sent stays in
 * the outbox. */
int vn_client_intro_join(vn_client *c, const char *name, const char *role, size_t *sent);
/* A received introduction from `from`, inside the caller's transaction:
 * kept as from's contact name when from is in the case it names and has
 * no contact name here yet (a name in use for someone else gets " (2)"
 * and so on). line gets what to show; *answer whether to answer it
 * (vn_client_intro_answer, after the transaction). Returns only errors of
 * the store or of asking the server (the message then comes back). */
vn_err vn_client_intro_take(vn_client *c, const char *from, const Vn__Introduction *iv,
                            bool *answer, char *line, size_t size);
/* Sends this profile's own display name to from, once ever, if it has
 * one. Best effort: printed nothing, queued what it could not send. */
void vn_client_intro_answer(vn_client *c, const char *from, const Vn__Introduction *iv);

/* cmd_inbox.c: the receive path without showing, for the daemon. */

/* One message the receive path stored (committed, not yet acknowledged). */
typedef struct vn_stored {
    const Vn__Received *r;          /* as kept: from, case, time, the text inbox shows */
    const Vn__Notice *notice;       /* a notice from the server, or NULL */
    const Vn__SignalReport *signal; /* a signal report or an SOS, or NULL */
    const Vn__RecordNote *record;   /* a record outcome its sender may author, or NULL */
    const char *identity_changed;   /* with r NULL: this sender's key changed, message held */
    const Vn__Receipt *receipt;     /* with r NULL: a receipt that moved messages of ours */
    const char *receipt_from;       /* and the account it came from */
    size_t receipt_moved;           /* how many of its messages moved forward */
} vn_stored;

/* Set in vn_client.on_stored: called for each message stored, after its
 * transaction committed and before it is acknowledged to the server. */
typedef struct vn_stored_hook {
    void (*fn)(void *ud, const vn_stored *s);
    void *ud;
} vn_stored_hook;

/* Stores the envelopes of a push (envs), or with envs NULL fetches until
 * the mailbox is empty, and acknowledges them; shows nothing: what was
 * stored waits in CDB_UNSHOWN for the next inbox. A message is durable
 * before it is acknowledged, as with inbox. */
vn_err vn_inbox_receive(vn_client *c, const Vn__Envelopes *envs);
/* Subscribes this connection to pushes of new mail. */
vn_err vn_inbox_subscribe(vn_client *c);

/* lock.c: one vangnet process at a time works on a profile. */

/* Takes the profile's lock (nested calls are counted), waiting up to the
 * command's --timeout for another process to let go. VN_ETIMEOUT if it
 * did not, after saying which process holds it; VN_EIO. */
vn_err vn_lock_take(vn_client *c);
/* Lets go of one level; the lock is released when the outermost ends. */
void vn_lock_drop(vn_client *c);
/* Lets go whatever the nesting (vn_client_close). */
void vn_lock_release(vn_client *c);

/* team.c: the care team's sender key. */

/* Most members of a care team a client writes to. */
#define VN_TEAM_MAX 64

/* Makes sure every current team member of case_id holds our sender key
 * and nobody who left does (the key is replaced first if someone left);
 * queues the key for those who lack it. VN_EUNTRUSTED if a member's
 * identity key changed. */
vn_err vn_team_prepare(vn_client *c, const char *case_id);
/* The same for any conversation with a roster: every account of roster (n
 * of them, not ourselves) holds our sender key for id, nobody who held it
 * and is not listed does (the key is replaced first). Used for an
 * intervision group's conversation (group.c). */
vn_err vn_senderkey_prepare(vn_client *c, const char *id, char (*roster)[VN_ACCOUNT_HEX + 1],
                            size_t n);

/* profile_format.c: checks of the profile's store and its format version,
 * called by vn_client_open.
 *
 * The format of the profile store's records, kept in config as "format"
 * (4 bytes, big-endian). A profile of the release before format versions
 * has no such record: it is format 0. */
#define VN_PROFILE_FORMAT 1

/* Before the store is mapped: a profile that has its key file must have
 * its store (a lost store is never replaced by an empty one), and a store
 * file must be whole (vn_kv_check). Says why not (vn_client_fail) and
 * returns VN_EIO (damaged) or VN_ENOTFOUND; VN_OK for a new profile too. */
vn_err vn_profile_check_store(vn_client *c);

/* After the store is opened and its key checked: a new profile gets the
 * current format; an older one is copied (compacted) to
 * data-format<N>-<time>.mdb in the profile and moved forward in one write
 * transaction; a newer one is refused (VN_EVERSION, said why). */
vn_err vn_profile_format(vn_client *c);

#endif
