/* Notices from the server as sentences. One table says, per notice kind
 * (and, where it matters, the reader's role, whether the reader raised the
 * alert, and the item), what the reader is told and which command to run.
 * The command must be one that works for that reader: a buddy claims an
 * SOS but never acknowledges a signal (the server refuses it), commands
 * that need --case are given it, and the participant is not reminded of
 * the casemanager's own contact.
 *
 * A template's placeholders, filled from the notice:
 *   %c short case reference   %C full case id (for commands)   %d date
 *   %u until (HH:MM)          %v contract version              %a alert id
 *   %s severity               %k "signal" or "SOS"             %i item, in words
 *   %b who (a local contact name, else "account 1a2b3c4d")     %m minutes
 *   %l who has an escalated alert now, as the reporter reads it
 *   %L "; the casemanager has been told too" when it has       %% a percent sign
 * Everything filled in comes from the server or the contact list; the
 * caller shows the result through the text filter like any other line. */
#include "notice.h"
#include "announce.h"

#include <stdint.h>
#include <string.h>

#define ANY_ROLE   NULL
#define ANY_ITEM   NULL
#define ANY_REPORT (-1)

typedef struct notice_row {
    const char *kind;     /* the notice kind */
    const char *role;     /* the reader's role, or ANY_ROLE */
    int reporter;         /* 1: to who raised the alert, 0: to others, ANY_REPORT */
    const char *item;     /* the item, or ANY_ITEM */
    const char *sentence; /* the template */
} notice_row;

/* First match wins: specific rows before the general ones of a kind. */
static const notice_row rows[] = {
    {"contract-set", "participant", ANY_REPORT, ANY_ITEM,
     "Version %v of your contract (case %c) waits for your signature. Read it: vangnet contract "
     "show --case %C; then sign it: vangnet contract sign --case %C"},
    {"contract-set", ANY_ROLE, ANY_REPORT, ANY_ITEM,
     "Version %v of the contract of case %c was set on %d; it holds once the participant signs "
     "it."},
    {"contract-signed", "participant", ANY_REPORT, ANY_ITEM,
     "You signed version %v of your contract (case %c); it is in force."},
    {"contract-signed", ANY_ROLE, ANY_REPORT, ANY_ITEM,
     "The participant signed version %v of the contract of case %c; it is in force."},
    {"checkin-open", ANY_ROLE, ANY_REPORT, ANY_ITEM,
     "Your check-in for today (%d) is open until %u: vangnet checkin"},
    {"checkin-closing", ANY_ROLE, ANY_REPORT, ANY_ITEM,
     "You have not checked in today (%d); the window closes at %u: vangnet checkin"},
    {"checkin-missed", ANY_ROLE, ANY_REPORT, ANY_ITEM,
     "The participant of case %c did not check in on %d."},
    {"reminder", "casemanager", ANY_REPORT, "casemanager-contact",
     "Your contact with the participant of case %c is due by %d. Once you have spoken, record "
     "it: vangnet contact record --case %C --kind call|video|in-person|chat"},
    {"reminder", "participant", ANY_REPORT, "buddy-contact",
     "A contact with one of your buddies is due by %d: get in touch with them (they record it)."},
    {"reminder", "participant", ANY_REPORT, "selfhelp",
     "A self-help group meeting is due by %d; once you have been, record it: vangnet selfhelp "
     "record"},
    {"reminder", ANY_ROLE, ANY_REPORT, ANY_ITEM, "A %i is due by %d in case %c."},
    {"overdue", "casemanager", ANY_REPORT, "casemanager-contact",
     "Your contact with the participant of case %c was due by %d and is overdue. Record it once "
     "it took place: vangnet contact record --case %C --kind call|video|in-person|chat"},
    {"overdue", "casemanager", ANY_REPORT, "test",
     "The test of %d in case %c has no result yet. Record it: vangnet test record --case %C "
     "--date %d negative|positive|dilute|missed"},
    {"overdue", ANY_ROLE, ANY_REPORT, ANY_ITEM,
     "The participant's %i in case %c was due by %d and is overdue."},
    {"alert", "casemanager", ANY_REPORT, ANY_ITEM,
     "A new %s signal was raised in case %c. Once you have acted, acknowledge it: vangnet ack %a"},
    {"alert", ANY_ROLE, ANY_REPORT, ANY_ITEM, "A new %s signal was raised in case %c (alert %a)."},
    {"sos", "buddy", ANY_REPORT, ANY_ITEM,
     "SOS: the participant of case %c asks for help now. Take it: vangnet claim %a"},
    {"sos", ANY_ROLE, ANY_REPORT, ANY_ITEM, "An SOS was sent in case %c (alert %a)."},
    {"sos-claimed", ANY_ROLE, 1, ANY_ITEM, "Your SOS was claimed by %b, who will be in touch."},
    {"sos-claimed", "buddy", ANY_REPORT, ANY_ITEM,
     "%b claimed the SOS of case %c; nothing more for you to do."},
    {"sos-claimed", ANY_ROLE, ANY_REPORT, ANY_ITEM, "%b claimed the SOS of case %c."},
    {"sos-unclaimed", "buddy", ANY_REPORT, ANY_ITEM,
     "The SOS of case %c has waited %m minutes and nobody has taken it%L. Take it: vangnet "
     "claim %a"},
    {"sos-unclaimed", ANY_ROLE, ANY_REPORT, ANY_ITEM,
     "The SOS of case %c has waited %m minutes unclaimed%L."},
    {"sos-reopened", "buddy", ANY_REPORT, ANY_ITEM,
     "The buddy who had claimed the SOS of case %c left the case; it is open again. Take it: "
     "vangnet claim %a"},
    {"sos-reopened", ANY_ROLE, ANY_REPORT, ANY_ITEM, "The SOS of case %c is open again."},
    {"escalated", ANY_ROLE, 1, ANY_ITEM,
     "Your %k was not answered in time and has gone to %l (case %c)."},
    {"escalated", "casemanager", ANY_REPORT, ANY_ITEM,
     "The %s %k of case %c was not answered in time and is now yours. Once you have acted, "
     "acknowledge it: vangnet ack %a"},
    {"escalated", "medical-lead", ANY_REPORT, ANY_ITEM,
     "The %s %k of case %c was not acknowledged in time and has reached you as medical lead. Once "
     "you have acted, acknowledge it: vangnet ack %a"},
    {"escalated", ANY_ROLE, ANY_REPORT, ANY_ITEM, "The %s %k of case %c was escalated (alert %a)."},
    {"acknowledged", ANY_ROLE, 1, ANY_ITEM,
     "Your %k (case %c) was acknowledged by %b: it is being taken care of."},
    {"acknowledged", ANY_ROLE, ANY_REPORT, ANY_ITEM,
     "The %s %k of case %c was acknowledged by %b; nothing more to do for it (alert %a)."},
    {"disclosure", "participant", ANY_REPORT, ANY_ITEM,
     "A disclosure was recorded on %d in case %c: your casemanager and a medical lead have each "
     "attested that the safety of you or of patients is at risk and that you take no action to "
     "avert it, which allows them to inform a party outside Vangnet. It is in your audit log "
     "(vangnet audit); talk it through with your casemanager."},
    {"disclosure", ANY_ROLE, ANY_REPORT, ANY_ITEM,
     "A disclosure was recorded on %d in case %c (both gates attested by the casemanager and a "
     "medical lead)."},
};

