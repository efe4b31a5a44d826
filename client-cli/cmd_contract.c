/* The monitoring contract from the client: set, show and sign it; the daily
 * check-in; records of contacts, tests and self-help; absences. */
#include "args.h"
#include "report.h"
#include "instructions.h"

#include "vn/frame.h"
#include "vn/terms.h"
#include "vn/schedule.h"
#include "vn/day.h"
#include "vn/parse.h"
#include "vn/wallclock.h"
#include "vn/account.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void print_terms(const Vn__Contract *c)
{
    printf("contract of case ");
    vn_text_put(stdout, c->case_id, "");
    printf(", version %u\n  participant       ", c->version);
    vn_text_put(stdout, c->participant, "");
    printf("\n  start             ");
    vn_text_put(stdout, c->start_date, "");
    printf(" (");
    vn_text_put(stdout, c->time_zone, "");
    printf("), %u months\n", c->months);
    for (size_t i = 0; i < c->n_phases; i++)
        printf("  months %2u-%-2u      about %u tests a month\n", c->phases[i]->from_month,
               c->phases[i]->to_month, c->phases[i]->tests_per_month);
    printf("  casemanager       at least every %u days\n", c->cm_contact_days);
    printf("  buddy contact     at least every %u days\n", c->buddy_contact_days);
    printf("  self-help group   at least every %u days\n", c->selfhelp_days);
    printf("  daily check-in    %02u:%02u-%02u:%02u\n", c->checkin_start_min / 60,
           c->checkin_start_min % 60, c->checkin_end_min / 60, c->checkin_end_min % 60);
    printf("  absences          at most %u days a year\n", c->absence_max_days);
}

static void print_terms_json(const Vn__Contract *c, const Vn__StoredContract *sc)
{
    /* The strings come from the server: escaped like any other. */
    printf("{\"case\": ");
    vn_json_str(stdout, c->case_id);
    printf(", \"version\": %u, \"participant\": ", c->version);
    vn_json_str(stdout, c->participant);
    printf(", \"start\": ");
    vn_json_str(stdout, c->start_date);
    printf(", \"time_zone\": ");
    vn_json_str(stdout, c->time_zone);
    printf(", \"months\": %u, \"phases\": [", c->months);
    for (size_t i = 0; i < c->n_phases; i++)
        printf("%s{\"from_month\": %u, \"to_month\": %u, \"tests_per_month\": %u}", i ? ", " : "",
               c->phases[i]->from_month, c->phases[i]->to_month, c->phases[i]->tests_per_month);
    printf("], \"casemanager_contact_days\": %u, \"buddy_contact_days\": %u, "
           "\"selfhelp_days\": %u, \"checkin_window\": \"%02u:%02u-%02u:%02u\", "
           "\"absence_max_days\": %u, \"signed\": %s, \"signed_version\": %u}\n",
           c->cm_contact_days, c->buddy_contact_days, c->selfhelp_days, c->checkin_start_min / 60,
           c->checkin_start_min % 60, c->checkin_end_min / 60, c->checkin_end_min % 60,
           c->absence_max_days, sc->signature.len ? "true" : "false", sc->signed_version);
}

/* Fetches the newest contract; *c is its unpacked canonical form. Quiet:
 * returns the error code without printing (for a first contract). */
static vn_err fetch_quiet(vn_client *c, const char *case_id, Vn__StoredContract **sc,
                          Vn__Contract **ct)
{
    Vn__Reply *rep = NULL;
    Vn__ContractGet g = VN__CONTRACT_GET__INIT;
    g.case_id = (char *)case_id;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CONTRACT_GET;
    req.contract_get = &g;
    vn_err err = vn_client_connect(c);
    if (!err) err = vn_conn_call(c->conn, &req, &rep);
    if (err) return err;
    if (rep->body_case != VN__REPLY__BODY_STORED_CONTRACT) {
        vn_frame_reply_free(rep);
        return VN_EPROTO;
    }
    *sc = rep->stored_contract;
    rep->stored_contract = NULL;
    rep->body_case = VN__REPLY__BODY__NOT_SET;
    vn_frame_reply_free(rep);
    *ct = vn__contract__unpack(NULL, (*sc)->canonical.len, (*sc)->canonical.data);
    if (*ct) return VN_OK;
    vn__stored_contract__free_unpacked(*sc, NULL);
    return VN_EPROTO;
}

