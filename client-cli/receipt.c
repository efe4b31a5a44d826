/* Delivery and read receipts, end to end (receipt.h). */
#include "receipt.h"
#include "args.h"

#include "vn/account.h"
#include "vn/array.h"
#include "vn/be.h"
#include "vn/frame.h"
#include "vn/wallclock.h"

#include <stdlib.h>
#include <string.h>

#define STATE_PREFIX "mstate"
#define STATE_KEY    (sizeof STATE_PREFIX - 1 + VN_MSGID_LEN)
#define STATE_VAL    (VN_ACCOUNT_HEX + 1 + 8) /* recipient, state, time changed */
#define READ_CFG     "read_receipts"
#define IDS_MAX      256 /* ids in one receipt message (4 KiB of ids) */

const char *vn_msg_state_name(vn_msg_state s)
{
    switch (s) {
    case VN_MSG_QUEUED:
        return "queued";
    case VN_MSG_SENT:
        return "sent";
    case VN_MSG_DELIVERED:
        return "delivered";
    case VN_MSG_READ:
        return "read";
    case VN_MSG_REFUSED:
        return "refused";
    default:
        return NULL;
    }
}

vn_msg_state vn_msg_state_from_name(const char *name)
{
    for (int s = VN_MSG_QUEUED; name && s <= VN_MSG_REFUSED; s++)
        if (vn_msg_state_name(s) && strcmp(vn_msg_state_name(s), name) == 0) return s;
    return VN_MSG_UNKNOWN;
}

const char *vn_msg_state_mark(vn_msg_state s)
{
    switch (s) {
    case VN_MSG_QUEUED:
        return "… queued";
    case VN_MSG_SENT:
        return "✓ sent";
    case VN_MSG_DELIVERED:
        return "✓✓ delivered";
    case VN_MSG_READ:
        return "✓✓ read";
    case VN_MSG_REFUSED:
        return "✗ refused";
    default:
        return NULL;
    }
}

static void state_key(uint8_t key[STATE_KEY], const uint8_t *id)
{
    memcpy(key, STATE_PREFIX, sizeof STATE_PREFIX - 1);
    memcpy(key + sizeof STATE_PREFIX - 1, id, VN_MSGID_LEN);
}

/* The record of id: recipient into to (33 bytes) and state; VN_ENOTFOUND
 * without one (or with one that is not ours to read). */
static vn_err state_get(vn_client *c, const uint8_t *id, char *to, vn_msg_state *s)
{
    uint8_t key[STATE_KEY], *v = NULL;
    size_t vl = 0;
    state_key(key, id);
    vn_err err = vn_kv_get(c->kv, CDB_CONFIG, key, sizeof key, (void **)&v, &vl);
    if (err) return err;
    if (vl != STATE_VAL || v[VN_ACCOUNT_HEX] > VN_MSG_REFUSED) {
        free(v);
        return VN_ENOTFOUND;
    }
    memcpy(to, v, VN_ACCOUNT_HEX);
    to[VN_ACCOUNT_HEX] = '\0';
    *s = (vn_msg_state)v[VN_ACCOUNT_HEX];
    free(v);
    return VN_OK;
}

static vn_err state_put(vn_client *c, const uint8_t *id, const char *to, vn_msg_state s)
{
    uint8_t key[STATE_KEY], v[STATE_VAL];
    state_key(key, id);
    memcpy(v, to, VN_ACCOUNT_HEX);
    v[VN_ACCOUNT_HEX] = (uint8_t)s;
    vn_be_put64(v + VN_ACCOUNT_HEX + 1, vn_wallclock_ms());
    return vn_kv_put(c->kv, CDB_CONFIG, key, sizeof key, v, sizeof v);
}

vn_err vn_receipt_note_queued(vn_client *c, const char *peer, const uint8_t *id)
{
    if (!vn_account_valid(peer)) return VN_OK; /* not a 1:1 message */
    return state_put(c, id, peer, VN_MSG_QUEUED);
}

