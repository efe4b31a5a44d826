/* Test-day instructions (instructions.h): set by the casemanager, sent end
 * to end to the participant, kept on both devices in the config database
 * under "instr:" and the case id. */
#include "args.h"
#include "instructions.h"

#include "vn/frame.h"
#include "vn/account.h"
#include "vn/wallclock.h"

#include <stdlib.h>
#include <string.h>

#define KEY_PREFIX "instr:"

static void key_of(const char *case_id, char *key, size_t size)
{
    snprintf(key, size, KEY_PREFIX "%.32s", case_id);
}

vn_err vn_instructions_get(vn_client *c, const char *case_id, Vn__TestInstructions **out)
{
    char key[48];
    uint8_t buf[1024];
    size_t n = 0;
    *out = NULL;
    if (!vn_account_valid(case_id)) return VN_ENOTFOUND;
    key_of(case_id, key, sizeof key);
    vn_err err = vn_client_cfg_get(c, key, buf, sizeof buf, &n);
    if (err) return err;
    *out = vn__test_instructions__unpack(NULL, n, buf);
    return *out ? VN_OK : VN_EPROTO;
}

static vn_err keep(vn_client *c, const Vn__TestInstructions *ti)
{
    char key[48];
    uint8_t buf[1024];
    size_t n = vn__test_instructions__get_packed_size(ti);
    if (n > sizeof buf) return VN_ETOOBIG;
    vn__test_instructions__pack(ti, buf);
    key_of(ti->case_id, key, sizeof key);
    return vn_client_cfg_put(c, key, buf, n);
}

/* "at SITE, HOURS, before CUTOFF", made safe to print. */
static void where_when(const Vn__TestInstructions *ti, char *out, size_t size)
{
    char site[VN_INSTR_SITE_MAX * 2], hours[VN_INSTR_HOURS_MAX * 2], cut[16];
    vn_text_field(ti->site, site, sizeof site);
    vn_text_field(ti->hours, hours, sizeof hours);
    vn_text_field(ti->cutoff, cut, sizeof cut);
    snprintf(out, size, "at %s%s%s%s%s", site, hours[0] ? ", " : "", hours,
             cut[0] ? ", before " : "", cut);
}

bool vn_instructions_test_day_line(vn_client *c, const char *case_id, char *out, size_t size)
{
    Vn__TestInstructions *ti = NULL;
    char ww[600];
    out[0] = '\0';
    if (vn_instructions_get(c, case_id, &ti) != VN_OK) return false;
    where_when(ti, ww, sizeof ww);
    snprintf(out, size, "Test today %s.", ww);
    vn__test_instructions__free_unpacked(ti, NULL);
    return true;
}

vn_err vn_instructions_take(vn_client *c, const Vn__CaseInfo *ci, const char *from,
                            const Vn__TestInstructions *ti, char *line, size_t size)
{
    char ww[600], why[128] = "";
    where_when(ti, ww, sizeof ww);
    /* Only the casemanager of the case sets where its tests are given: a
     * site from anyone else could send the participant to the wrong place. */
    if (!vn_account_valid(ti->case_id))
        snprintf(why, sizeof why, "they name no valid case");
    else if (!ci)
        snprintf(why, sizeof why, "case %.8s is unknown, closed or not yours", ti->case_id);
    else if (!ci->casemanager || strcmp(ci->casemanager, from) != 0)
        snprintf(why, sizeof why, "only the casemanager of case %.8s sets them", ti->case_id);
    if (why[0]) {
        snprintf(line, size, "[not instructions: %s] test days %s", why, ww);
        return VN_OK;
    }
    snprintf(line, size,
             "[instructions] on a test day, give your sample %s (case %.8s; shown again at "
             "check-in on a test day)",
             ww, ti->case_id);
    return keep(c, ti);
}

/* --cutoff HH:MM */
static bool cutoff_ok(const char *s)
{
    unsigned h, m;
    int n = 0;
    return strlen(s) == 5 && sscanf(s, "%2u:%2u%n", &h, &m, &n) == 2 && n == 5 && h < 24 && m < 60;
}

/* Printable one-line text: no control characters (a site is shown on a
 * line of the client's own). */
static bool line_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