/* Like fetch_quiet, but reports a failure; returns an exit code. */
static int fetch_contract(vn_client *c, const char *case_id, Vn__StoredContract **sc,
                          Vn__Contract **ct)
{
    vn_err err = fetch_quiet(c, case_id, sc, ct);
    return err ? vn_client_fail_call(c, err, "cannot read the contract") : EXIT_OK;
}

/* --phase FROM-TO:RATE */
static bool parse_phase(const char *s, vn_phase *p)
{
    unsigned a, b, r;
    int n = 0;
    if (sscanf(s, "%u-%u:%u%n", &a, &b, &r, &n) != 3 || s[n] || a == 0 || b < a || b > 600 ||
        r > 31)
        return false;
    p->from_month = (uint16_t)a;
    p->to_month = (uint16_t)b;
    p->tests_per_month = (uint16_t)r;
    return true;
}

static bool parse_window(const char *s, vn_terms *t)
{
    unsigned h1, m1, h2, m2;
    int n = 0;
    if (sscanf(s, "%2u:%2u-%2u:%2u%n", &h1, &m1, &h2, &m2, &n) != 4 || s[n] || h1 > 23 || m1 > 59 ||
        h2 > 24 || m2 > 59)
        return false;
    t->checkin_start_min = (uint16_t)(h1 * 60 + m1);
    t->checkin_end_min = (uint16_t)(h2 * 60 + m2);
    return true;
}

/* The whole-number options of `contract set` and the term each sets. */
static const struct number_opt {
    const char *opt; /* the option */
    uint64_t min;    /* smallest value allowed */
    uint64_t max;    /* largest value allowed */
    size_t field;    /* offset of its uint16_t in vn_terms */
} number_opts[] = {
    {"--months", 1, 600, offsetof(vn_terms, months)},
    {"--cm-days", 1, 366, offsetof(vn_terms, cm_contact_days)},
    {"--buddy-days", 1, 366, offsetof(vn_terms, buddy_contact_days)},
    {"--selfhelp-days", 1, 366, offsetof(vn_terms, selfhelp_days)},
    {"--absence-max", 0, 366, offsetof(vn_terms, absence_max_days)},
};

/* Applies the command line's terms over *t; returns an exit code. */
static int read_terms(vn_client *c, const vn_args *a, vn_terms *t)
{
    const char *v;
    uint64_t n;
    int at = 0;
    /* Phases given replace all phases before them. */
    if (vn_args_has(a, "--phase")) t->nphases = 0;
    while ((v = vn_args_next(a, "--phase", &at)))
        if (t->nphases == VN_PHASES_MAX || !parse_phase(v, &t->phases[t->nphases++]))
            return vn_client_fail_usage(c, "--phase wants FROM-TO:RATE such as 1-12:4, not %s", v);
    if ((v = vn_args_get(a, "--window")) && !parse_window(v, t))
        return vn_client_fail_usage(c, "--window wants HH:MM-HH:MM, not %s", v);
    for (size_t i = 0; i < sizeof number_opts / sizeof number_opts[0]; i++) {
        const struct number_opt *o = &number_opts[i];
        if (!(v = vn_args_get(a, o->opt))) continue;
        if (vn_parse_u64(v, o->min, o->max, &n) != VN_OK)
            return vn_args_invalid(c, a, "%s wants a whole number from %llu to %llu, not %s",
                                   o->opt, (unsigned long long)o->min, (unsigned long long)o->max,
                                   v);
        uint16_t u = (uint16_t)n;
        memcpy((char *)t + o->field, &u, sizeof u);
    }
    return EXIT_OK;
}