void vn_receipt_note_sent(vn_client *c, const uint8_t *id, size_t idlen, bool refused)
{
    char to[VN_ACCOUNT_HEX + 1];
    vn_msg_state s;
    if (idlen != VN_MSGID_LEN || state_get(c, id, to, &s)) return;
    /* A receipt may have come first (this run was killed after the Send). */
    if (refused)
        state_put(c, id, to, VN_MSG_REFUSED);
    else if (s < VN_MSG_SENT)
        state_put(c, id, to, VN_MSG_SENT);
}

vn_msg_state vn_receipt_state(vn_client *c, const uint8_t *id, size_t idlen)
{
    char to[VN_ACCOUNT_HEX + 1];
    vn_msg_state s;
    if (idlen != VN_MSGID_LEN || state_get(c, id, to, &s)) return VN_MSG_UNKNOWN;
    return s;
}

vn_err vn_receipt_take(vn_client *c, const char *from, const Vn__Receipt *r, size_t *taken)
{
    size_t n = 0;
    vn_err err = VN_OK;
    if (taken) *taken = 0;
    /* Only delivered and read can be said by a recipient. */
    if (r->state != VN_MSG_DELIVERED && r->state != VN_MSG_READ) return VN_OK;
    for (size_t i = 0; !err && i < r->n_ids; i++) {
        char to[VN_ACCOUNT_HEX + 1];
        vn_msg_state s;
        if (r->ids[i].len != VN_MSGID_LEN) continue;
        err = state_get(c, r->ids[i].data, to, &s);
        if (err == VN_ENOTFOUND) { /* not a message of ours: ignored */
            err = VN_OK;
            continue;
        }
        /* Only the recipient can say it has it; a refused one never came. */
        if (err || strcmp(to, from) != 0 || s == VN_MSG_REFUSED || s >= r->state) continue;
        if (!(err = state_put(c, r->ids[i].data, to, (vn_msg_state)r->state))) n++;
    }
    if (taken) *taken = n;
    return err;
}

bool vn_receipt_read_enabled(vn_client *c)
{
    char v[4] = "";
    size_t n = 0;
    return vn_client_cfg_get(c, READ_CFG, v, sizeof v - 1, &n) == VN_OK && n == 1 && v[0] == '1';
}

/* Receipts owed to one peer, of one state. */
typedef struct owed {
    char peer[VN_ACCOUNT_HEX + 1];
    vn_msg_state state;
    uint8_t (*ids)[VN_MSGID_LEN];
    size_t n, cap;
} owed;

struct vn_receipts {
    owed *items;
    size_t n, cap;
};

vn_err vn_receipts_new(vn_receipts **out)
{
    return (*out = calloc(1, sizeof **out)) ? VN_OK : VN_ENOMEM;
}

static void clear(vn_receipts *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->items[i].ids);
    rs->n = 0;
}

void vn_receipts_free(vn_receipts **rp)
{
    if (!*rp) return;
    clear(*rp);
    free((*rp)->items);
    free(*rp);
    *rp = NULL;
}

vn_err vn_receipts_add(vn_receipts *rs, const char *peer, const uint8_t *id, size_t idlen,
                       vn_msg_state state)
{
    owed *o = NULL;
    vn_err err;
    if (idlen != VN_MSGID_LEN || !vn_account_valid(peer)) return VN_OK;
    for (size_t i = 0; i < rs->n && !o; i++)
        if (rs->items[i].state == state && strcmp(rs->items[i].peer, peer) == 0) o = &rs->items[i];
    if (!o) {
        if ((err = vn_array_reserve(&rs->items, &rs->cap, rs->n + 1, sizeof *rs->items, 4096)))
            return err;
        o = &rs->items[rs->n++];
        memset(o, 0, sizeof *o);
        snprintf(o->peer, sizeof o->peer, "%s", peer);
        o->state = state;
    }
    if ((err = vn_array_reserve(&o->ids, &o->cap, o->n + 1, sizeof *o->ids, 1u << 20))) return err;
    memcpy(o->ids[o->n++], id, VN_MSGID_LEN);
    return VN_OK;
}

