/* vangnet: the command-line client. */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: vangnet [--profile DIR] [--json] [--timeout SECONDS] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  join CODE                 redeem an invite: create this device's keys and account\n"
    "  whoami                    print this profile's account id and role\n"
    "  send WHO TEXT             send an end-to-end encrypted message\n"
    "  send WHO --stdin          send each line of standard input as a message\n"
    "  inbox [--follow] [--count N] [--wait SECONDS]\n"
    "                            fetch, decrypt, store and acknowledge new messages;\n"
    "                            --follow stays connected and prints them as they arrive\n"
    "  verify WHO [--confirm]    show the safety number; --confirm marks it verified\n"
    "                            (and accepts a changed identity key you have checked)\n"
    "  contacts                  list local contact names\n"
    "  contacts add NAME ACCOUNT give an account a local name (never sent to the server)\n"
    "  send --case CASE TEXT     write to the case's care-team chat (sender keys)\n"
    "  case new | list | show CASE | remove CASE WHO | reassign CASE WHO | close CASE\n"
    "                            the care network (casemanagers manage their own cases)\n"
    "  invite --case CASE --role participant|buddy|naaste [--ttl DUR]\n"
    "                            a one-time invite code into a case\n"
    "  audit                     who read your case data (participants)\n"
    "  contract set|show|sign --case CASE   the monitoring contract\n"
    "  checkin                   daily check-in: is today a test day?\n"
    "  contact record --kind chat|call|video|in-person [--case CASE] [--with-buddy] [--date D]\n"
    "  test record --case CASE --date D negative|positive|dilute|missed [--confirmed]\n"
    "  selfhelp record [--date D]\n"
    "  state record --case CASE relapse|work-paused|...   clinical state, end to end only\n"
    "  absence add --case CASE FROM TO [--kind absence|medication]\n"
    "  caseload [--calendar [--month YYYY-MM]]   due, overdue and alerts per case\n"
    "  report --case CASE --month YYYY-MM       monthly compliance summary\n"
    "  signal --list | signal [--case CASE] CODE... [--note TEXT]   report relapse signals\n"
    "  sos [TEXT] | claim ALERT | ack ALERT | alerts                  SOS and alerts\n"
    "  disclosure attest --case CASE --safety-at-risk --no-action-taken\n"
    "  quiet-hours HH:MM-HH:MM | off            hold concern-level notices at night\n"
    "  delete-account --yes      delete this account from the server and this device\n"
    "\n"
    "WHO is an account id (32 hex characters) or a contact name.\n"
    "The profile directory (default ~/.vangnet, or $VANGNET_PROFILE) holds one identity,\n"
    "encrypted at rest with a passphrase ($VANGNET_PASSPHRASE, or asked on the terminal).\n"
    "\n"
    "exit codes: 0 ok, 1 failed (the message says why), 2 bad command line,\n"
    "            3 server unreachable or busy (try again), 4 a peer's identity key changed\n";

typedef struct command {
    const char *name;
    int (*run)(vn_client *c, int argc, char **argv);
    const char *help;
} command;