static void print_instructions(vn_client *c, const Vn__TestInstructions *ti, const char *what)
{
    char ww[600];
    if (c->json) {
        fputs("{\"case\": ", stdout);
        vn_json_str(stdout, ti->case_id);
        fputs(", \"site\": ", stdout);
        vn_json_str(stdout, ti->site);
        fputs(", \"hours\": ", stdout);
        vn_json_str(stdout, ti->hours);
        fputs(", \"cutoff\": ", stdout);
        vn_json_str(stdout, ti->cutoff);
        printf(", \"%s\": true}\n", what);
        return;
    }
    where_when(ti, ww, sizeof ww);
    printf("test-day instructions of case %.32s: give the sample %s\n", ti->case_id, ww);
}

/* Without --site: the instructions this device keeps. */
static int show(vn_client *c, const char *case_id)
{
    char mine[VN_ACCOUNT_HEX + 1];
    int rc;
    if (!case_id) {
        if ((rc = vn_client_own_case(c, mine, NULL))) return rc;
        case_id = mine;
    }
    Vn__TestInstructions *ti = NULL;
    vn_err err = vn_instructions_get(c, case_id, &ti);
    if (err == VN_ENOTFOUND) {
        if (c->json)
            printf("{\"case\": \"%s\", \"site\": null}\n", case_id);
        else
            printf("no test-day instructions for case %s on this device yet\n", case_id);
        return EXIT_OK;
    }
    if (err) return vn_client_fail(c, err, "cannot read the instructions: %s", vn_err_str(err));
    print_instructions(c, ti, "kept");
    vn__test_instructions__free_unpacked(ti, NULL);
    return EXIT_OK;
}

int vn_cmd_contract_instructions(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case"), *site = vn_args_get(a, "--site");
    const char *hours = vn_args_get(a, "--hours"), *cutoff = vn_args_get(a, "--cutoff");
    int rc = 0;
    if (case_id && !vn_args_case_ok(c, case_id, &rc)) return rc;
    if (!site && !hours && !cutoff) return show(c, case_id);
    if (!case_id) return vn_args_usage(c, a, "setting instructions needs --case");
    if (!site || !cutoff)
        return vn_args_usage(c, a, "setting instructions needs --site and --cutoff");
    if (!line_ok(site, VN_INSTR_SITE_MAX))
        return vn_args_invalid(c, a, "--site wants 1 to %d characters on one line",
                               VN_INSTR_SITE_MAX);
    if (hours && !line_ok(hours, VN_INSTR_HOURS_MAX))
        return vn_args_invalid(c, a, "--hours wants 1 to %d characters on one line",
                               VN_INSTR_HOURS_MAX);
    if (!cutoff_ok(cutoff)) return vn_args_invalid(c, a, "--cutoff wants HH:MM, not %s", cutoff);
    Vn__TestInstructions ti = VN__TEST_INSTRUCTIONS__INIT;
    ti.case_id = (char *)case_id;
    ti.site = (char *)site;
    ti.hours = (char *)(hours ? hours : "");
    ti.cutoff = (char *)cutoff;
    ti.set_ms = vn_wallclock_ms();
    /* The roster says who the participant is, and refuses anyone but the
     * case's casemanager, as the server refuses them a case they do not
     * manage. */
    Vn__Reply *rep = NULL;
    if ((rc = vn_client_roster(c, case_id, &rep))) return rc;
    const Vn__CaseInfo *ci = rep->case_info;
    if (!ci->casemanager || strcmp(ci->casemanager, c->account) != 0) {
        vn_frame_reply_free(rep);
        return vn_client_fail(c, VN_EDENIED,
                              "only the casemanager of case %s sets its test-day instructions",
                              case_id);
    }
    Vn__Content content = VN__CONTENT__INIT;
    content.text = "";
    content.instructions = &ti;
    size_t sent = 0;
    vn_err err = keep(c, &ti);
    for (size_t i = 0; !err && i < ci->n_members; i++) {
        const char *to = ci->members[i]->account;
        if (strcmp(ci->members[i]->role, "participant") != 0 || !to) continue;
        if (!vn_e2ee_has_session(c->e2ee, to)) err = vn_client_start_session(c, to);
        if (!err) err = vn_outbox_queue(c, to, NULL, &content);
        sent += !err;
    }
    vn_frame_reply_free(rep);
    if (!err) err = vn_outbox_flush(c);
    if (err) return vn_client_fail_call(c, err, "kept here, but not yet sent to the participant");
    if (!c->json && !sent)
        printf("kept; the case has no participant yet: set them again once they have joined\n");
    print_instructions(c, &ti, sent ? "sent" : "kept");
    return EXIT_OK;
}