int vn_cmd_contract_set(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case"), *start = vn_args_get(a, "--start");
    vn_terms t;
    Vn__StoredContract *sc = NULL;
    Vn__Contract *base = NULL;
    vn_terms_default(&t, 0);
    int rc = 0;
    if (!vn_args_case_ok(c, case_id, &rc)) return rc;
    /* A new version starts from the one before it, unless told otherwise. */
    if (!vn_args_has(a, "--template") && fetch_quiet(c, case_id, &sc, &base) == VN_OK) {
        vn_terms_from_pb(base, &t);
        vn__contract__free_unpacked(base, NULL);
        vn__stored_contract__free_unpacked(sc, NULL);
    }
    if ((rc = read_terms(c, a, &t))) return rc;
    Vn__Contract *ct = NULL;
    vn_err err = vn_terms_to_pb(&t, case_id, "", &ct);
    if (!err) {
        /* Start: as given, else the server keeps the previous start or uses today. */
        free(ct->start_date);
        ct->start_date = strdup(start ? start : "");
        if (!ct->start_date) err = VN_ENOMEM;
    }
    if (err) {
        vn__contract__free_unpacked(ct, NULL);
        return vn_client_fail(c, err, "cannot build the contract: %s", vn_err_str(err));
    }
    Vn__ContractSet cs = VN__CONTRACT_SET__INIT;
    cs.contract = ct;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CONTRACT_SET;
    req.contract_set = &cs;
    Vn__Reply *rep = NULL;
    rc = vn_client_call(c, &req, VN__REPLY__BODY_STORED_CONTRACT, "cannot set the contract", &rep);
    vn__contract__free_unpacked(ct, NULL);
    if (rc) return rc;
    Vn__Contract *done = vn__contract__unpack(NULL, rep->stored_contract->canonical.len,
                                              rep->stored_contract->canonical.data);
    if (done && c->json)
        print_terms_json(done, rep->stored_contract);
    else if (done) {
        print_terms(done);
        printf("waiting for the participant's signature (vangnet contract sign)\n");
    }
    if (done) vn__contract__free_unpacked(done, NULL);
    vn_frame_reply_free(rep);
    return EXIT_OK;
}

int vn_cmd_contract_show(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case");
    Vn__StoredContract *sc = NULL;
    Vn__Contract *ct = NULL;
    int rc = 0;
    if (!vn_args_case_ok(c, case_id, &rc) || (rc = fetch_contract(c, case_id, &sc, &ct))) return rc;
    if (c->json) {
        print_terms_json(ct, sc);
    } else {
        print_terms(ct);
        if (sc->signature.len)
            printf("  signed by the participant\n");
        else if (sc->signed_version)
            printf("  NOT YET SIGNED; version %u stays in force until it is\n", sc->signed_version);
        else
            printf("  NOT YET SIGNED\n");
    }
    vn__contract__free_unpacked(ct, NULL);
    vn__stored_contract__free_unpacked(sc, NULL);
    return EXIT_OK;
}

int vn_cmd_contract_sign(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case");
    Vn__StoredContract *sc = NULL;
    Vn__Contract *ct = NULL;
    uint8_t sig[VN_E2EE_SIG_LEN];
    int rc = 0;
    if (!vn_args_case_ok(c, case_id, &rc) || (rc = fetch_contract(c, case_id, &sc, &ct))) return rc;
    /* Sign only a contract that names this account and this case. */
    if (strcmp(ct->participant, c->account) != 0 || strcmp(ct->case_id, case_id) != 0) {
        rc = vn_client_fail(c, VN_EDENIED, "this contract names participant %s, not you",
                            ct->participant);
        goto out;
    }
    vn_err err = vn_e2ee_sign(c->e2ee, sc->canonical.data, sc->canonical.len, sig);
    if (err) {
        rc = vn_client_fail(c, err, "cannot sign: %s", vn_err_str(err));
        goto out;
    }
    Vn__ContractSign s = VN__CONTRACT_SIGN__INIT;
    s.case_id = (char *)case_id;
    s.version = ct->version;
    s.signature = (ProtobufCBinaryData){sizeof sig, sig};
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CONTRACT_SIGN;
    req.contract_sign = &s;
    Vn__Reply *rep = NULL;
    if ((rc = vn_client_call(c, &req, VN__REPLY__BODY_STORED_CONTRACT, "cannot sign", &rep)))
        goto out;
    vn_frame_reply_free(rep);
    if (c->json)
        printf("{\"case\": \"%s\", \"version\": %u, \"signed\": true}\n", case_id, ct->version);
    else
        printf("signed version %u of the contract of case %s\n", ct->version, case_id);
out:
    vn__contract__free_unpacked(ct, NULL);
    vn__stored_contract__free_unpacked(sc, NULL);
    return rc;
}

