/* Signals, SOS, claims, acknowledgements, the alert list and disclosure
 * attestations. What was observed travels end to end; the server learns
 * only the case, kind and severity of an alert. */
#include "args.h"
#include "names.h"

#include "vn/frame.h"
#include "vn/signals.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define CODES_MAX 32
#define NOTE_MAX  4000

static const char default_crisis[] =
    "113 Zelfmoordpreventie: call 113 or 0800-0113 (free, day and night)\n"
    "112 in an emergency";

static void crisis_contacts_to(FILE *f)
{
    const char *env = getenv("VANGNET_CRISIS_CONTACTS");
    fprintf(f, "If you or someone is in danger now:\n%s\n", env && env[0] ? env : default_crisis);
}

void vn_client_crisis_contacts(void)
{
    crisis_contacts_to(stdout);
}

/* A crisis that could not be raised (the server out of reach, the case
 * closed, a refusal): the numbers that work without Vangnet, after the
 * error, on stderr so that --json output stays one JSON value. */
static int crisis_failed(int rc, const char *what)
{
    fprintf(stderr, "vangnet: %s may not have reached anyone.\n", what);
    crisis_contacts_to(stderr);
    return rc;
}

static int signal_list(vn_client *c)
{
    if (c->json) printf("[");
    for (size_t i = 0; i < vn_signals_count(); i++) {
        const vn_signal *s = vn_signals_at(i);
        if (c->json) {
            printf("%s{\"code\": \"%s\", \"phase\": \"%s\", \"nl\": ", i ? ", " : "", s->code,
                   vn_signals_phase_name(s->phase));
            vn_json_str(stdout, s->nl);
            printf(", \"en\": ");
            vn_json_str(stdout, s->en);
            printf("}");
        } else {
            printf("%-4s %-8s %s / %s\n", s->code, vn_signals_phase_name(s->phase), s->en, s->nl);
        }
    }
    if (c->json) printf("]\n");
    return EXIT_OK;
}

/* Raises the alert on the server; *alert gets its id. */
static int raise_alert(vn_client *c, const char *case_id, const char *kind, vn_severity sev,
                       char alert[VN_ACCOUNT_HEX + 1])
{
    Vn__Reply *rep = NULL;
    Vn__AlertRaise ar = VN__ALERT_RAISE__INIT;
    ar.case_id = (char *)case_id;
    ar.kind = (char *)kind;
    ar.severity = (char *)vn_signals_severity_name(sev);
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_ALERT_RAISE;
    req.alert_raise = &ar;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_ALERT_INFO, "cannot raise the alert", &rep);
    if (rc) return rc;
    /* Printed and sent on: only an id of the right shape is taken. */
    bool ok = rep->alert_info->alert && vn_account_valid(rep->alert_info->alert);
    if (ok) snprintf(alert, VN_ACCOUNT_HEX + 1, "%s", rep->alert_info->alert);
    vn_frame_reply_free(rep);
    return ok ? EXIT_OK
              : vn_client_fail(c, VN_EPROTO,
                               "cannot raise the alert: the server's reply names no "
                               "valid alert id");
}

static vn_err send_report(vn_client *c, const char *to, const Vn__SignalReport *sr)
{
    Vn__Content content = VN__CONTENT__INIT;
    content.text = "";
    content.signal = (Vn__SignalReport *)sr;
    vn_err err = VN_OK;
    if (!vn_e2ee_has_session(c->e2ee, to)) err = vn_client_start_session(c, to);
    if (!err) err = vn_outbox_queue(c, to, NULL, &content);
    return err;
}

