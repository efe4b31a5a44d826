/* Each stored message becomes one typed event: the fields a program needs
 * without parsing the line inbox shows (which every event also carries as
 * "text"). Notices from the server become alert, reminder, contract or
 * notice events by their kind; end-to-end signal reports and SOS become
 * alert events too, with "source": "end-to-end". */
#include "events.h"

#include "receipt.h"

#include "vn/hex.h"

#include <stdio.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
    json_t *v = s && s[0] ? json_string(s) : NULL;
    return v ? v : json_null(); /* absent, or not UTF-8 */
}

/* Peer text for a notification: one line, controls as spaces, capped. */
static void clean(char *out, size_t size, const char *s)
{
    size_t n = 0;
    for (; s && *s && n + 1 < size; s++)
        out[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
    out[n] = '\0';
}

/* A notice's action on an alert. */
static const char *alert_action(const char *kind)
{
    if (!strcmp(kind, "alert") || !strcmp(kind, "sos")) return "raised";
    if (!strcmp(kind, "sos-claimed")) return "claimed";
    if (!strcmp(kind, "escalated")) return "escalated";
    if (!strcmp(kind, "sos-reopened")) return "reopened";
    if (strstr(kind, "ack") || strstr(kind, "answer")) return "acknowledged";
    return kind;
}

/* "SOS raised (case 1a2b3c4d): vangnet claim ID", "urgent alert escalated (case ...)". */
static void alert_text(const Vn__Notice *n, const char *action, bool sos, vn_event_note *note)
{
    bool raised = strcmp(action, "raised") == 0;
    snprintf(note->text, sizeof note->text, "%s%s %s (case %.8s)%s%s",
             sos           ? "SOS"
             : n->severity ? n->severity
                           : "",
             sos ? "" : " alert", action, n->case_id ? n->case_id : "",
             sos && raised ? ": vangnet claim " : "", sos && raised ? n->alert : "");
}

static json_t *notice_event(const Vn__Notice *n, vn_event_note *note)
{
    const char *kind = n->kind ? n->kind : "";
    json_t *ev;
    if (n->alert && n->alert[0]) {
        const char *action = alert_action(kind);
        ev = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "kind", "alert", "source",
                       "server", "action", action, "alert", n->alert, "alert_kind",
                       str_or_null(n->item), "severity", str_or_null(n->severity), "notice", kind,
                       "by", str_or_null(n->by));
        snprintf(note->kind, sizeof note->kind, "alert");
        bool sos = n->item && !strcmp(n->item, "sos");
        alert_text(n, action, sos, note);
        note->concern = n->severity && !strcmp(n->severity, "concern") && !sos;
        snprintf(note->dedupe, sizeof note->dedupe, "%s/%s", n->alert, action);
    } else if (!strncmp(kind, "contract-", 9)) {
        ev = json_pack("{s:s, s:s, s:i, s:o}", "kind", "contract", "action", kind + 9, "version",
                       (int)n->version, "date", str_or_null(n->date));
        snprintf(note->kind, sizeof note->kind, "contract");
        snprintf(note->text, sizeof note->text, "Contract %s: version %u (case %.8s)", kind + 9,
                 n->version, n->case_id ? n->case_id : "");
    } else {
        bool remind = strstr(kind, "remind") != NULL;
        ev = json_pack("{s:s, s:s, s:o, s:o}", "kind", remind ? "reminder" : "notice", "notice",
                       kind, "item", str_or_null(n->item), "date", str_or_null(n->date));
        snprintf(note->kind, sizeof note->kind, "%s", remind ? "reminder" : "notice");
        snprintf(note->text, sizeof note->text, "%s: %s %s (case %.8s)", remind ? "Reminder" : kind,
                 n->item ? n->item : "", n->date ? n->date : "", n->case_id ? n->case_id : "");
    }
    if (ev) json_object_set_new(ev, "case", str_or_null(n->case_id));
    return ev;
}

/* An end-to-end signal report or SOS from a case's member. */
static json_t *signal_event(const Vn__SignalReport *sr, const char *who, bool with_content,
                            vn_event_note *note)
{
    bool sos = sr->kind && !strcmp(sr->kind, "sos");
    json_t *codes = json_array();
    for (size_t i = 0; codes && i < sr->n_codes; i++)
        json_array_append_new(codes, json_string(sr->codes[i]));
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "kind", "alert", "source",
                  "end-to-end", "action", "raised", "alert", str_or_null(sr->alert), "alert_kind",
                  str_or_null(sr->kind), "severity", str_or_null(sr->severity), "case",
                  str_or_null(sr->case_id), "codes", codes, "note", str_or_null(sr->note));
    char n[200];
    clean(n, sizeof n, sr->note);
    snprintf(note->kind, sizeof note->kind, "alert");
    snprintf(note->text, sizeof note->text, "%s from %s%s%s%s%s", sos ? "SOS" : "Signal report",
             who, sos ? ": vangnet claim " : "", sos && sr->alert ? sr->alert : "",
             with_content && n[0] ? " - " : "", with_content ? n : "");
    note->concern = !sos && sr->severity && !strcmp(sr->severity, "concern");
    snprintf(note->dedupe, sizeof note->dedupe, "%s/raised", sr->alert ? sr->alert : "");
    return ev;
}