/* The test-day instructions of this participant's case as one line
 * (instructions.c), or "" when there are none or the case is unknown. */
static void test_day_line(vn_client *c, char *out, size_t size)
{
    char case_id[VN_ACCOUNT_HEX + 1];
    out[0] = '\0';
    if (vn_client_own_case(c, case_id, NULL) == EXIT_OK)
        vn_instructions_test_day_line(c, case_id, out, size);
}

int vn_cmd_checkin(vn_client *c, const vn_args *a)
{
    Vn__Reply *rep = NULL;
    Vn__Checkin ck = VN__CHECKIN__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CHECKIN;
    req.checkin = &ck;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_CHECKED_IN, "cannot check in", &rep);
    if (rc) return rc;
    const Vn__CheckedIn *r = rep->checked_in;
    char day[64], where[512] = "";
    vn_text_field(r->date, day, sizeof day);
    if (r->test_today && !r->absent) test_day_line(c, where, sizeof where);
    if (c->json) {
        printf("{\"test_today\": %s, \"date\": ", r->test_today ? "true" : "false");
        vn_json_str(stdout, r->date);
        printf(", \"absent\": %s, \"window\": ", r->absent ? "true" : "false");
        vn_json_str(stdout, r->window);
        fputs(", \"instructions\": ", stdout);
        if (where[0])
            vn_json_str(stdout, where);
        else
            fputs("null", stdout);
        fputs("}\n", stdout);
    } else if (r->absent)
        printf("%s: checked in. You are on approved absence: no test today.\n", day);
    else if (r->test_today)
        printf("%s: checked in. TODAY IS A TEST DAY: please give your sample today.\n%s\n", day,
               where[0] ? where
                        : "Where and by when: ask your casemanager (no test-day instructions on "
                          "this device yet).");
    else
        printf("%s: checked in. No test today. Thank you.\n", day);
    vn_frame_reply_free(rep);
    return EXIT_OK;
}

/* Sends one Record; prints nothing. */
static int record(vn_client *c, const char *case_id, const char *kind, const char *date)
{
    Vn__Reply *rep = NULL;
    Vn__Record r = VN__RECORD__INIT;
    r.case_id = (char *)case_id;
    r.kind = (char *)kind;
    r.date = (char *)(date ? date : "");
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_RECORD;
    req.record = &r;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_RECORDED, "cannot record", &rep);
    char f1[64], f2[64];
    if (!rc && !c->json)
        printf("recorded %s on %s%s\n", vn_text_field(rep->recorded->kind, f1, sizeof f1),
               vn_text_field(rep->recorded->date, f2, sizeof f2),
               rep->recorded->not_kept ? " (no draw that day: end to end only)" : "");
    vn_frame_reply_free(rep);
    return rc;
}

/* Tells the server that the test of date was not taken after all. */
static int take_back(vn_client *c, const char *case_id, const char *date)
{
    Vn__Reply *rep = NULL;
    Vn__Record r = VN__RECORD__INIT;
    r.case_id = (char *)case_id;
    r.kind = "test";
    r.date = (char *)date;
    r.not_taken = true;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_RECORD;
    req.record = &r;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_RECORDED, "cannot take the test back", &rep);
    if (!rc && !c->json) printf("the server no longer counts a test taken on %s\n", date);
    vn_frame_reply_free(rep);
    return rc;
}