static const char *str(const char *s)
{
    return s ? s : "";
}

static void role_of(vn_client *c, char *role, size_t size)
{
    size_t n = 0;
    memset(role, 0, size);
    if (vn_client_cfg_get(c, "role", role, size - 1, &n) != VN_OK) role[0] = '\0';
}

static const notice_row *row_for(const Vn__Notice *n, const char *role)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const notice_row *r = &rows[i];
        if (strcmp(r->kind, str(n->kind)) != 0) continue;
        if (r->role && strcmp(r->role, role) != 0) continue;
        if (r->reporter != ANY_REPORT && r->reporter != (int)n->reporter) continue;
        if (r->item && strcmp(r->item, str(n->item)) != 0) continue;
        return r;
    }
    return NULL;
}

static const char *item_words(const char *item)
{
    static const char *const words[][2] = {
        {"casemanager-contact", "casemanager contact"},
        {"buddy-contact", "buddy contact"},
        {"selfhelp", "self-help group meeting"},
        {"checkin", "check-in"},
        {"test", "test"},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(words[i][0], item) == 0) return words[i][1];
    return item;
}

/* Appends to a bounded buffer; what does not fit is cut off. */
typedef struct outbuf {
    char *p;
    size_t size, len;
} outbuf;

static void put(outbuf *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + 1 >= o->size) return;
    if (n > o->size - 1 - o->len) n = o->size - 1 - o->len;
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* Who an account is to this reader: its local name, else a short id. */
static void who(const char *account, const char *label, char *out, size_t size)
{
    if (label)
        snprintf(out, size, "%s", label);
    else if (account && account[0])
        snprintf(out, size, "account %.8s", account);
    else
        snprintf(out, size, "someone");
}