static const command commands[] = {
    {"join", vn_cmd_join,
     "usage: vangnet join CODE\n"
     "Redeems an invite code: makes the device keys, pins the server key\n"
     "from the code, registers and prints the new account id.\n"},
    {"whoami", vn_cmd_whoami,
     "usage: vangnet whoami [--json]\n"
     "Prints this profile's account id and role.\n"},
    {"send", vn_cmd_send,
     "usage: vangnet send WHO TEXT | send WHO --stdin | send --case CASE TEXT\n"
     "Encrypts end to end and sends. Unsent messages stay in the outbox\n"
     "and go first with the next send or inbox.\n"},
    {"inbox", vn_cmd_inbox,
     "usage: vangnet inbox [--follow] [--count N] [--wait SECONDS] [--json]\n"
     "Fetches new messages, decrypts and stores them, then lets the server delete them.\n"
     "--json prints a list of {\"id\", \"from\", \"time\", \"text\"}.\n"},
    {"verify", vn_cmd_verify,
     "usage: vangnet verify WHO [--confirm]\n"
     "Shows the safety number shared with WHO. Compare it with them in\n"
     "person or by phone, then run with --confirm.\n"},
    {"contacts", vn_cmd_contacts,
     "usage: vangnet contacts | vangnet contacts add NAME ACCOUNT\n"
     "Local names for accounts; never sent to the server.\n"},
    {"case", vn_cmd_case,
     "usage: vangnet case new | list | show CASE | remove CASE WHO | reassign CASE WHO | close "
     "CASE\n"
     "A case is one participant's care network. A casemanager creates and manages their own\n"
     "cases; `case show` is also open to the case's participant and buddies and to medical\n"
     "leads, and every read by someone else appears in the participant's audit log.\n"},
    {"invite", vn_cmd_invite,
     "usage: vangnet invite --case CASE --role participant|buddy|naaste [--ttl DUR] [--json]\n"
     "Prints a one-time invite code into the case (valid 7 days unless --ttl).\n"},
    {"audit", vn_cmd_audit,
     "usage: vangnet audit [--json]\n"
     "Shows who read your case data, what and when (to the minute).\n"},
    {"contract", vn_cmd_contract,
     "usage: vangnet contract set --case CASE [--template default] [--start YYYY-MM-DD]\n"
     "         [--months N] [--phase FROM-TO:RATE]... [--cm-days N] [--buddy-days N]\n"
     "         [--selfhelp-days N] [--window HH:MM-HH:MM] [--absence-max N]\n"
     "       vangnet contract show --case CASE | vangnet contract sign --case CASE\n"
     "The casemanager sets a contract (a new version starts from the previous one); the\n"
     "participant signs it with their identity key; the newest signed version is in force.\n"},
    {"checkin", vn_cmd_checkin,
     "usage: vangnet checkin [--json]\n"
     "Daily check-in within the contract's window; tells whether "
     "today is a test day.\n"},
    {"contact", vn_cmd_contact,
     "usage: vangnet contact record --kind chat|call|video|in-person [--case CASE] [--with-buddy]\n"
     "         [--date YYYY-MM-DD]\nThe server keeps only the date and the kind of contact.\n"},
    {"test", vn_cmd_test,
     "usage: vangnet test record --case CASE --date YYYY-MM-DD negative|positive|dilute|missed\n"
     "         [--confirmed] [--note TEXT]\n"
     "The server learns that a test was taken on that date; the result goes end to end.\n"},
    {"state", vn_cmd_state,
     "usage: vangnet state record --case CASE relapse|treatment-intensified|work-paused|resumed\n"
     "         [--note TEXT]\n"
     "A clinical state goes end to end to the participant only; the server never learns it,\n"
     "and monitoring continues (raise the test rate with a new contract version).\n"},
    {"selfhelp", vn_cmd_selfhelp, "usage: vangnet selfhelp record [--date YYYY-MM-DD]\n"},
    {"absence", vn_cmd_absence,
     "usage: vangnet absence add --case CASE FROM TO [--kind absence|medication]\n"
     "An approved absence suspends draws (at most the contract's days a year).\n"},
    {"caseload", vn_cmd_caseload,
     "usage: vangnet caseload [--calendar [--month YYYY-MM]] [--json]\n"
     "One line per case: next due item and overdue items, most urgent first.\n"},
    {"report", vn_cmd_report, "usage: vangnet report --case CASE --month YYYY-MM [--json]\n"},
    {"signal", vn_cmd_signal,
     "usage: vangnet signal --list [--json] | vangnet signal [--case CASE] CODE... [--note TEXT]\n"
     "         [--to-buddies]\n"
     "Reports observed signals to the casemanager, end to end. The server learns only the\n"
     "severity: early -> concern, problem phase -> urgent, end phase -> crisis.\n"},
    {"sos", vn_cmd_sos,
     "usage: vangnet sos [TEXT] [--json]\n"
     "Asks every buddy for help now; the first to claim it takes it.\n"},
    {"claim", vn_cmd_claim, "usage: vangnet claim ALERT\nA buddy takes an SOS.\n"},
    {"ack", vn_cmd_ack, "usage: vangnet ack ALERT\nAcknowledges an alert before it escalates.\n"},
    {"alerts", vn_cmd_alerts, "usage: vangnet alerts [--json]\nThe alerts you can see.\n"},
    {"disclosure", vn_cmd_disclosure,
     "usage: vangnet disclosure attest --case CASE --safety-at-risk --no-action-taken\n"
     "Recorded only once the casemanager and a medical lead have each attested both gates.\n"},
    {"quiet-hours", vn_cmd_quiet,
     "usage: vangnet quiet-hours HH:MM-HH:MM | off\n"
     "Concern-level alert notices wait until your quiet hours end; urgent and crisis never "
     "wait.\n"},
    {"delete-account", vn_cmd_delete_account,
     "usage: vangnet delete-account --yes\n"
     "Deletes this account and everything the server keeps for it, then this device's store.\n"},
};