int vn_cmd_contact_record(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case"), *date = vn_args_get(a, "--date");
    bool with_buddy = vn_args_has(a, "--with-buddy");
    char mine[VN_ACCOUNT_HEX + 1];
    char role[32] = {0};
    size_t n = 0;
    vn_client_cfg_get(c, "role", role, sizeof role - 1, &n);
    if (!case_id) {
        int rc = vn_client_own_case(c, mine, NULL);
        if (rc) return rc;
        case_id = mine;
    }
    /* The medium stays on this device; the server learns date and kind. */
    bool buddy = strcmp(role, "buddy") == 0;
    int rc = record(c, case_id, buddy ? "buddy-contact" : "casemanager-contact", date);
    if (!rc && with_buddy && !buddy) rc = record(c, case_id, "buddy-contact", date);
    if (!rc && c->json)
        printf("{\"recorded\": \"%s\", \"date\": \"%s\"}\n",
               buddy ? "buddy-contact" : "casemanager-contact", date ? date : "");
    return rc;
}

int vn_cmd_selfhelp_record(vn_client *c, const vn_args *a)
{
    const char *date = vn_args_get(a, "--date");
    char mine[VN_ACCOUNT_HEX + 1];
    int rc = vn_client_own_case(c, mine, NULL);
    if (!rc) rc = record(c, mine, "selfhelp", date);
    if (!rc && c->json) printf("{\"recorded\": \"selfhelp\"}\n");
    return rc;
}

/* Sends a record's outcome end to end to the case's participant and
 * medical leads and keeps it on this device; the server never sees it.
 * corrects names the outcome it replaces (a correction), or is "". */
static int send_note(vn_client *c, const char *case_id, const char *kind, const char *date,
                     const char *result, const char *note, bool confirmed, const char *corrects)
{
    Vn__RecordNote rn = VN__RECORD_NOTE__INIT;
    rn.corrects = (char *)corrects;
    rn.case_id = (char *)case_id;
    rn.kind = (char *)kind;
    rn.date = (char *)date;
    rn.result = (char *)result;
    rn.note = (char *)note;
    rn.confirmed = confirmed;
    return vn_client_send_record(c, &rn, false, "recorded, but the outcome is not yet delivered");
}

/* The outcome this device has for the case, date and kind (copied into
 * was), or "" when it has none: what a new record would correct. */
static const char *previous(vn_client *c, const char *case_id, const char *date, const char *kind,
                            char *was, size_t size)
{
    Vn__RecordNote *prev = NULL;
    was[0] = '\0';
    if (vn_client_record_previous(c, case_id, date, kind, &prev) != VN_OK) return was;
    vn_client_record_outcome(prev, was, size);
    vn__record_note__free_unpacked(prev, NULL);
    return was;
}