static void fill(const Vn__Notice *n, const char *by_name, const char *tpl, outbuf *o)
{
    char tmp[VN_CONTACT_NAME_MAX + 32];
    bool sos = strcmp(str(n->item), "sos") == 0;
    for (const char *p = tpl; *p; p++) {
        if (*p != '%' || !p[1]) {
            char ch[2] = {*p, '\0'};
            put(o, ch);
            continue;
        }
        switch (*++p) {
        case 'c':
            snprintf(tmp, sizeof tmp, "%.8s", str(n->case_id));
            put(o, tmp);
            break;
        case 'C':
            put(o, str(n->case_id));
            break;
        case 'd':
            put(o, str(n->date));
            break;
        case 'u':
            put(o, str(n->until));
            break;
        case 'v':
            snprintf(tmp, sizeof tmp, "%u", n->version);
            put(o, tmp);
            break;
        case 'a':
            put(o, str(n->alert));
            break;
        case 's':
            put(o, str(n->severity));
            break;
        case 'k':
            put(o, sos ? "SOS" : "signal");
            break;
        case 'i':
            put(o, item_words(str(n->item)));
            break;
        case 'b':
            who(n->by, by_name, tmp, sizeof tmp);
            put(o, tmp);
            break;
        case 'm':
            snprintf(tmp, sizeof tmp, "%u", n->minutes);
            put(o, tmp);
            break;
        case 'l':
            put(o, strcmp(str(n->level), "medical-lead") == 0 ? "the medical lead"
                                                              : "your casemanager");
            break;
        case 'L':
            if (strcmp(str(n->level), "casemanager") == 0)
                put(o, "; the casemanager has been told too");
            break;
        default:
            put(o, "%");
            break;
        }
    }
}

void vn_notice_render(const Vn__Notice *n, const char *role, const char *by_name, char *text,
                      size_t size)
{
    outbuf o = {text, size, 0};
    if (!size) return;
    text[0] = '\0';
    if (!role) role = "";
    put(&o, str(n->kind));
    put(&o, ": ");
    const notice_row *r = row_for(n, role);
    if (r) {
        fill(n, by_name, r->sentence, &o);
        return;
    }
    /* A kind this client does not know yet (a newer server): its fields. */
    char line[256];
    snprintf(line, sizeof line, "%s %s (case %.8s)", str(n->item), str(n->date), str(n->case_id));
    put(&o, line);
}

/* An account as the reader knows it: their contact name, else the id. */
static const char *label(void *ud, const char *account, char *out, size_t size)
{
    return vn_client_name_of(ud, account, out, size);
}

void vn_notice_text(vn_client *c, const Vn__Notice *n, char *text, size_t size)
{
    /* Announcements (a member left, a new casemanager, a case closed or
     * reopened) have their own lines (announce.c). */
    if (vn_announce_text_labelled(n, label, c, text, size)) return;
    char role[32], name[VN_CONTACT_NAME_MAX + 1];
    role_of(c, role, sizeof role);
    const char *by_name = n->by && n->by[0] ? vn_client_name_of(c, n->by, name, sizeof name) : NULL;
    vn_notice_render(n, role, by_name, text, size);
}

static void json_field(FILE *f, const char *name, const char *value)
{
    if (!value || !value[0]) return;
    fprintf(f, ", \"%s\": ", name);
    vn_json_str(f, value);
}

void vn_notice_json(vn_client *c, FILE *f, const Vn__Notice *n)
{
    char text[1024], by[VN_CONTACT_NAME_MAX + 1];
    fputs("\"kind\": ", f);
    vn_json_str(f, str(n->kind));
    json_field(f, "item", n->item);
    json_field(f, "case", n->case_id);
    json_field(f, "date", n->date);
    if (n->version) fprintf(f, ", \"version\": %u", n->version);
    json_field(f, "alert", n->alert);
    json_field(f, "severity", n->severity);
    json_field(f, "by", n->by);
    if (n->by && n->by[0]) json_field(f, "by_name", vn_client_name_of(c, n->by, by, sizeof by));
    json_field(f, "until", n->until);
    if (n->reporter) fputs(", \"reporter\": true", f);
    json_field(f, "level", n->level);
    if (n->minutes) fprintf(f, ", \"minutes\": %u", n->minutes);
    json_field(f, "account", n->account);
    json_field(f, "role", n->role);
    json_field(f, "previous", n->previous);
    json_field(f, "reopen_until", n->reopen_until);
    vn_notice_text(c, n, text, sizeof text);
    fputs(", \"text\": ", f);
    vn_json_str(f, text);
}

void vn_notice_signal_hint(vn_client *c, bool sos, const char *alert, char *text, size_t size)
{
    char role[32];
    role_of(c, role, sizeof role);
    vn_notice_hint_for(role, sos, alert, text, size);
}

void vn_notice_hint_for(const char *role, bool sos, const char *alert, char *text, size_t size)
{
    if (sos && strcmp(role, "buddy") == 0)
        snprintf(text, size, " -- take it: vangnet claim %s", alert);
    else if (sos)
        snprintf(text, size, " -- alert %s", alert);
    else if (strcmp(role, "casemanager") != 0)
        snprintf(text, size, " -- alert %s (the casemanager acknowledges it)", alert);
    else
        snprintf(text, size, " -- once you have acted: vangnet ack %s", alert);
}