static int signal_run(vn_client *c, const vn_args *a)
{
    const char *note = vn_args_get(a, "--note"), *case_id = vn_args_get(a, "--case"), *bad = NULL;
    const char *const *codes = (const char *const *)a->pos;
    char mine[VN_ACCOUNT_HEX + 1], alert[VN_ACCOUNT_HEX + 1], cm[VN_ACCOUNT_HEX + 1];
    size_t ncodes = (size_t)a->npos;
    bool buddies = vn_args_has(a, "--to-buddies");
    vn_severity sev;
    if (vn_args_has(a, "--list")) {
        if (a->npos || a->ngiven > 1) return vn_args_usage(c, a, "--list takes nothing else");
        return signal_list(c);
    }
    if (ncodes == 0) return vn_args_usage(c, a, "CODE is missing (see vangnet signal --list)");
    if (ncodes > CODES_MAX) return vn_args_usage(c, a, "at most %d codes in one report", CODES_MAX);
    if (!note) note = "";
    if (strlen(note) > NOTE_MAX)
        return vn_client_fail(c, VN_ETOOBIG, "the note is longer than %d bytes", NOTE_MAX);
    if (vn_signals_severity(codes, ncodes, &sev, &bad))
        return vn_client_fail_usage(c, "unknown signal code %s (see vangnet signal --list)",
                                    bad ? bad : "");
    /* Reporters report about their own case; the casemanager gets it. */
    int rc = vn_client_own_case(c, mine, cm);
    if (rc) return rc;
    if (case_id && strcmp(case_id, mine) != 0)
        return vn_client_fail(c, VN_EDENIED, "you report signals for your own case (%s)", mine);
    case_id = mine;
    if ((rc = raise_alert(c, case_id, "signal", sev, alert))) return rc;
    Vn__SignalReport sr = VN__SIGNAL_REPORT__INIT;
    sr.alert = alert;
    sr.case_id = (char *)case_id;
    sr.kind = "signal";
    sr.codes = (char **)codes;
    sr.n_codes = ncodes;
    sr.note = (char *)note;
    sr.severity = (char *)vn_signals_severity_name(sev);
    vn_err err = send_report(c, cm, &sr);
    char role[32] = {0};
    size_t rl = 0;
    vn_client_cfg_get(c, "role", role, sizeof role - 1, &rl);
    /* A participant's own report may also go to their buddies. */
    if (!err && buddies && strcmp(role, "participant") == 0) {
        Vn__Reply *rep = NULL;
        if ((rc = vn_client_roster(c, case_id, &rep))) return rc;
        for (size_t i = 0; !err && i < rep->case_info->n_members; i++)
            if (strcmp(rep->case_info->members[i]->role, "buddy") == 0)
                err = send_report(c, rep->case_info->members[i]->account, &sr);
        vn_frame_reply_free(rep);
    }
    if (!err) err = vn_outbox_flush(c);
    if (err)
        return vn_client_fail_call(c, err,
                                   "the alert is raised but the report is not yet delivered");
    uint32_t hours = vn_signals_ack_minutes(sev) / 60;
    if (c->json) {
        printf("{\"alert\": \"%s\", \"severity\": \"%s\"}\n", alert, vn_signals_severity_name(sev));
    } else {
        printf("Reported (%s). Your casemanager has it and must respond within %u hour%s;\n"
               "if not, the medical lead is told.\n",
               vn_signals_severity_name(sev), hours, hours == 1 ? "" : "s");
        if (sev == VN_SEV_CRISIS) vn_client_crisis_contacts();
    }
    return EXIT_OK;
}

/* A crisis-level signal that could not be raised shows the crisis numbers. */
int vn_cmd_signal(vn_client *c, const vn_args *a)
{
    vn_severity sev;
    const char *bad = NULL;
    int rc = signal_run(c, a);
    if (rc && a->npos && !vn_args_has(a, "--list") &&
        vn_signals_severity((const char *const *)a->pos, (size_t)a->npos, &sev, &bad) == VN_OK &&
        sev == VN_SEV_CRISIS)
        return crisis_failed(rc, "the crisis signal");
    return rc;
}

static int send_sos(vn_client *c, const vn_args *a)
{
    char mine[VN_ACCOUNT_HEX + 1], alert[VN_ACCOUNT_HEX + 1], cm[VN_ACCOUNT_HEX + 1];
    const char *text = a->npos ? vn_args_pos(a, 0) : "";
    if (strlen(text) > NOTE_MAX) return vn_client_fail(c, VN_ETOOBIG, "the text is too long");
    int rc = vn_client_own_case(c, mine, cm);
    if (!rc) rc = raise_alert(c, mine, "sos", VN_SEV_URGENT, alert);
    if (rc) return rc;
    Vn__Reply *rep = NULL;
    if ((rc = vn_client_roster(c, mine, &rep))) return rc;
    Vn__SignalReport sr = VN__SIGNAL_REPORT__INIT;
    sr.alert = alert;
    sr.case_id = mine;
    sr.kind = "sos";
    sr.note = (char *)text;
    sr.severity = "urgent";
    vn_err err = VN_OK;
    size_t nb = 0;
    for (size_t i = 0; !err && i < rep->case_info->n_members; i++)
        if (strcmp(rep->case_info->members[i]->role, "buddy") == 0) {
            err = send_report(c, rep->case_info->members[i]->account, &sr);
            nb++;
        }
    vn_frame_reply_free(rep);
    if (!err) err = vn_outbox_flush(c);
    if (err) return vn_client_fail_call(c, err, "the SOS is raised but not yet delivered");
    if (c->json)
        printf("{\"alert\": \"%s\", \"buddies\": %zu}\n", alert, nb);
    else {
        printf("SOS sent to your %zu budd%s. The first to answer takes it; if nobody does soon,\n"
               "your casemanager is told.\n",
               nb, nb == 1 ? "y" : "ies");
        vn_client_crisis_contacts();
    }
    return EXIT_OK;
}

