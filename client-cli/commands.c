/* The command table, and the help written from it. */
#include "commands.h"

#include <assert.h>
#include <ctype.h>
#include <string.h>

/* clang-format off */
#define ROW(n, s, fn, sum) .name = (n), .sub = (s), .run = (fn), .summary = (sum)
#define CASE_OPT(req, help) {"--case", "CASE", (req), (help)}
#define DATE_OPT(help)      {"--date", "YYYY-MM-DD", 0, (help)}
#define NOTE_OPT(help)      {"--note", "TEXT", 0, (help)}
/* clang-format on */

/* One row per command and sub-command, in the order `vangnet --help`
 * lists them. */
static const vn_cmd commands[] = {
    /* identities and messages */
    {ROW("join", NULL, vn_cmd_join, "redeem an invite: create this device's keys and account"),
     .opts = {{"--name", "NAME", 0, "your name for your casemanager and team (end to end)"}},
     .args = {{"CODE", 0, "the invite code (vn1-...)"}},
     .about = "Makes the device keys, pins the server key from the code, registers and prints\n"
              "the new account id. The new profile's passphrase is asked twice on the terminal\n"
              "and must be at least 12 characters or 4 words ($VANGNET_PASSPHRASE for scripts,\n"
              "taken as it is).\n"
              "With --name (asked on a terminal; Enter skips it) your name goes end to end to\n"
              "your casemanager and care team, whose devices keep it as your contact name\n"
              "unless they chose one; the server never sees it."},
    {ROW("whoami", NULL, vn_cmd_whoami, "print this profile's account id and role")},
    {ROW("send", NULL, vn_cmd_send, "send an end-to-end encrypted message"),
     .opts = {CASE_OPT(0, "write to the case's care-team chat (sender keys), not to WHO"),
              {"--stdin", NULL, 0, "send each line of standard input as a message, not TEXT"}},
     .args = {{"WHO", VN_ARG_OPTIONAL, "account id or contact name (left out with --case)"},
              {"TEXT", VN_ARG_OPTIONAL, "the message (left out with --stdin)"}},
     .about = "Encrypts end to end and sends. Unsent messages stay in the outbox and go first\n"
              "with the next send or inbox."},
    {ROW("inbox", NULL, vn_cmd_inbox, "fetch, decrypt, store, show and acknowledge new messages"),
     .opts = {{"--follow", NULL, 0, "stay connected and print messages as they arrive"},
              {"--count", "N", 0, "with --follow: stop after N messages"},
              {"--wait", "SECONDS", 0, "with --follow: stop after this long"}},
     .about =
         "Each message is stored here, then shown, then deleted from the server: a run that\n"
         "is killed or whose output is closed (| head) loses nothing and shows nothing twice.\n"
         "--json prints a list of {\"id\", \"from\", \"time\", \"text\"}, with \"from_name\"\n"
         "and \"case\" where known; with --follow one such object a line, as each arrives.\n"
         "--follow subscribes again and fetches every few seconds, so it carries on after a\n"
         "server restart or a dropped connection."},
    {ROW("history", NULL, vn_cmd_history, "show the stored conversation, both directions"),
     .opts = {CASE_OPT(0, "only the case's care-team chat"),
              {"--since", "YYYY-MM-DD", 0, "only messages from that day (UTC) on"},
              {"--wide", NULL, 0, "whole account and case ids beside the names"}},
     .args = {{"WHO", VN_ARG_OPTIONAL, "only the 1:1 messages with this account or contact"}},
     .about = "Reads this device's store only: what inbox received and what send sent from this\n"
              "profile, oldest first. --json prints a list of {\"id\", \"from\", \"time\",\n"
              "\"text\"}, with \"to\" on messages you sent to one person, and their \"state\":\n"
              "queued, sent (the server has it), delivered (their device has it), read (shown\n"
              "to them, if they allow read receipts) or refused."},
    {ROW("chat", NULL, vn_cmd_chat, "talk with one person or a care team, live, in this terminal"),
     .opts = {CASE_OPT(0, "the case's care-team chat, not WHO")},
     .args = {{"WHO", VN_ARG_OPTIONAL, "account id or contact name (left out with --case)"}},
     .about = "Shows the last messages of the conversation, then new ones as they come; a line\n"
              "typed is sent. /claim ALERT, /ack ALERT, /alerts, /verify [confirm], /help and\n"
              "/quit do the rest; a crisis or an SOS rings the terminal's bell. Through the\n"
              "profile's daemon when one runs, else with a connection of its own (as inbox\n"
              "--follow: stored, shown, then acknowledged)."},
    {ROW("verify", NULL, vn_cmd_verify, "show the safety number shared with WHO"),
     .opts = {{"--confirm", NULL, 0,
               "mark it verified (and accept a changed identity key you have checked)"}},
     .args = {{"WHO", 0, "account id or contact name"}},
     .about = "Compare it with them in person or by phone, then run with --confirm."},
    {ROW("contacts", NULL, vn_cmd_contacts_list, "list local contact names")},
    {ROW("contacts", "add", vn_cmd_contacts_add,
         "give an account a local name (never sent to the server)"),
     .opts = {{"--replace", NULL, 0, "point a name already in use at this account instead"}},
     .args = {{"NAME", 0, "1 to 64 characters"}, {"ACCOUNT", 0, "the account id"}}},
    /* the care network */
    {ROW("case", "new", vn_cmd_case_new, "open a new case (casemanager)")},
    {ROW("case", "list", vn_cmd_case_list, "list your cases"),
     .opts = {{"--wide", NULL, 0, "whole case and account ids beside the names"}}},
    {ROW("case", "show", vn_cmd_case_show, "show a case: state, casemanager and members"),
     .opts = {{"--wide", NULL, 0, "whole case and account ids beside the names"}},
     .args = {{"CASE", 0, "the case id or its handle (6+ first hex characters)"}},
     .about = "A case is one participant's care network. A casemanager creates and manages their\n"
              "own cases; `case show` is also open to the case's participant and buddies and to\n"
              "medical leads, and every read by someone else appears in the participant's audit\n"
              "log."},
    {ROW("case", "remove", vn_cmd_case_remove, "remove a member from a case"),
     .args = {{"CASE", 0, "the case id or its handle (6+ first hex characters)"},
              {"WHO", 0, "account id or contact name"}}},
    {ROW("case", "reassign", vn_cmd_case_reassign, "hand a case over to another casemanager"),
     .args = {{"CASE", 0, "the case id or its handle (6+ first hex characters)"},
              {"WHO", 0, "account id or contact name"}}},
    {ROW("case", "close", vn_cmd_case_close, "close a case (asks for confirmation)"),
     .opts = {{"--yes", NULL, 0, "close without asking (scripts)"}},
     .args = {{"CASE", 0, "the case id or its handle (6+ first hex characters)"}},
     .about =
         "Ends the case for everyone in it, who are told. On a terminal you confirm by typing\n"
         "the case or yes; without a terminal --yes is needed. The case can be reopened\n"
         "(case reopen) until its retention ends (--case-retention of the server, 730 days\n"
         "by default); then it is purged with its members' accounts."},
    {ROW("case", "reopen", vn_cmd_case_reopen, "reopen a closed case within its retention"),
     .args = {{"CASE", 0, "the case id or its handle (6+ first hex characters)"}},
     .about =
         "Casemanager only. The case goes back to active (under its signed contract) or\n"
         "intake, and everyone in it is told; the days it was closed count as nothing missed.\n"
         "After its retention the case is purged and cannot be reopened."},
    {ROW("invite", NULL, vn_cmd_invite, "print a one-time invite code into a case"),
     .opts = {CASE_OPT(VN_OPT_REQUIRED, "the case to join"),
              {"--role", "participant|buddy|naaste", VN_OPT_REQUIRED | VN_OPT_CHOICE,
               "the role in the case"},
              {"--ttl", "DUR", 0, "how long the code is valid, such as 2d (default 7d)"}}},
    {ROW("audit", NULL, vn_cmd_audit, "who read your case data, what and when (participants)"),
     .opts = {{"--all", NULL, 0, "every page, not only the first 512 entries"}}},
    /* the monitoring contract and what it asks */
    {ROW("contract", "set", vn_cmd_contract_set, "set a new version of the contract (casemanager)"),
     .opts = {CASE_OPT(VN_OPT_REQUIRED, "the case"),
              {"--template", "default", VN_OPT_CHOICE,
               "start from the defaults, not the last version"},
              {"--start", "YYYY-MM-DD", 0, "first day (default: the last version's, or today)"},
              {"--months", "N", 0, "how long it runs, 1 to 600"},
              {"--phase", "FROM-TO:RATE", VN_OPT_REPEAT,
               "months FROM to TO: about RATE tests a month (repeat for each phase)"},
              {"--cm-days", "N", 0, "casemanager contact at least every N days"},
              {"--buddy-days", "N", 0, "buddy contact at least every N days"},
              {"--selfhelp-days", "N", 0, "a self-help group at least every N days"},
              {"--window", "HH:MM-HH:MM", 0, "when the daily check-in is open"},
              {"--absence-max", "N", 0, "approved absence days a year, at most"}},
     .about = "A new version starts from the previous one. The participant signs it with their\n"
              "identity key; the newest signed version is in force."},
    {ROW("contract", "show", vn_cmd_contract_show,
         "show the newest contract and whether it is signed"),
     .opts = {CASE_OPT(VN_OPT_REQUIRED, "the case")}},
    {ROW("contract", "sign", vn_cmd_contract_sign, "sign the newest contract (participant)"),
     .opts = {CASE_OPT(VN_OPT_REQUIRED, "the case")}},
    {ROW("contract", "instructions", vn_cmd_contract_instructions,
         "where and by when to give a sample on a test day"),
     .opts = {CASE_OPT(0, "the case (required to set them; default your own)"),
              {"--site", "TEXT", 0, "where the sample is given"},
              {"--hours", "TEXT", 0,
               "when the site takes samples, such as \"Mon-Fri 08:00-12:00\""},
              {"--cutoff", "HH:MM", 0, "the sample is given before this time"}},
     .about = "The casemanager sets them (--site and --cutoff at least); they go end to end to\n"
              "the participant, whose device shows them with every test day (\"Test today at\n"
              "SITE, HOURS, before CUTOFF\"). The server never has them. Without --site,\n"
              "--hours and --cutoff: shows the instructions this device keeps."},
    {ROW("checkin", NULL, vn_cmd_checkin, "daily check-in: is today a test day?"),
     .about = "Open within the contract's window."},
    {ROW("contact", "record", vn_cmd_contact_record, "record a contact with the participant"),
     .opts = {{"--kind", "chat|call|video|in-person", VN_OPT_REQUIRED | VN_OPT_CHOICE,
               "how (asked, but neither sent nor kept)"},
              CASE_OPT(0, "the case (default: your own)"),
              {"--with-buddy", NULL, 0, "a buddy took part too"},
              DATE_OPT("the day (default today)")},
     .about = "The server keeps only the date and whose contact it was (casemanager or buddy)."},
    {ROW("test", "record", vn_cmd_test_record, "record a test and its result"),
     .opts = {CASE_OPT(VN_OPT_REQUIRED, "the case"),
              {"--date", "YYYY-MM-DD", VN_OPT_REQUIRED, "the day of the test"},
              {"--confirmed", NULL, 0, "a positive result was confirmed"},
              NOTE_OPT("a note, end to end")},
     .args = {{"negative|positive|dilute|missed", VN_ARG_CHOICE, "the result"}},
     .about = "The server learns that a test was taken on that date (of a missed one: nothing);\n"
              "the result goes end to end to the participant and the medical leads."},
    {ROW("state", "record", vn_cmd_state_record, "record a clinical state, end to end only"),
     .opts = {CASE_OPT(VN_OPT_REQUIRED, "the case"), NOTE_OPT("a note, end to end")},
     .args = {{"relapse|treatment-intensified|work-paused|resumed", VN_ARG_CHOICE, "the state"}},
     .about = "A clinical state goes end to end to the case's participant and medical leads\n"
              "(and stays on this device); the server never learns it, and monitoring continues\n"
              "(raise the test rate with a new contract version)."},
    {ROW("selfhelp", "record", vn_cmd_selfhelp_record, "record a self-help group meeting"),
     .opts = {DATE_OPT("the day (default today)")}},
    /* intervision and Balint groups (docs/GROUPS.md) */
    {ROW("group", "new", vn_cmd_group_new, "create an intervision group (facilitator)"),
     .opts = {{"--cap", "N", 0, "most members, 1 to 8 (default 5; you are not counted)"}},
     .about = "A facilitator, or a casemanager acting as one, creates the group and invites the\n"
              "doctors. The server knows the group, its cap and its members; sessions, method,\n"
              "phases, presenter and every word stay end to end between the members."},
    {ROW("group", "invite", vn_cmd_group_invite, "print a one-time invite code into a group"),
     .opts = {{"--ttl", "DUR", 0, "how long the code is valid, such as 2d (default 7d)"}},
     .args = {{"GROUP", 0, "the group id"}},
     .about = "The doctor joins with `vangnet join CODE` from the profile they already use."},
    {ROW("group", "list", vn_cmd_group_list, "list your groups")},
    {ROW("group", "accept-rules", vn_cmd_group_accept_rules,
         "accept the group's ground rules (before your first post)"),
     .args = {{"GROUP", 0, "the group id"}}},
    {ROW("group", "send", vn_cmd_group_send, "post to the group, end to end"),
     .args = {{"GROUP", 0, "the group id"}, {"TEXT", 0, "the post"}},
     .about = "During a session your client refuses a post the phase does not ask of you (the\n"
              "presenter listens in the advice round; advice goes one member at a time, in\n"
              "turn), and the others' clients mark a post out of turn as such."},
    {ROW("group", "status", vn_cmd_group_status, "the session now: phase, time box, your part"),
     .args = {{"GROUP", 0, "the group id"}}},
    {ROW("group", "start", vn_cmd_group_start, "start a session (facilitator)"),
     .opts = {{"--method", "basic|incident|balint|roddel", VN_OPT_REQUIRED | VN_OPT_CHOICE,
               "the method of this session"},
              {"--presenter", "WHO", VN_OPT_REQUIRED, "the member who brings in the case"},
              {"--minutes", "N", 0, "the first phase's time box (default: the method's)"}},
     .args = {{"GROUP", 0, "the group id"}}},
    {ROW("group", "next", vn_cmd_group_next, "move the session to its next phase (facilitator)"),
     .opts = {{"--minutes", "N", 0, "the phase's time box (default: the method's)"}},
     .args = {{"GROUP", 0, "the group id"}}},
    {ROW("group", "end", vn_cmd_group_end, "end the session (facilitator)"),
     .args = {{"GROUP", 0, "the group id"}}},
    {ROW("group", "schedule", vn_cmd_group_schedule,
         "set the date of the next session (facilitator)"),
     .opts = {{"--at", "YYYY-MM-DDTHH:MM", VN_OPT_REQUIRED, "when, in local time; in the future"},
              {"--note", "TEXT", 0, "where: a place or a video link (one line, 200 bytes)"}},
     .args = {{"GROUP", 0, "the group id"}},
     .about = "The members learn it end to end and see it in vangnet group status; the server\n"
              "learns nothing of it."},
    {ROW("group", "plan", vn_cmd_group_plan, "record your action plan (presenter; never sent)"),
     .args = {{"GROUP", 0, "the group id"}, {"TEXT", 0, "what you will do"}},
     .about = "The plan stays on this device only; the group's next session opens by showing it\n"
              "to you."},
    {ROW("group", "leave", vn_cmd_group_leave, "leave a group, or remove a member (facilitator)"),
     .opts = {{"--member", "WHO", 0, "facilitator: remove this member instead"}},
     .args = {{"GROUP", 0, "the group id"}},
     .about = "The group's key is renewed: who left cannot read what is sent afterwards."},
    {ROW("group", "count-attendance", vn_cmd_group_count_attendance,
         "let sessions count as your contract's self-help contact"),
     .args = {{"GROUP", 0, "the group id"}, {"on|off", VN_ARG_CHOICE, "on or off"}},
     .about = "When on, each session you took part in is recorded for your case as a self-help\n"
              "contact: the server learns the date and the kind, nothing else."},
    {ROW("absence", "add", vn_cmd_absence_add, "approve an absence: no draws from FROM to TO"),
     .opts = {CASE_OPT(VN_OPT_REQUIRED, "the case"),
              {"--kind", "absence|medication", VN_OPT_CHOICE, "what kind (default absence)"}},
     .args = {{"FROM", 0, "first day, YYYY-MM-DD"}, {"TO", 0, "last day, YYYY-MM-DD"}},
     .about = "An approved absence suspends draws (at most the contract's days a year). A "
              "medication exception goes end to end to the participant and the medical leads; "
              "the server never has it."},
    {ROW("caseload", NULL, vn_cmd_caseload, "due, overdue and alerts per case (casemanager)"),
     .opts = {{"--calendar", NULL, 0, "a month calendar per case instead"},
              {"--month", "YYYY-MM", 0, "with --calendar: which month (default this one)"},
              {"--wide", NULL, 0, "whole ids, every alert and overdue item"}},
     .about = "One line per case, most urgent first, at most 100 columns (or a narrower\n"
              "terminal's, $COLUMNS, down to 60): the case handle, the participant (your\n"
              "contact name for them), state, next due item, the most urgent alert and the\n"
              "overdue items (dates of this year as MM-DD). A handle is the shortest start of\n"
              "the case id (8 characters or more shown, 6 accepted) that no other case you\n"
              "know shares: every command that takes a CASE takes it."},
    {ROW("report", NULL, vn_cmd_report, "monthly report of a case, with totals"),
     .opts = {CASE_OPT(VN_OPT_REQUIRED, "the case"),
              {"--month", "YYYY-MM", VN_OPT_REQUIRED, "the month"},
              {"--csv", NULL, 0, "print CSV (RFC 4180) instead of text"}},
     .about =
         "Lists the month's tests (drawn or not, taken, missed, the result: negative,\n"
         "positive-pending until the casemanager confirms it, positive-confirmed, dilute,\n"
         "missed; a correction as OLD -> NEW), missed check-ins, contacts by kind, overdue\n"
         "items (deadlines in the month not met) and alerts, with totals. Results, notes\n"
         "and acknowledged alerts come from this device's own records; the rest from the\n"
         "server. One result per test: recording a test again replaces its result.\n"
         "--json prints {\"case\", \"month\", \"today\", \"tests\": [{\"date\", \"drawn\",\n"
         "\"taken\", \"missed\", \"result\", \"corrects\", \"note\"}], \"checkins_missed\":\n"
         "[dates], \"contacts\": [{\"date\", \"casemanager\", \"buddy\", \"selfhelp\"}],\n"
         "\"overdue\": [{\"kind\", \"date\"}], \"alerts\": [{\"date\", \"what\", \"note\"}],\n"
         "\"totals\": {\"days\", \"checkins\", \"checkins_missed\", \"test_days\",\n"
         "\"tests_taken\", \"tests_missed\", \"results_total\", \"results\": {\"negative\",\n"
         "\"positive\" (pending or confirmed), \"positive_confirmed\", \"dilute\", \"missed\"},\n"
         "\"positive_pending\", \"corrections\", \"casemanager_contacts\", \"buddy_contacts\",\n"
         "\"selfhelp\", \"absence_days\", \"overdue\", \"alerts\", \"alerts_open\"}}.\n"
         "--csv prints rows of section,date,item,value,note (sections checkin, absence,\n"
         "contact, test, correction, overdue, alert, and total rows with the totals by\n"
         "name), CRLF line ends, quoted where needed; a field starting with = + - @ gets a\n"
         "leading ' inside its quotes, so that no spreadsheet runs it."},
    {ROW("calendar", NULL, vn_cmd_calendar, "your month: check-ins, absences, contact minimums"),
     .opts = {{"--month", "YYYY-MM", 0, "which month (default this one)"}},
     .about = "The participant's own view: the check-in window, approved absences, the contact\n"
              "minimums and when each is next due, test-day instructions, and the month's days\n"
              "so far. Test days are drawn on the day itself and are never shown ahead."},
    /* signals and alerts */
    {ROW("signal", NULL, vn_cmd_signal, "report relapse signals to the casemanager, end to end"),
     .opts = {{"--list", NULL, 0, "list the signal codes instead"},
              CASE_OPT(0, "your own case (the default)"),
              NOTE_OPT("what you saw, end to end"),
              {"--to-buddies", NULL, 0, "participants: tell your buddies too"}},
     .args = {{"CODE", VN_ARG_OPTIONAL | VN_ARG_REPEAT, "signal codes (see --list)"}},
     .about = "The server learns only the severity: early -> concern, problem phase -> urgent,\n"
              "end phase -> crisis."},
    {ROW("sos", NULL, vn_cmd_sos, "ask every buddy for help now"),
     .args = {{"TEXT", VN_ARG_OPTIONAL, "a few words for them"}},
     .about = "The first buddy to claim it takes it."},
    {ROW("claim", NULL, vn_cmd_claim, "take an SOS (buddies)"),
     .args = {{"ALERT", 0, "the alert id, or its start as alerts shows it"}}},
    {ROW("ack", NULL, vn_cmd_ack, "acknowledge an alert before it escalates"),
     .args = {{"ALERT", 0, "the alert id, or its start as alerts shows it"}}},
    {ROW("alerts", NULL, vn_cmd_alerts, "the alerts you can see, most severe and oldest first"),
     .opts = {{"--all", NULL, 0, "every page, not only the first 100"},
              {"--wide", NULL, 0, "whole alert, case and account ids"}}},
    {ROW("disclosure", "attest", vn_cmd_disclosure_attest, "attest the two gates of a disclosure"),
     .opts = {CASE_OPT(VN_OPT_REQUIRED, "the case"),
              {"--safety-at-risk", NULL, 0, "safety is at risk"},
              {"--no-action-taken", NULL, 0, "the participant took no action"}},
     .about = "Recorded only once the casemanager and a medical lead have each attested both\n"
              "gates."},
    /* anonymous first contact */
    {ROW("intake", "write", vn_cmd_intake_write,
         "write to the programme's intake staff (anonymous first contact)"),
     .opts = {{"--to", "WHO", 0, "the intake staff member who answered (default: the desk's)"}},
     .args = {{"TEXT", 0, "the message"}},
     .about = "For a profile made with the programme's first-contact code (vangnet join CODE):\n"
              "no name or number is asked; the intake staff know you by your account id only.\n"
              "Also for a colleague or relative with a worry about a doctor: intake helps you\n"
              "raise it with them yourself, without naming them here. Answers come with inbox."},
    {ROW("intake", "list", vn_cmd_intake_list, "the open first contacts (intake staff)"),
     .opts = {{"--all", NULL, 0, "every page, not only the first 200"}},
     .about = "Answer one with vangnet send ACCOUNT TEXT."},
    /* the private wellbeing check: nothing of it reaches the server unless shared */
    {ROW("wellbeing", NULL, vn_cmd_wellbeing, "a private wellbeing check, kept on this device"),
     .opts = {{"--answers", "LIST", 0, "answer without questions: 14 numbers 0-3, comma-separated"},
              {"--every", "DUR", 0, "how often a check is due, such as 2w, 10d or 1m"}},
     .about = "Asks the self-check signs of overstrain and burnout (sleep, brooding,\n"
              "concentration, tiredness, irritability, ...) on a scale of 0 not at all,\n"
              "1 sometimes, 2 often, 3 (almost) always, and says what the answers match.\n"
              "The answers stay in this profile only; the server never sees them.\n"
              "--every alone only changes the interval (default 2w)."},
    {ROW("wellbeing", "due", vn_cmd_wellbeing_due, "whether a wellbeing check is due")},
    {ROW("wellbeing", "trend", vn_cmd_wellbeing_trend, "chart of your wellbeing checks"),
     .opts = {{"--months", "N", 0, "how far back, 1 to 60 (default 6)"}},
     .about = "Per item and in total, one column per check, at most 80 columns wide."},
    {ROW("wellbeing", "share", vn_cmd_wellbeing_share,
         "send a summary of your checks to a buddy or your casemanager"),
     .opts = {{"--to", "WHO", VN_OPT_REQUIRED,
               "a contact name or account id, or casemanager for your own"},
              {"--months", "N", 0, "checks of how many months, 1 to 60 (default 6)"}},
     .about = "An ordinary end-to-end message: the server sees a message, not what it says."},
    {ROW("quiet-hours", NULL, vn_cmd_quiet_hours, "hold concern-level notices at night"),
     .args = {{"HH:MM-HH:MM | off", VN_ARG_OPTIONAL, "when, or off; without it, show the setting"}},
     .about = "Concern-level alert notices and reminders wait until your quiet hours end;\n"
              "urgent, crisis and SOS notices never wait. Without an argument, shows the\n"
              "setting last made from this profile (kept on this device beside the server's\n"
              "copy)."},
    {ROW("settings", "read-receipts", vn_cmd_settings_read_receipts,
         "let people who write to you see when you have read it"),
     .args = {{"on|off", VN_ARG_OPTIONAL | VN_ARG_CHOICE,
               "the setting: on or off (default off); without it, show it"}},
     .about = "Off (the default): a sender sees that your device has their message (two ticks),\n"
              "never when you read it. On: shown in inbox or chat counts as read. Kept on this\n"
              "device only; it travels end to end, as a receipt message."},
    {ROW("change-passphrase", NULL, vn_cmd_change_passphrase,
         "set a new passphrase for this profile"),
     .about = "Asks for the current passphrase, then the new one twice: at least 12 characters\n"
              "or 4 words ($VANGNET_PASSPHRASE and $VANGNET_NEW_PASSPHRASE for scripts, taken\n"
              "as they are). Only the profile's key file is rewritten: afterwards the old\n"
              "passphrase opens nothing."},
    {ROW("profile", "restore", vn_cmd_profile_restore,
         "after putting back a backup of this profile: renew sessions and keys"),
     .about = "Run once, right after restoring a copy of the profile directory (taken while no\n"
              "vangnet command ran). Publishes fresh prekeys, starts a fresh session with every\n"
              "peer and a new team key, so that nothing sent afterwards is dropped as a\n"
              "duplicate. See docs/CLIENT-STORE.md, \"Backups\"."},
    {ROW("server", "set-endpoint", vn_cmd_server_set_endpoint,
         "change the server's address, keeping its pinned key"),
     .opts = {{"--no-check", NULL, 0, "store it without asking the server there first"}},
     .args = {{"ENDPOINT", VN_ARG_REPEAT,
               "the new address, tcp://HOST:PORT; up to 4, or comma-separated"}},
     .about = "For a server that moved: the next commands connect to ENDPOINT, still only to the\n"
              "server whose key this profile pinned when it joined. It is asked first; when it\n"
              "does not answer the address stays as it was. With several (the nodes of a\n"
              "cluster, or one server's addresses) a command tries them in turn, starting at\n"
              "the one that last answered; one under another key is refused."},
    {ROW("server", "show", vn_cmd_server_show,
         "show the server's addresses this profile uses (no server asked)"),
     .about = "The addresses in the order they are tried, the one that last answered marked\n"
              "(--json: endpoints, last)."},
    {ROW("delete-account", NULL, vn_cmd_delete_account,
         "delete this account from the server and this device"),
     .opts = {{"--yes", NULL, VN_OPT_REQUIRED, "yes, delete it: this cannot be undone"}}},
    /* the always-on client (daemon.c, rpc.c; docs/JSONRPC.md) */
    {ROW("daemon", NULL, vn_cmd_daemon, "stay connected: live events, notifications, JSON-RPC"),
     .opts =
         {{"--http", "127.0.0.1:PORT", 0, "also serve JSON-RPC and events over HTTP (loopback)"},
          {"--notify-cmd", "CMD", 0, "run CMD (sh -c) for each event that should reach you now"},
          {"--notify-content", NULL, 0, "put message text into notifications (not by default)"}},
     .about = "Unlocks the profile once and stays connected: stores what arrives (the next\n"
              "inbox shows it), serves JSON-RPC 2.0 on PROFILE/daemon.sock, and while it runs\n"
              "the vangnet commands of this profile go through it, without the passphrase\n"
              "work. Settings in PROFILE/daemon.conf (notify-cmd, notify-content, http); the\n"
              "options win. See docs/JSONRPC.md."},
    {ROW("jsonrpc", NULL, vn_cmd_jsonrpc, "JSON-RPC 2.0 on standard input and output"),
     .opts = {{"--connect", NULL, 0,
               "relay to the running daemon's socket instead (no passphrase)"}},
     .about = "One request (or batch) a line in, one response a line out, as on the daemon's\n"
              "socket; ends at the end of the input. With --connect, a relay to the socket of\n"
              "the daemon that runs for the profile (for scripts). See docs/JSONRPC.md."},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char footer[] =
    "WHO is an account id (32 hex characters) or a contact name.\n"
    "The profile directory holds one identity, encrypted at rest with a passphrase\n"
    "($VANGNET_PASSPHRASE, or asked on the terminal).\n"
    "\n"
    "exit codes: 0 ok, 1 failed (the message says why), 2 bad command line,\n"
    "            3 server unreachable or busy (try again), 4 a peer's identity key changed\n";

static bool same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

const vn_cmd *vn_commands_find(const char *name, const char *sub)
{
    for (size_t i = 0; i < NCOMMANDS; i++) {
        /* Option lists end at an empty row: a full one would run on. */
        assert(!commands[i].opts[VN_CMD_OPTS - 1].name);
        if (same(commands[i].name, name) && same(commands[i].sub, sub)) return &commands[i];
    }
    return NULL;
}

const vn_cmd *vn_commands_pick(const char *name, char ***words, int *nwords, bool *by_sub)
{
    const vn_cmd *cmd = *nwords > 0 ? vn_commands_find(name, (*words)[0]) : NULL;
    *by_sub = cmd != NULL;
    if (cmd) {
        ++*words;
        --*nwords;
        return cmd;
    }
    return vn_commands_find(name, NULL);
}

bool vn_commands_exist(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return true;
    return false;
}

#define TOKENS_MAX (2 + VN_CMD_OPTS + VN_CMD_ARGS)
#define TOKEN_LEN  80

/* The words of a row's synopsis, in order: name, sub-command, required
 * options, arguments, other options. Returns how many. */
static size_t tokens(const vn_cmd *cmd, char out[TOKENS_MAX][TOKEN_LEN])
{
    size_t n = 0;
    const vn_opt *o;
    snprintf(out[n++], TOKEN_LEN, "%s", cmd->name);
    if (cmd->sub) snprintf(out[n++], TOKEN_LEN, "%s", cmd->sub);
    for (o = cmd->opts; o->name; o++)
        if (o->flags & VN_OPT_REQUIRED)
            snprintf(out[n++], TOKEN_LEN, "%s%s%s", o->name, o->value ? " " : "",
                     o->value ? o->value : "");
    for (size_t i = 0; i < VN_CMD_ARGS && cmd->args[i].name; i++) {
        const vn_arg *g = &cmd->args[i];
        bool opt = g->flags & VN_ARG_OPTIONAL;
        snprintf(out[n++], TOKEN_LEN, "%s%s%s%s", opt ? "[" : "", g->name,
                 g->flags & VN_ARG_REPEAT ? "..." : "", opt ? "]" : "");
    }
    for (o = cmd->opts; o->name; o++)
        if (!(o->flags & VN_OPT_REQUIRED))
            snprintf(out[n++], TOKEN_LEN, "[%s%s%s]%s", o->name, o->value ? " " : "",
                     o->value ? o->value : "", o->flags & VN_OPT_REPEAT ? "..." : "");
    return n;
}

/* Prints a row's synopsis from column `at`, wrapping before `width` with
 * continuation lines indented by `indent`; returns the column it ended at,
 * or width if it took more than one line. */
static size_t print_synopsis(FILE *f, const vn_cmd *cmd, size_t at, size_t indent, size_t width)
{
    bool wrapped = false;
    char t[TOKENS_MAX][TOKEN_LEN];
    size_t n = tokens(cmd, t);
    for (size_t k = 0; k < n; k++) {
        size_t len = strlen(t[k]);
        if (k > 0 && at + 1 + len > width) {
            fprintf(f, "\n%*s", (int)indent, "");
            at = indent;
            wrapped = true;
        } else if (k > 0) {
            fputc(' ', f);
            at++;
        }
        fputs(t[k], f);
        at += len;
    }
    return wrapped ? width : at;
}

void vn_commands_synopsis(const char *name, const vn_cmd *cmd, char *out, size_t size)
{
    char t[TOKENS_MAX][TOKEN_LEN];
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const vn_cmd *row = &commands[i];
        if (cmd ? row != cmd : strcmp(row->name, name) != 0) continue;
        size_t n = tokens(row, t);
        int w = snprintf(out + o, size - o, "%s", o ? "\n       vangnet" : "usage: vangnet");
        for (size_t k = 0; w >= 0 && (size_t)w < size - o && k <= n; k++) {
            o += (size_t)w;
            w = k < n ? snprintf(out + o, size - o, " %s", t[k]) : 0;
        }
    }
}