int vn_cmd_test_record(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case"), *date = vn_args_get(a, "--date");
    const char *result = vn_args_pos(a, 0), *note = vn_args_get(a, "--note");
    bool confirmed = vn_args_has(a, "--confirmed");
    int32_t day;
    int rc = 0;
    char was[64] = "";
    if (!vn_args_case_ok(c, case_id, &rc)) return rc;
    if (vn_day_parse(date, &day))
        return vn_args_invalid(c, a, "--date wants YYYY-MM-DD, not %s", date);
    if (confirmed && strcmp(result, "positive") != 0)
        return vn_args_usage(c, a, "--confirmed confirms a positive result, not a %s one", result);
    if (!note) note = "";
    const char *now = vn_test_state_name(vn_test_state_of(result, confirmed));
    /* One result per test: a test already recorded for that day is
     * corrected (the new result replaces it everywhere, and everyone sees
     * the correction), and one recorded the same way is left alone. */
    Vn__RecordNote *prev = NULL;
    vn_err err = vn_client_record_previous(c, case_id, date, "test", &prev);
    if (err && err != VN_ENOTFOUND)
        return vn_client_fail(c, err, "cannot read this device's records: %s", vn_err_str(err));
    if (prev) {
        vn_client_record_outcome(prev, was, sizeof was);
        bool same = strcmp(was, now) == 0 && strcmp(prev->note ? prev->note : "", note) == 0;
        vn__record_note__free_unpacked(prev, NULL);
        if (same) {
            if (c->json)
                printf("{\"recorded\": \"test\", \"date\": \"%s\", \"state\": \"%s\", "
                       "\"unchanged\": true}\n",
                       date, now);
            else
                printf("the test of %s is already recorded as %s: nothing changed, nothing sent\n",
                       date, now);
            return EXIT_OK;
        }
    }
    /* The server counts a test as taken: a missed test is not one, so it
     * stays due (and overdue) there, and only the case team hears why. A
     * correction of a test the server already counts changes nothing
     * there, unless it says the test was missed after all: then the
     * server forgets it. */
    bool was_taken = was[0] && strcmp(was, "missed") != 0;
    if (strcmp(result, "missed") != 0)
        rc = record(c, case_id, "test", date);
    else if (was_taken)
        rc = take_back(c, case_id, date);
    if (rc) return rc;
    rc = send_note(c, case_id, "test", date, result, note, confirmed, was);
    if (rc) return rc;
    if (c->json) {
        printf("{\"recorded\": \"test\", \"date\": \"%s\", \"result\": \"%s\", \"state\": \"%s\", "
               "\"corrects\": ",
               date, result, now);
        if (was[0])
            printf("\"%s\"}\n", was);
        else
            printf("null}\n");
    } else if (was[0])
        printf("corrected the test of %s: %s -> %s (the participant and the medical leads are "
               "told)\n",
               date, was, now);
    else if (strcmp(now, "positive-pending") == 0)
        printf("positive, pending confirmation: the participant and the medical leads see it as "
               "pending until you confirm it (vangnet test record --case %s --date %s positive "
               "--confirmed)\n",
               case_id, date);
    return EXIT_OK;
}
int vn_cmd_state_record(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case"), *state = vn_args_pos(a, 0);
    const char *note = vn_args_get(a, "--note");
    char today[11];
    char was[64];
    int rc = 0;
    if (!vn_args_case_ok(c, case_id, &rc)) return rc;
    if (!note) note = "";
    vn_day_format(vn_day_local(vn_wallclock_ms(), NULL), today); /* the clinician's own date */
    /* A clinical state is never told to the server: the participant and
     * the medical leads (send_note) and this device learn it. Monitoring
     * goes on regardless. */
    rc = send_note(c, case_id, "state", today, state, note, false,
                   previous(c, case_id, today, "state", was, sizeof was));
    if (!rc && !c->json) printf("recorded %s for case %s (end to end only)\n", state, case_id);
    return rc;
}

int vn_cmd_absence_add(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case"), *kind = vn_args_get(a, "--kind");
    const char *from = vn_args_pos(a, 0), *to = vn_args_pos(a, 1);
    if (!kind) kind = "absence";
    int32_t d1, d2;
    if (vn_day_parse(from, &d1) || vn_day_parse(to, &d2) || d2 < d1)
        return vn_client_fail_usage(c,
                                    "FROM and TO must be dates YYYY-MM-DD with FROM not after TO");
    /* A medication exception says something about the participant's health
     * and changes nothing the server enforces: it goes end to end only, to
     * the participant and the medical leads, and stays on this device. */
    if (strcmp(kind, "medication") == 0) {
        char was[64];
        int rc = send_note(c, case_id, "medication", from, to, "", false,
                           previous(c, case_id, from, "medication", was, sizeof was));
        if (rc) return rc;
        if (c->json)
            printf("{\"recorded\": \"medication\", \"from\": \"%s\", \"to\": \"%s\", "
                   "\"end_to_end\": true}\n",
                   from, to);
        else
            printf("recorded medication %s..%s (end to end only)\n", from, to);
        return EXIT_OK;
    }
    Vn__Reply *rep = NULL;
    Vn__AbsenceAdd add = VN__ABSENCE_ADD__INIT;
    add.case_id = (char *)case_id;
    add.from = (char *)from;
    add.to = (char *)to;
    add.kind = (char *)kind;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_ABSENCE_ADD;
    req.absence_add = &add;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_RECORDED, "cannot add the absence", &rep);
    if (rc) return rc;
    if (c->json)
        printf("{\"recorded\": \"%s\", \"from\": \"%s\", \"to\": \"%s\"}\n", kind, from, to);
    else
        printf("recorded %s %s..%s\n", kind, from, to);
    vn_frame_reply_free(rep);
    return EXIT_OK;
}