/* Whatever stops an SOS, the crisis numbers are shown. */
int vn_cmd_sos(vn_client *c, const vn_args *a)
{
    int rc = send_sos(c, a);
    return rc ? crisis_failed(rc, "the SOS") : EXIT_OK;
}

/* An acknowledged alert is deleted on the server: its history goes end to
 * end to the participant, the casemanager and (when listed) the medical
 * leads, who keep it as a record of the case. */
static int send_history(vn_client *c, const Vn__AlertInfo *a)
{
    char raised[32], acked[32], day[11], result[64], note[160];
    vn_iso_time(a->created_ms, raised, sizeof raised);
    vn_iso_time(a->acked_ms, acked, sizeof acked);
    snprintf(day, sizeof day, "%.10s", raised);
    snprintf(result, sizeof result, "%s %s acknowledged", a->kind, a->severity);
    snprintf(note, sizeof note, "alert %.8s raised %s%s%.8s, acknowledged %s by %.8s", a->alert,
             raised, a->claimed_by[0] ? ", claimed by " : "", a->claimed_by, acked, c->account);
    Vn__RecordNote rn = VN__RECORD_NOTE__INIT;
    rn.case_id = a->case_id;
    rn.kind = "alert";
    rn.date = day;
    rn.result = result;
    rn.note = note;
    return vn_client_send_record(c, &rn, true,
                                 "acknowledged, but its history is not yet delivered to the team");
}

static int alert_op(vn_client *c, const vn_args *args, bool claim)
{
    Vn__Reply *rep = NULL;
    char alert[VN_ACCOUNT_HEX + 1];
    int rc = vn_client_alert_resolve(c, vn_args_pos(args, 0), alert);
    if (rc) return rc;
    Vn__AlertClaim cl = VN__ALERT_CLAIM__INIT;
    Vn__AlertAck ak = VN__ALERT_ACK__INIT;
    cl.alert = ak.alert = alert;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = claim ? VN__REQUEST__BODY_ALERT_CLAIM : VN__REQUEST__BODY_ALERT_ACK;
    if (claim)
        req.alert_claim = &cl;
    else
        req.alert_ack = &ak;
    rc = vn_client_call(c, &req, VN__REPLY__BODY_ALERT_INFO,
                        claim ? "cannot claim" : "cannot acknowledge", &rep);
    if (rc) return rc;
    const Vn__AlertInfo *a = rep->alert_info;
    char f1[80], f2[80];
    if (c->json) {
        fputs("{\"alert\": ", stdout);
        vn_json_str(stdout, a->alert);
        fputs(", \"state\": ", stdout);
        vn_json_str(stdout, a->state);
        fputs("}\n", stdout);
    } else {
        char by[VN_CONTACT_NAME_MAX * 4 + 1];
        bool claimed = a->claimed_by && a->claimed_by[0];
        printf("alert %s is %s%s%s\n", vn_text_field(a->alert, f1, sizeof f1),
               vn_text_field(a->state, f2, sizeof f2), claimed ? ", claimed by " : "",
               claimed ? vn_client_label(c, a->claimed_by, by, sizeof by) : "");
    }
    if (!claim) rc = send_history(c, a);
    vn_frame_reply_free(rep);
    return rc;
}

int vn_cmd_claim(vn_client *c, const vn_args *a)
{
    return alert_op(c, a, true);
}

int vn_cmd_ack(vn_client *c, const vn_args *a)
{
    return alert_op(c, a, false);
}

