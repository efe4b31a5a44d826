/* The command table: every command and sub-command of vangnet, with its
 * options and positional arguments, as data. The command line is parsed
 * from it (args.c) and `vangnet --help` and `vangnet COMMAND --help` are
 * written from it, so what a command accepts and what its help says
 * cannot drift apart. */
#ifndef VN_COMMANDS_H
#define VN_COMMANDS_H

#include "cli.h"
#include "client.h"

/* How an option behaves. */
enum {
    VN_OPT_REQUIRED = 1 << 0, /* the command cannot run without it */
    VN_OPT_REPEAT = 1 << 1,   /* may be given more than once; every value is kept */
    VN_OPT_CHOICE = 1 << 2,   /* the value is one of the |-separated words of .value */
};

/* How a positional argument behaves. */
enum {
    VN_ARG_OPTIONAL = 1 << 0, /* may be left out (only the last ones may) */
    VN_ARG_REPEAT = 1 << 1,   /* takes every argument from here on (the last one only) */
    VN_ARG_CHOICE = 1 << 2,   /* is one of the |-separated words of .name */
};

/* One positional argument. */
typedef struct vn_arg {
    const char *name; /* what it is called ("CASE"), or its choices ("a|b") */
    unsigned flags;   /* VN_ARG_* */
    const char *help; /* one line */
} vn_arg;

#define VN_CMD_OPTS 12 /* options of one command, at most */
#define VN_CMD_ARGS 3  /* positional arguments of one command, at most */

typedef struct vn_args vn_args;

/* One row: a command, or one sub-command of a command. */
typedef struct vn_cmd {
    const char *name;                           /* "case" */
    const char *sub;                            /* "show"; NULL when it has none */
    int (*run)(vn_client *c, const vn_args *a); /* returns the exit code */
    const char *summary;                        /* one line, for the command list */
    vn_opt opts[VN_CMD_OPTS];                   /* up to the first without a name; the last
                                                   stays empty, as the end */
    vn_arg args[VN_CMD_ARGS];                   /* in order, up to the first without a name */
    const char *about;                          /* more for its --help, or NULL */
} vn_cmd;

/* The row for name and sub (sub NULL: the row without a sub-command), or
 * NULL. Borrowed from the static table. */
const vn_cmd *vn_commands_find(const char *name, const char *sub);
/* The row for name and the first of the words (then taken off: *words
 * and *nwords move past it), or the row of name without a sub-command;
 * NULL if neither exists. *by_sub says whether a sub-command was taken. */
const vn_cmd *vn_commands_pick(const char *name, char ***words, int *nwords, bool *by_sub);
/* Row i of the table, in order, or NULL past the last. */
const vn_cmd *vn_commands_at(size_t i);
/* True if a command of that name exists, with or without sub-commands. */
bool vn_commands_exist(const char *name);
/* `vangnet --help`: every command, the global options, exit codes. */
void vn_commands_usage(FILE *f);
/* `vangnet NAME --help`: one row (cmd not NULL) or every row of NAME. */
void vn_commands_help(FILE *f, const char *name, const vn_cmd *cmd);
/* "usage: vangnet NAME SUB ..." for one row (one line, no newline), or
 * the rows of NAME (one line each), into out. */
void vn_commands_synopsis(const char *name, const vn_cmd *cmd, char *out, size_t size);
/* "new, list, show" for the sub-commands of name, into out. */
void vn_commands_subs(const char *name, char *out, size_t size);