int main(int argc, char **argv)
{
    vn_client c = {.timeout_ms = 10000};
    const char *env = getenv("VANGNET_PROFILE");
    char defprofile[4096];
    int i = 1;
    uint64_t t;
    c.profile = env && env[0] ? env : NULL;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
            c.profile = argv[++i];
        else if (strcmp(argv[i], "--json") == 0)
            c.json = true;
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
                 vn_parse_u64(argv[i + 1], 1, 3600, &t) == VN_OK) {
            c.timeout_ms = (int)t * 1000;
            i++;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return EXIT_OK;
        } else {
            fprintf(stderr, "vangnet: unknown or incomplete option %s\n%s", argv[i], usage);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const command *cmd = NULL;
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (strcmp(argv[i], commands[k].name) == 0) cmd = &commands[k];
    if (!cmd) {
        fprintf(stderr, "vangnet: unknown command %s (see vangnet --help)\n", argv[i]);
        return EXIT_USAGE;
    }
    /* Options may also follow the command; collect the rest as arguments. */
    char **args = calloc((size_t)argc, sizeof *args);
    int nargs = 0;
    if (!args) return EXIT_FAIL;
    for (int k = i + 1; k < argc; k++) {
        if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
            fputs(cmd->help, stdout);
            free(args);
            return EXIT_OK;
        }
        if (strcmp(argv[k], "--json") == 0)
            c.json = true;
        else if (strcmp(argv[k], "--profile") == 0 && k + 1 < argc)
            c.profile = argv[++k];
        else
            args[nargs++] = argv[k];
    }
    if (!c.profile) {
        const char *home = getenv("HOME");
        snprintf(defprofile, sizeof defprofile, "%s/.vangnet", home && home[0] ? home : ".");
        c.profile = defprofile;
    }
    int rc;
    vn_err err = vn_client_open(&c);
    if (err) {
        /* The store's own errors name no file; errno from mkdir or open does. */
        if (err == VN_EUNTRUSTED)
            rc = vn_client_fail(&c, VN_EDENIED, "wrong passphrase for profile %s", c.profile);
        else if (err == VN_EDENIED)
            rc = vn_client_fail(&c, err,
                                "profile %s is encrypted: set VANGNET_PASSPHRASE or run on a "
                                "terminal to be asked for it",
                                c.profile);
        else
            rc = vn_client_fail(&c, err, "cannot open profile %s: %s", c.profile,
                                err == VN_EIO && errno ? strerror(errno) : vn_err_str(err));
    } else {
        rc = cmd->run(&c, nargs, args);
        vn_client_close(&c);
    }
    free(args);
    return rc;
}