static void print_alert(vn_client *c, const Vn__AlertInfo *a, bool first, bool wide, size_t hlen)
{
    char when[32], name[VN_CONTACT_NAME_MAX + 1];
    const char *claimed = a->claimed_by ? a->claimed_by : "";
    vn_iso_time(a->created_ms, when, sizeof when);
    vn_client_case_seen(c, a->case_id);
    /* Every string is the server's (a name a contact's): escaped. */
    if (c->json) {
        static const char *const keys[] = {"alert",    "case",  "kind",
                                           "severity", "state", "claimed_by"};
        const char *vals[] = {a->alert, a->case_id, a->kind, a->severity, a->state, a->claimed_by};
        fputs(first ? "{" : ", {", stdout);
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            printf("%s\"%s\": ", i ? ", " : "", keys[i]);
            vn_json_str(stdout, vals[i]);
        }
        if (claimed[0] && vn_client_name_of(c, claimed, name, sizeof name)) {
            fputs(", \"claimed_by_name\": ", stdout);
            vn_json_str(stdout, name);
        }
        printf(", \"level\": %u, \"created\": \"%s\"}", a->level, when);
        return;
    }
    /* The case by its handle and the claimer by name (or a short id);
     * --wide adds the whole ids. */
    char f[6][80], handle[VN_ACCOUNT_HEX + 1], by[VN_CONTACT_NAME_MAX * 4 + 1];
    /* The alert by the start of its id that tells it from the others
     * listed (claim and ack take it). */
    printf("%-*.*s  %-6s %-7s %-12s case %s  %s", (int)hlen, wide ? 32 : (int)hlen,
           vn_text_field(a->alert, f[0], sizeof f[0]), vn_text_field(a->kind, f[1], sizeof f[1]),
           vn_text_field(a->severity, f[2], sizeof f[2]),
           vn_text_field(a->state, f[3], sizeof f[3]),
           wide ? vn_text_field(a->case_id, f[4], sizeof f[4])
                : vn_client_case_handle(c, a->case_id, handle, sizeof handle),
           when);
    if (claimed[0]) printf("  claimed by %s", vn_client_label(c, claimed, by, sizeof by));
    if (claimed[0] && wide) printf(" (%s)", vn_text_field(claimed, f[5], sizeof f[5]));
    printf("\n");
}

/* How many characters of its id each alert of a page shows: enough to
 * tell it from the others of the page, at least VN_NAMES_HANDLE_SHOW. */
static size_t alert_handle_len(const Vn__AlertsView *v)
{
    size_t len = VN_NAMES_HANDLE_SHOW;
    const char **ids = calloc(v->n_alerts ? v->n_alerts : 1, sizeof *ids);
    if (!ids) return VN_ACCOUNT_HEX;
    for (size_t i = 0; i < v->n_alerts; i++)
        ids[i] = v->alerts[i]->alert ? v->alerts[i]->alert : "";
    for (size_t i = 0; i < v->n_alerts; i++) {
        size_t n = vn_names_unique_len(ids[i], ids, v->n_alerts, VN_NAMES_HANDLE_SHOW);
        if (n > len) len = n;
    }
    free(ids);
    return len;
}

/* The server sends a page at a time (most severe, then oldest, first).
 * Without --all the first page is shown and the rest counted; with --all
 * the pages are followed. --json stays one array; the count of the rest
 * goes to stderr so the array's shape does not change. */
int vn_cmd_alerts(vn_client *c, const vn_args *args)
{
    bool all = vn_args_has(args, "--all"), first = true;
    char cursor[128] = "";
    uint32_t rest = 0;
    if (c->json) printf("[");
    for (;;) {
        Vn__Reply *rep = NULL;
        Vn__AlertList al = VN__ALERT_LIST__INIT;
        Vn__Request req = VN__REQUEST__INIT;
        al.cursor = cursor;
        req.body_case = VN__REQUEST__BODY_ALERT_LIST;
        req.alert_list = &al;
        int rc = vn_client_call(c, &req, VN__REPLY__BODY_ALERTS_VIEW, "cannot list alerts", &rep);
        if (rc) {
            /* Standard output stays one JSON array (of the pages read); the
             * error and the exit code say the list is cut short. */
            if (c->json) printf("]\n");
            return rc;
        }
        const Vn__AlertsView *v = rep->alerts_view;
        size_t hlen = alert_handle_len(v);
        for (size_t i = 0; i < v->n_alerts; i++, first = false)
            print_alert(c, v->alerts[i], first, vn_args_has(args, "--wide"), hlen);
        bool next = v->more && v->cursor && v->cursor[0] && strlen(v->cursor) < sizeof cursor;
        rest = v->more ? v->remaining : 0;
        if (next) memcpy(cursor, v->cursor, strlen(v->cursor) + 1);
        vn_frame_reply_free(rep);
        if (!all || !next) break;
    }
    if (c->json)
        printf("]\n");
    else if (first)
        printf("no alerts\n");
    if (rest) fprintf(c->json ? stderr : stdout, "more: %u (vangnet alerts --all)\n", rest);
    return EXIT_OK;
}

