/* Unit tests of the notice sentences (client-cli/notice.c, built from its
 * source): every kind read by every role names only commands that role may
 * run (a buddy never acknowledges, the participant never claims or
 * acknowledges, commands that need --case get the full case id), names
 * replace ids where the reader has one, the reporter's notices speak to
 * the reporter, and a short buffer is cut off, never overrun. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "notice.h"

/* notice.c's profile-bound functions call these; the pure ones tested here
 * do not, so they only have to link. */
vn_err vn_client_cfg_get(vn_client *c, const char *key, void *out, size_t size, size_t *len)
{
    (void)c, (void)key, (void)out, (void)size, (void)len;
    return VN_ENOTFOUND;
}

const char *vn_client_name_of(vn_client *c, const char *account, char *name, size_t size)
{
    (void)c, (void)account, (void)name, (void)size;
    return NULL;
}

void vn_json_str(FILE *f, const char *s)
{
    fprintf(f, "\"%s\"", s);
}

#define CASE  "0123456789abcdef0123456789abcdef"
#define ALERT "fedcba9876543210fedcba9876543210"
#define BY    "a1b2c3d4e5f60718293a4b5c6d7e8f90"

static const char *const roles[] = {"participant",  "buddy", "naaste", "casemanager",
                                    "medical-lead", "admin", ""};
static const char *const kinds[] = {
    "reminder",      "overdue",         "checkin-missed", "checkin-open", "checkin-closing",
    "contract-set",  "contract-signed", "alert",          "sos",          "sos-claimed",
    "sos-unclaimed", "escalated",       "acknowledged",   "sos-reopened", "disclosure"};
static const char *const items[] = {
    "casemanager-contact", "buddy-contact", "selfhelp", "checkin", "test", "signal", "sos"};

static Vn__Notice make(const char *kind, const char *item, bool reporter, const char *level)
{
    Vn__Notice n = VN__NOTICE__INIT;
    n.kind = (char *)kind;
    n.item = (char *)item;
    n.case_id = CASE;
    n.date = "2027-02-03";
    n.version = 2;
    n.alert = ALERT;
    n.severity = "urgent";
    n.by = BY;
    n.until = "14:00";
    n.reporter = reporter;
    n.level = (char *)level;
    n.minutes = 6;
    return n;
}

static void render(const Vn__Notice *n, const char *role, const char *name, char *out, size_t size)
{
    vn_notice_render(n, role, name, out, size);
}