/* Handlers, one per row; argc/argv are parsed into *a. */
int vn_cmd_join(vn_client *c, const vn_args *a);
int vn_cmd_whoami(vn_client *c, const vn_args *a);
int vn_cmd_send(vn_client *c, const vn_args *a);
int vn_cmd_inbox(vn_client *c, const vn_args *a);
int vn_cmd_history(vn_client *c, const vn_args *a);
int vn_cmd_verify(vn_client *c, const vn_args *a);
int vn_cmd_contacts_list(vn_client *c, const vn_args *a);
int vn_cmd_contacts_add(vn_client *c, const vn_args *a);
int vn_cmd_case_new(vn_client *c, const vn_args *a);
int vn_cmd_case_list(vn_client *c, const vn_args *a);
int vn_cmd_case_show(vn_client *c, const vn_args *a);
int vn_cmd_case_remove(vn_client *c, const vn_args *a);
int vn_cmd_case_reassign(vn_client *c, const vn_args *a);
int vn_cmd_case_close(vn_client *c, const vn_args *a);
int vn_cmd_case_reopen(vn_client *c, const vn_args *a);
int vn_cmd_invite(vn_client *c, const vn_args *a);
int vn_cmd_audit(vn_client *c, const vn_args *a);
int vn_cmd_contract_set(vn_client *c, const vn_args *a);
int vn_cmd_contract_show(vn_client *c, const vn_args *a);
int vn_cmd_contract_sign(vn_client *c, const vn_args *a);
int vn_cmd_checkin(vn_client *c, const vn_args *a);
int vn_cmd_contact_record(vn_client *c, const vn_args *a);
int vn_cmd_test_record(vn_client *c, const vn_args *a);
int vn_cmd_state_record(vn_client *c, const vn_args *a);
int vn_cmd_selfhelp_record(vn_client *c, const vn_args *a);
/* intervision groups (cmd_group.c, cmd_group_session.c) */
int vn_cmd_group_new(vn_client *c, const vn_args *a);
int vn_cmd_group_invite(vn_client *c, const vn_args *a);
int vn_cmd_group_list(vn_client *c, const vn_args *a);
int vn_cmd_group_accept_rules(vn_client *c, const vn_args *a);
int vn_cmd_group_send(vn_client *c, const vn_args *a);
int vn_cmd_group_leave(vn_client *c, const vn_args *a);
int vn_cmd_group_count_attendance(vn_client *c, const vn_args *a);
int vn_cmd_group_plan(vn_client *c, const vn_args *a);
int vn_cmd_group_start(vn_client *c, const vn_args *a);
int vn_cmd_group_next(vn_client *c, const vn_args *a);
int vn_cmd_group_end(vn_client *c, const vn_args *a);
int vn_cmd_group_status(vn_client *c, const vn_args *a);
int vn_cmd_group_schedule(vn_client *c, const vn_args *a);
int vn_cmd_absence_add(vn_client *c, const vn_args *a);
int vn_cmd_caseload(vn_client *c, const vn_args *a);
int vn_cmd_report(vn_client *c, const vn_args *a);
int vn_cmd_calendar(vn_client *c, const vn_args *a);
int vn_cmd_contract_instructions(vn_client *c, const vn_args *a);
int vn_cmd_signal(vn_client *c, const vn_args *a);
int vn_cmd_sos(vn_client *c, const vn_args *a);
int vn_cmd_claim(vn_client *c, const vn_args *a);
int vn_cmd_ack(vn_client *c, const vn_args *a);
int vn_cmd_alerts(vn_client *c, const vn_args *a);
int vn_cmd_disclosure_attest(vn_client *c, const vn_args *a);
int vn_cmd_quiet_hours(vn_client *c, const vn_args *a);
int vn_cmd_delete_account(vn_client *c, const vn_args *a);
int vn_cmd_change_passphrase(vn_client *c, const vn_args *a);
int vn_cmd_profile_restore(vn_client *c, const vn_args *a);
int vn_cmd_server_set_endpoint(vn_client *c, const vn_args *a);
int vn_cmd_server_show(vn_client *c, const vn_args *a);
int vn_cmd_intake_write(vn_client *c, const vn_args *a);
int vn_cmd_intake_list(vn_client *c, const vn_args *a);
int vn_cmd_wellbeing(vn_client *c, const vn_args *a);
int vn_cmd_wellbeing_due(vn_client *c, const vn_args *a);
int vn_cmd_wellbeing_trend(vn_client *c, const vn_args *a);
int vn_cmd_wellbeing_share(vn_client *c, const vn_args *a);
int vn_cmd_settings_read_receipts(vn_client *c, const vn_args *a);
int vn_cmd_chat(vn_client *c, const vn_args *a);
int vn_cmd_daemon(vn_client *c, const vn_args *a);
int vn_cmd_jsonrpc(vn_client *c, const vn_args *a);

#endif