static json_t *record_event(const Vn__RecordNote *rn)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:b, s:o}", "case", str_or_null(rn->case_id), "kind",
                     str_or_null(rn->kind), "date", str_or_null(rn->date), "result",
                     str_or_null(rn->result), "confirmed", rn->confirmed, "note",
                     str_or_null(rn->note));
}

/* A message, 1:1 or to a care team, or a record outcome. */
static json_t *message_event(const vn_stored *s, const char *who, bool with_content,
                             vn_event_note *note)
{
    const Vn__Received *r = s->r;
    bool team = r->case_id && r->case_id[0];
    json_t *ev = json_pack("{s:s, s:o}", "kind", team ? "team-message" : "message", "case",
                           str_or_null(team ? r->case_id : NULL));
    if (ev && s->record) json_object_set_new(ev, "record", record_event(s->record));
    char t[200];
    clean(t, sizeof t, r->text);
    snprintf(note->kind, sizeof note->kind, "%s", team ? "team-message" : "message");
    snprintf(note->text, sizeof note->text, "%s from %s%s%.8s%s%s%s",
             s->record ? "Record"
             : team    ? "Team message"
                       : "Message",
             who, team ? " (case " : "", team ? r->case_id : "", team ? ")" : "",
             with_content ? ": " : "", with_content ? t : "");
    return ev;
}

/* Messages of ours that reached (or were read on) a recipient's device:
 * for views that show ticks, never a notification. */
static json_t *receipt_event(vn_client *c, const vn_stored *s, vn_event_note *note)
{
    char name[128], id[33];
    const char *state = vn_msg_state_name((vn_msg_state)s->receipt->state);
    const char *nm = vn_client_name_of(c, s->receipt_from, name, sizeof name);
    json_t *ids = json_array();
    note->notify = false;
    snprintf(note->kind, sizeof note->kind, "receipt");
    for (size_t i = 0; ids && i < s->receipt->n_ids; i++) {
        if (s->receipt->ids[i].len != 16) continue;
        vn_hex_encode(s->receipt->ids[i].data, 16, id);
        json_array_append_new(ids, json_string(id));
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:i}", "kind", "receipt", "from", s->receipt_from,
                     "from_name", str_or_null(nm), "state", str_or_null(state), "ids",
                     ids ? ids : json_array(), "moved", (json_int_t)s->receipt_moved);
}

json_t *vn_event_of(vn_client *c, const vn_stored *s, bool with_content, vn_event_note *note)
{
    char name[128], id[65] = "", when[32];
    memset(note, 0, sizeof *note);
    note->notify = true;
    if (s->identity_changed) {
        const char *nm = vn_client_name_of(c, s->identity_changed, name, sizeof name);
        snprintf(note->kind, sizeof note->kind, "identity-changed");
        snprintf(note->text, sizeof note->text,
                 "The safety number with %s changed: their messages wait until you verify it",
                 nm ? nm : s->identity_changed);
        return json_pack("{s:s, s:s, s:o}", "kind", "identity-changed", "account",
                         s->identity_changed, "name", str_or_null(nm));
    }
    if (s->receipt) return receipt_event(c, s, note);
    const Vn__Received *r = s->r;
    const char *nm = r->from ? vn_client_name_of(c, r->from, name, sizeof name) : NULL;
    const char *who = nm ? nm : r->from ? r->from : "";
    json_t *ev;
    if (s->notice)
        ev = notice_event(s->notice, note);
    else if (s->signal)
        ev = signal_event(s->signal, who, with_content, note);
    else
        ev = message_event(s, who, with_content, note);
    if (!ev) return NULL;
    if (r->id.len && r->id.len <= 32) vn_hex_encode(r->id.data, r->id.len, id);
    vn_iso_time(r->time_ms, when, sizeof when);
    json_object_set_new(ev, "id", json_string(id));
    json_object_set_new(ev, "from", str_or_null(r->from));
    if (nm) json_object_set_new(ev, "from_name", json_string(nm));
    json_object_set_new(ev, "time", json_string(when));
    json_t *text = json_string(r->text ? r->text : "");
    json_object_set_new(ev, "text", text ? text : json_null());
    return ev;
}