void vn_commands_subs(const char *name, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NCOMMANDS && o < size; i++)
        if (strcmp(commands[i].name, name) == 0 && commands[i].sub) {
            int n = snprintf(out + o, size - o, "%s%s", o ? ", " : "", commands[i].sub);
            if (n < 0) return;
            o += (size_t)n;
        }
}

static void print_opts(FILE *f, const char *title, const vn_opt *opts)
{
    char t[128];
    if (!opts->name) return;
    fprintf(f, "%s:\n", title);
    for (; opts->name; opts++) {
        snprintf(t, sizeof t, "%s%s%s", opts->name, opts->value ? " " : "",
                 opts->value ? opts->value : "");
        if (strlen(t) > 24)
            fprintf(f, "  %s\n  %-24s %s\n", t, "", opts->help);
        else
            fprintf(f, "  %-24s %s\n", t, opts->help);
    }
}

static void print_args(FILE *f, const vn_cmd *cmd)
{
    if (!cmd->args[0].name) return;
    fprintf(f, "\narguments:\n");
    for (size_t i = 0; i < VN_CMD_ARGS && cmd->args[i].name; i++) {
        const vn_arg *g = &cmd->args[i];
        if (strlen(g->name) > 24)
            fprintf(f, "  %s\n  %-24s %s\n", g->name, "", g->help);
        else
            fprintf(f, "  %-24s %s\n", g->name, g->help);
    }
}