/* Whatever the kind, item and flags: no command the reader's role cannot run. */
static void test_commands_fit_the_role(void **state)
{
    (void)state;
    char text[1024];
    for (size_t r = 0; r < sizeof roles / sizeof roles[0]; r++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
                for (int rep = 0; rep < 2; rep++) {
                    Vn__Notice n = make(kinds[k], items[i], rep, "casemanager");
                    render(&n, roles[r], NULL, text, sizeof text);
                    bool ack = strstr(text, "vangnet ack") != NULL;
                    bool claim = strstr(text, "vangnet claim") != NULL;
                    /* Who may acknowledge: the casemanager, a medical lead (an
                     * escalated alert), the buddy who claimed (not told here). */
                    if (ack)
                        assert_true(strcmp(roles[r], "casemanager") == 0 ||
                                    strcmp(roles[r], "medical-lead") == 0);
                    if (claim) assert_string_equal(roles[r], "buddy");
                    if (strcmp(roles[r], "participant") == 0) {
                        assert_null(strstr(text, "contact record"));
                        assert_null(strstr(text, "test record"));
                    }
                    /* A command that needs --case has the full id. */
                    const char *cmds[] = {"contract show", "contract sign", "contact record",
                                          "test record"};
                    for (size_t c = 0; c < 4; c++)
                        if (strstr(text, cmds[c])) {
                            char want[128];
                            snprintf(want, sizeof want, "%s --case " CASE, cmds[c]);
                            assert_non_null(strstr(text, want));
                        }
                    /* Every sentence starts with its kind. */
                    assert_int_equal(strncmp(text, kinds[k], strlen(kinds[k])), 0);
                    assert_int_equal(text[strlen(kinds[k])], ':');
                }
}

static void test_sentences(void **state)
{
    (void)state;
    char text[1024];
    Vn__Notice n = make("contract-set", "", false, "");
    render(&n, "participant", NULL, text, sizeof text);
    assert_string_equal(text, "contract-set: Version 2 of your contract (case 01234567) waits for "
                              "your signature. Read it: vangnet contract show --case " CASE
                              "; then sign it: vangnet contract sign --case " CASE);
    n = make("checkin-closing", "checkin", false, "");
    render(&n, "participant", NULL, text, sizeof text);
    assert_string_equal(text, "checkin-closing: You have not checked in today (2027-02-03); the "
                              "window closes at 14:00: vangnet checkin");
    n = make("reminder", "casemanager-contact", false, "");
    render(&n, "casemanager", NULL, text, sizeof text);
    assert_non_null(strstr(text, "Your contact with the participant of case 01234567 is due by "
                                 "2027-02-03"));
    /* The participant is never told it is their contact to make. */
    render(&n, "participant", NULL, text, sizeof text);
    assert_null(strstr(text, "Your contact"));
    n = make("sos", "sos", false, "");
    render(&n, "buddy", NULL, text, sizeof text);
    assert_string_equal(text, "sos: SOS: the participant of case 01234567 asks for help now. "
                              "Take it: vangnet claim " ALERT);
}

static void test_reporter_and_names(void **state)
{
    (void)state;
    char text[1024];
    Vn__Notice n = make("sos-claimed", "sos", true, "");
    render(&n, "participant", "anna", text, sizeof text);
    assert_string_equal(text, "sos-claimed: Your SOS was claimed by anna, who will be in touch.");
    render(&n, "participant", NULL, text, sizeof text);
    assert_string_equal(text,
                        "sos-claimed: Your SOS was claimed by account a1b2c3d4, who will be in "
                        "touch.");
    n = make("sos-claimed", "sos", false, "");
    render(&n, "buddy", "bob", text, sizeof text);
    assert_string_equal(text,
                        "sos-claimed: bob claimed the SOS of case 01234567; nothing more for you "
                        "to do.");
    n = make("escalated", "signal", true, "medical-lead");
    render(&n, "naaste", NULL, text, sizeof text);
    assert_string_equal(text, "escalated: Your signal was not answered in time and has gone to "
                              "the medical lead (case 01234567).");
    n = make("escalated", "sos", true, "casemanager");
    render(&n, "participant", NULL, text, sizeof text);
    assert_non_null(strstr(text, "Your SOS was not answered in time and has gone to your "
                                 "casemanager"));
    n = make("acknowledged", "signal", true, "");
    render(&n, "buddy", "Mr Jansen", text, sizeof text);
    assert_string_equal(text, "acknowledged: Your signal (case 01234567) was acknowledged by Mr "
                              "Jansen: it is being taken care of.");
    n = make("sos-unclaimed", "sos", false, "casemanager");
    render(&n, "buddy", NULL, text, sizeof text);
    assert_non_null(strstr(text, "waited 6 minutes and nobody has taken it; the casemanager has "
                                 "been told too. Take it: vangnet claim " ALERT));
    n = make("sos-unclaimed", "sos", false, "buddies");
    render(&n, "buddy", NULL, text, sizeof text);
    assert_null(strstr(text, "told too"));
}

static void test_unknown_and_short(void **state)
{
    (void)state;
    char text[1024], small[24];
    Vn__Notice n = make("something-new", "test", false, "");
    render(&n, "casemanager", NULL, text, sizeof text);
    assert_string_equal(text, "something-new: test 2027-02-03 (case 01234567)");
    /* Missing fields read as empty, never as a crash. */
    Vn__Notice empty = VN__NOTICE__INIT;
    render(&empty, NULL, NULL, text, sizeof text);
    assert_string_equal(text, ":   (case )");
    /* Cut off, terminated, and nothing written past the end. */
    memset(small, 'X', sizeof small);
    n = make("contract-set", "", false, "");
    render(&n, "participant", NULL, small, sizeof small - 4);
    assert_int_equal(strlen(small), sizeof small - 5);
    for (size_t i = sizeof small - 4; i < sizeof small; i++)
        assert_int_equal(small[i], 'X');
    render(&n, "participant", NULL, small, 0);
    assert_int_equal(small[0], 'c');
}

static void test_signal_hints(void **state)
{
    (void)state;
    char text[256];
    vn_notice_hint_for("buddy", true, ALERT, text, sizeof text);
    assert_string_equal(text, " -- take it: vangnet claim " ALERT);
    vn_notice_hint_for("buddy", false, ALERT, text, sizeof text);
    assert_null(strstr(text, "vangnet ack"));
    assert_non_null(strstr(text, "the casemanager acknowledges it"));
    vn_notice_hint_for("casemanager", false, ALERT, text, sizeof text);
    assert_string_equal(text, " -- once you have acted: vangnet ack " ALERT);
    vn_notice_hint_for("participant", true, ALERT, text, sizeof text);
    assert_null(strstr(text, "vangnet"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commands_fit_the_role), cmocka_unit_test(test_sentences),
        cmocka_unit_test(test_reporter_and_names),    cmocka_unit_test(test_unknown_and_short),
        cmocka_unit_test(test_signal_hints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