bool vn_receipts_pending(const vn_receipts *rs)
{
    return rs && rs->n > 0;
}

vn_err vn_receipts_shown(vn_client *c, vn_receipts *rs, const Vn__Received *r)
{
    const char *from = r->from ? r->from : "";
    if ((r->case_id && r->case_id[0]) || (r->to && r->to[0]) || !vn_account_valid(from) ||
        strcmp(from, c->account) == 0)
        return VN_OK;
    /* Looked up each time: a chat stays open while the setting changes. */
    if (!vn_receipt_read_enabled(c)) return VN_OK;
    return vn_receipts_add(rs, from, r->id.data, r->id.len, VN_MSG_READ);
}

/* Queues one receipt message of ids[0..n) to o->peer. */
static vn_err queue_one(vn_client *c, const owed *o, size_t at, size_t n)
{
    ProtobufCBinaryData ids[IDS_MAX];
    Vn__Receipt r = VN__RECEIPT__INIT;
    Vn__Content content = VN__CONTENT__INIT;
    for (size_t i = 0; i < n; i++)
        ids[i] = (ProtobufCBinaryData){VN_MSGID_LEN, o->ids[at + i]};
    r.state = o->state;
    r.n_ids = n;
    r.ids = ids;
    content.text = "";
    content.sent_ms = vn_wallclock_ms();
    content.receipt = &r;
    return vn_outbox_queue(c, o->peer, NULL, &content);
}

vn_err vn_receipts_send(vn_client *c, vn_receipts *rs)
{
    vn_err err = VN_OK;
    vn_flushed fl;
    char role[32] = {0};
    size_t rl = 0;
    if (rs->n == 0) return VN_OK;
    /* An anonymous first contact sends none: its messages a day are few
     * (the server bounds them, and cannot tell a receipt from a message),
     * and what it writes must not wait behind receipts. */
    vn_client_cfg_get(c, "role", role, sizeof role - 1, &rl);
    if (strcmp(role, "visitor") == 0) {
        clear(rs);
        return VN_OK;
    }
    for (size_t i = 0; !err && i < rs->n; i++) {
        const owed *o = &rs->items[i];
        /* A message came from them, so a session is there; if it is not
         * (a message held and then dropped), no receipt is owed. */
        if (!vn_e2ee_has_session(c->e2ee, o->peer)) continue;
        for (size_t at = 0; !err && at < o->n; at += IDS_MAX)
            err = queue_one(c, o, at, o->n - at < IDS_MAX ? o->n - at : IDS_MAX);
    }
    clear(rs);
    if (err) return err;
    /* What the server cannot take now waits in the outbox. */
    err = vn_outbox_send(c, &fl);
    vn_outbox_report_refused(c, &fl);
    return err;
}

int vn_cmd_settings_read_receipts(vn_client *c, const vn_args *a)
{
    const char *v = vn_args_pos(a, 0);
    if (!v) {
        bool on = vn_receipt_read_enabled(c);
        if (c->json)
            printf("{\"read_receipts\": %s}\n", on ? "true" : "false");
        else
            printf("read receipts %s\n", on ? "on: people who write to you see when you read it"
                                            : "off: people see when your device has a message, "
                                              "not when you read it");
        return EXIT_OK;
    }
    bool on = strcmp(v, "on") == 0;
    vn_err err = vn_client_cfg_put(c, READ_CFG, on ? "1" : "0", 1);
    if (err) return vn_client_fail(c, err, "cannot keep the setting: %s", vn_err_str(err));
    if (c->json)
        printf("{\"read_receipts\": %s}\n", on ? "true" : "false");
    else
        printf("read receipts %s\n", on ? "on" : "off");
    return EXIT_OK;
}