/* The help of one row. */
static void row_help(FILE *f, const vn_cmd *cmd)
{
    fputs("usage: vangnet ", f);
    print_synopsis(f, cmd, 15, 15, 100);
    size_t n = strlen(cmd->summary);
    bool stop = n > 0 && strchr(".?!", cmd->summary[n - 1]) != NULL;
    fprintf(f, "\n\n%c%s%s\n", toupper((unsigned char)cmd->summary[0]), cmd->summary + 1,
            stop ? "" : ".");
    if (cmd->about) fprintf(f, "%s\n", cmd->about);
    print_args(f, cmd);
    if (cmd->opts[0].name) fputc('\n', f);
    print_opts(f, "options", cmd->opts);
}

void vn_commands_help(FILE *f, const char *name, const vn_cmd *cmd)
{
    bool first = true;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const vn_cmd *row = &commands[i];
        if (cmd ? row != cmd : strcmp(row->name, name) != 0) continue;
        if (!first) fputc('\n', f);
        row_help(f, row);
        first = false;
    }
    fputs("\nglobal options:", f);
    for (const vn_opt *o = vn_global_opts; o < vn_global_opts + VN_GLOBAL_HELP; o++)
        fprintf(f, "%s %s%s%s", o == vn_global_opts ? "" : ",", o->name, o->value ? " " : "",
                o->value ? o->value : "");
    fputs(" (see vangnet --help)\n", f);
}

void vn_commands_usage(FILE *f)
{
    fputs("usage: vangnet", f);
    for (const vn_opt *o = vn_global_opts; o < vn_global_opts + VN_GLOBAL_HELP; o++)
        fprintf(f, " [%s%s%s]", o->name, o->value ? " " : "", o->value ? o->value : "");
    fputs(" COMMAND [ARGS]\n\ncommands:\n", f);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        fputs("  ", f);
        size_t at = print_synopsis(f, &commands[i], 2, 6, 80);
        if (at > 29)
            fprintf(f, "\n%*s", 30, "");
        else
            fprintf(f, "%*s", (int)(30 - at), "");
        fprintf(f, "%s\n", commands[i].summary);
    }
    fputs("\n", f);
    print_opts(f, "global options", vn_global_opts);
    fprintf(f, "\nCOMMAND --help tells more about one command.\n%s", footer);
}

const vn_cmd *vn_commands_at(size_t i)
{
    return i < NCOMMANDS ? &commands[i] : NULL;
}