int vn_cmd_disclosure_attest(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case");
    bool safety = vn_args_has(a, "--safety-at-risk"),
         noaction = vn_args_has(a, "--no-action-taken");
    int rc = 0;
    if (!vn_args_case_ok(c, case_id, &rc)) return rc;
    Vn__Reply *rep = NULL;
    Vn__DisclosureAttest da = VN__DISCLOSURE_ATTEST__INIT;
    da.case_id = (char *)case_id;
    da.safety_at_risk = safety;
    da.no_action_taken = noaction;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_DISCLOSURE_ATTEST;
    req.disclosure_attest = &da;
    rc = vn_client_call(c, &req, VN__REPLY__BODY_ATTESTED, "cannot attest", &rep);
    if (rc) return rc;
    char f[80];
    if (c->json) {
        printf("{\"recorded\": %s, \"waiting_for\": ", rep->attested->recorded ? "true" : "false");
        vn_json_str(stdout, rep->attested->waiting_for);
        fputs("}\n", stdout);
    } else if (rep->attested->recorded)
        printf("disclosure recorded: both gates attested by casemanager and medical lead; the "
               "participant is told\n");
    else
        printf("attestation stored; nothing is recorded until the %s attests too\n",
               vn_text_field(rep->attested->waiting_for, f, sizeof f));
    vn_frame_reply_free(rep);
    return EXIT_OK;
}

/* The profile's record of the quiet hours it last set: the server has no
 * request that reads them back, and they are the user's own setting. */
#define QUIET_CFG "quiet_hours"

/* quiet-hours without an argument: the setting last made from here. */
static int quiet_hours_show(vn_client *c)
{
    char when[16];
    size_t n = 0;
    vn_err err = vn_client_cfg_get(c, QUIET_CFG, when, sizeof when - 1, &n);
    if (err && err != VN_ENOTFOUND)
        return vn_client_fail(c, err, "cannot read the quiet hours: %s", vn_err_str(err));
    when[err ? 0 : n] = '\0';
    if (c->json) {
        fputs("{\"quiet_hours\": ", stdout);
        if (when[0])
            printf("\"%s\"}\n", when);
        else
            fputs("null}\n", stdout);
    } else if (!when[0])
        printf("no quiet hours set from this profile: concern-level alerts come at once\n");
    else if (strcmp(when, "off") == 0)
        printf("quiet hours off\n");
    else
        printf("quiet hours %s: concern-level alerts wait until they end\n", when);
    return EXIT_OK;
}

int vn_cmd_quiet_hours(vn_client *c, const vn_args *a)
{
    const char *when = vn_args_pos(a, 0);
    if (!when) return quiet_hours_show(c);
    unsigned h1, m1, h2, m2;
    int n = 0;
    Vn__QuietHours q = VN__QUIET_HOURS__INIT;
    if (strcmp(when, "off") == 0) {
        q.off = true;
    } else if (sscanf(when, "%2u:%2u-%2u:%2u%n", &h1, &m1, &h2, &m2, &n) == 4 && when[n] == '\0' &&
               h1 < 24 && m1 < 60 && h2 < 24 && m2 < 60) {
        q.start_min = h1 * 60 + m1;
        q.end_min = h2 * 60 + m2;
    } else {
        return vn_args_invalid(c, a, "%s is not HH:MM-HH:MM or off", when);
    }
    Vn__Reply *rep = NULL;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_QUIET_HOURS;
    req.quiet_hours = &q;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_RECORDED, "cannot set quiet hours", &rep);
    if (rc) return rc;
    vn_frame_reply_free(rep);
    /* Only a shape the parser above accepted is kept (at most 11 bytes). */
    if (vn_client_cfg_put(c, QUIET_CFG, when, strlen(when)) != VN_OK)
        fprintf(stderr, "vangnet: set, but this profile could not note it for quiet-hours to "
                        "show\n");
    if (c->json)
        printf("{\"quiet_hours\": \"%s\"}\n", when);
    else if (q.off)
        printf("quiet hours off\n");
    else
        printf("quiet hours %s: concern-level alerts wait until they end; urgent and crisis "
               "ones never wait\n",
               when);
    return EXIT_OK;
}
