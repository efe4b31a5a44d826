/* case, invite, audit, delete-account: the care network from the client. */
#include "args.h"
#include "keyfile.h"

#include "vn/frame.h"
#include "vn/invite.h"
#include "vn/role.h"
#include "vn/parse.h"
#include "vn/account.h"
#include "vn/hex.h"
#include "vn/array.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Most audit entries --all holds (about 100 pages). */
#define AUDIT_LINES_MAX 51200

static void print_time(uint64_t ms)
{
    char t[32];
    vn_iso_time(ms, t, sizeof t);
    fputs(t, stdout);
}

static void print_case(vn_client *c, const Vn__CaseInfo *ci, bool json, bool wide)
{
    char name[128], handle[VN_ACCOUNT_HEX + 1];
    vn_client_case_seen(c, ci->case_id);
    vn_client_case_handle(c, ci->case_id, handle, sizeof handle);
    if (json) {
        fputs("{\"case\": ", stdout);
        vn_json_str(stdout, ci->case_id);
        fputs(", \"handle\": ", stdout);
        vn_json_str(stdout, handle);
        fputs(", \"state\": ", stdout);
        vn_json_str(stdout, ci->state);
        fputs(", \"casemanager\": ", stdout);
        vn_json_str(stdout, ci->casemanager);
        if (vn_client_name_of(c, ci->casemanager, name, sizeof name)) {
            fputs(", \"casemanager_name\": ", stdout);
            vn_json_str(stdout, name);
        }
        fputs(", \"members\": [", stdout);
        for (size_t i = 0; i < ci->n_members; i++) {
            const char *label = vn_client_name_of(c, ci->members[i]->account, name, sizeof name);
            printf("%s{\"account\": ", i ? ", " : "");
            vn_json_str(stdout, ci->members[i]->account);
            fputs(", \"role\": ", stdout);
            vn_json_str(stdout, ci->members[i]->role);
            if (label) {
                fputs(", \"name\": ", stdout);
                vn_json_str(stdout, label);
            }
            fputs("}", stdout);
        }
        fputs("]}", stdout);
        return;
    }
    /* Ids, roles and states are the server's, names a contact's: all made
     * safe to print. People show by their contact name (or a short id);
     * --wide adds the whole ids. */
    char f1[80], f2[80], f3[400];
    printf("case %s (%s)\n", wide ? vn_text_field(ci->case_id, f1, sizeof f1) : handle,
           vn_text_field(ci->state, f2, sizeof f2));
    printf("  %-12s %s", "casemanager", vn_client_label(c, ci->casemanager, f3, sizeof f3));
    if (wide) printf(" (%s)", vn_text_field(ci->casemanager, f1, sizeof f1));
    printf("\n");
    for (size_t i = 0; i < ci->n_members; i++) {
        printf("  %-12s %s", vn_text_field(ci->members[i]->role, f1, sizeof f1),
               vn_client_label(c, ci->members[i]->account, f3, sizeof f3));
        if (wide) printf(" (%s)", vn_text_field(ci->members[i]->account, f2, sizeof f2));
        printf("\n");
    }
    if (ci->created_ms) {
        fputs("  opened       ", stdout);
        print_time(ci->created_ms);
        fputs("\n", stdout);
    }
}

static int case_reply_as(vn_client *c, Vn__Request *req, const char *what, bool wide)
{
    Vn__Reply *rep = NULL;
    int rc = vn_client_call(c, req, VN__REPLY__BODY_CASE_INFO, what, &rep);
    if (rc) return rc;
    print_case(c, rep->case_info, c->json, wide);
    if (c->json) fputs("\n", stdout);
    vn_frame_reply_free(rep);
    return EXIT_OK;
}

static int case_reply(vn_client *c, Vn__Request *req, const char *what)
{
    return case_reply_as(c, req, what, false);
}

int vn_cmd_case_new(vn_client *c, const vn_args *a)
{
    Vn__Reply *rep = NULL;
    Vn__CaseNew cn = VN__CASE_NEW__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_NEW;
    req.case_new = &cn;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_CASE_INFO, "cannot create a case", &rep);
    if (rc) return rc;
    char f[80];
    if (c->json) {
        fputs("{\"case\": ", stdout);
        vn_json_str(stdout, rep->case_info->case_id);
        fputs("}\n", stdout);
    } else {
        printf("%s\n", vn_text_field(rep->case_info->case_id, f, sizeof f));
    }
    vn_frame_reply_free(rep);
    return EXIT_OK;
}

int vn_cmd_case_list(vn_client *c, const vn_args *a)
{
    Vn__Reply *rep = NULL;
    Vn__CaseList cl = VN__CASE_LIST__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_LIST;
    req.case_list = &cl;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_CASES, "cannot list cases", &rep);
    if (rc) return rc;
    if (c->json) fputs("[", stdout);
    for (size_t i = 0; i < rep->cases->n_cases; i++) {
        if (c->json && i) fputs(", ", stdout);
        print_case(c, rep->cases->cases[i], c->json, vn_args_has(a, "--wide"));
    }
    if (c->json)
        fputs("]\n", stdout);
    else if (rep->cases->n_cases == 0)
        printf("no cases yet: vangnet case new\n");
    vn_frame_reply_free(rep);
    return EXIT_OK;
}

/* The case id of the command line (its first argument), or NULL after
 * saying what is wrong with it. */
static const char *case_arg(vn_client *c, const vn_args *a, int *rc)
{
    const char *case_id = vn_args_pos(a, 0);
    return vn_args_case_ok(c, case_id, rc) ? case_id : NULL;
}

int vn_cmd_case_show(vn_client *c, const vn_args *a)
{
    int rc = 0;
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    if (!(cs.case_id = (char *)case_arg(c, a, &rc))) return rc;
    req.body_case = VN__REQUEST__BODY_CASE_SHOW;
    req.case_show = &cs;
    return case_reply_as(c, &req, "cannot show the case", vn_args_has(a, "--wide"));
}

/* Closing stops the case for everyone in it, so it is confirmed: on a
 * terminal by typing the case as given (or its whole id) or "yes"; a
 * script says --yes. Returns 0 to go on, else the exit code. */
static int confirm_close(vn_client *c, const vn_args *a, const char *case_id)
{
    const char *given = vn_args_pos(a, 0);
    char line[128];
    if (vn_args_has(a, "--yes")) return 0;
    if (!isatty(STDIN_FILENO))
        return vn_client_fail_usage(
            c, "closing case %s needs a confirmation: run it on a terminal, or add --yes", given);
    fprintf(stderr,
            "Closing case %s ends it for its participant, buddies and naasten: no messages, "
            "check-ins or signals until you reopen it (vangnet case reopen), which is possible "
            "until its retention ends; then its data is purged.\n"
            "Type the case (%s) or yes to close it: ",
            case_id, given);
    bool ok = fgets(line, sizeof line, stdin) != NULL;
    line[ok ? strcspn(line, "\r\n") : 0] = '\0';
    if (ok && (strcmp(line, "yes") == 0 || strcmp(line, given) == 0 || strcmp(line, case_id) == 0))
        return 0;
    return vn_client_fail(c, VN_EDENIED, "case %s not closed: the confirmation did not match",
                          given);
}

int vn_cmd_case_close(vn_client *c, const vn_args *a)
{
    int rc = 0;
    Vn__CaseClose cc = VN__CASE_CLOSE__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    if (!(cc.case_id = (char *)case_arg(c, a, &rc))) return rc;
    if ((rc = confirm_close(c, a, cc.case_id))) return rc;
    req.body_case = VN__REQUEST__BODY_CASE_CLOSE;
    req.case_close = &cc;
    return case_reply(c, &req, "cannot close the case");
}

int vn_cmd_case_reopen(vn_client *c, const vn_args *a)
{
    int rc = 0;
    Vn__CaseReopen cr = VN__CASE_REOPEN__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    if (!(cr.case_id = (char *)case_arg(c, a, &rc))) return rc;
    req.body_case = VN__REQUEST__BODY_CASE_REOPEN;
    req.case_reopen = &cr;
    return case_reply(c, &req, "cannot reopen the case");
}

/* The member the command line names (its second argument), or NULL after
 * saying it names nobody. */
static const char *member_arg(vn_client *c, const vn_args *a, char who[VN_ACCOUNT_HEX + 1], int *rc)
{
    if (vn_client_resolve(c, vn_args_pos(a, 1), who) == VN_OK) return who;
    *rc = vn_client_fail(c, VN_EINVAL, "%s is neither an account id nor a contact name",
                         vn_args_pos(a, 1));
    return NULL;
}

int vn_cmd_case_remove(vn_client *c, const vn_args *a)
{
    char who[VN_ACCOUNT_HEX + 1];
    int rc = 0;
    Vn__CaseRemove cr = VN__CASE_REMOVE__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    if (!(cr.case_id = (char *)case_arg(c, a, &rc)) ||
        !(cr.account = (char *)member_arg(c, a, who, &rc)))
        return rc;
    req.body_case = VN__REQUEST__BODY_CASE_REMOVE;
    req.case_remove = &cr;
    return case_reply(c, &req, "cannot remove the member");
}

int vn_cmd_case_reassign(vn_client *c, const vn_args *a)
{
    char who[VN_ACCOUNT_HEX + 1];
    int rc = 0;
    Vn__CaseReassign ca = VN__CASE_REASSIGN__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    if (!(ca.case_id = (char *)case_arg(c, a, &rc)) ||
        !(ca.account = (char *)member_arg(c, a, who, &rc)))
        return rc;
    req.body_case = VN__REQUEST__BODY_CASE_REASSIGN;
    req.case_reassign = &ca;
    return case_reply(c, &req, "cannot reassign the case");
}

int vn_cmd_invite(vn_client *c, const vn_args *a)
{
    const char *case_id = vn_args_get(a, "--case"), *role = vn_args_get(a, "--role"),
               *ttl = vn_args_get(a, "--ttl");
    uint64_t ttl_ms = 0;
    Vn__Reply *rep = NULL;
    if (ttl && (vn_parse_duration(ttl, &ttl_ms) || ttl_ms == 0))
        return vn_client_fail_usage(c, "--ttl must be a duration such as 7d, not %s", ttl);
    Vn__CaseInvite ci = VN__CASE_INVITE__INIT;
    ci.case_id = (char *)case_id;
    ci.role = (char *)role;
    ci.ttl_ms = ttl_ms;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_INVITE;
    req.case_invite = &ci;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_INVITED, "cannot invite", &rep);
    if (rc) return rc;
    /* The code carries our own pinned endpoint and server key. */
    vn_invite inv;
    char code[VN_INVITE_TEXT_MAX];
    size_t n;
    memset(&inv, 0, sizeof inv);
    vn_err err = rep->invited->secret.len == VN_INVITE_SECRET_LEN ? VN_OK : VN_EPROTO;
    if (!err) memcpy(inv.secret, rep->invited->secret.data, VN_INVITE_SECRET_LEN);
    /* The server's public addresses if it has them, else the ones we use. */
    const Vn__Invited *iv = rep->invited;
    if (!err && iv->n_endpoints > 0) {
        for (size_t k = 0; k < iv->n_endpoints && !err; k++)
            if (vn_invite_endpoints_parse(iv->endpoints[k], &inv.endpoints, NULL, 0))
                err = VN_EPROTO;
    } else if (!err && iv->endpoint && iv->endpoint[0]) {
        if (vn_invite_endpoints_parse(iv->endpoint, &inv.endpoints, NULL, 0)) err = VN_EPROTO;
    } else if (!err) {
        err = vn_client_endpoints(c, &inv.endpoints);
    }
    for (size_t k = 0; !err && k < inv.endpoints.n; k++) {
        if (!vn_invite_endpoint_wildcard(inv.endpoints.ep[k])) continue;
        char f[VN_ENDPOINT_MAX * 4 + 1];
        vn_frame_reply_free(rep);
        vn_text_field(inv.endpoints.ep[k], f, sizeof f);
        explicit_bzero(&inv, sizeof inv);
        return vn_client_fail(
            c, VN_EINVAL,
            "no invite: this profile reaches the server at %s, a wildcard address no one else "
            "can connect to, and the server names no public address; its operator runs vangnetd "
            "with --public-endpoint tcp://HOST:PORT (public-endpoint in its settings file)",
            f);
    }
    if (!err) err = vn_client_cfg_get(c, "server_key", inv.server_key, 32, &n);
    if (!err) err = vn_invite_encode(&inv, code, sizeof code);
    explicit_bzero(&inv, sizeof inv);
    if (err) {
        vn_frame_reply_free(rep);
        return vn_client_fail(c, err, "cannot build the invite code: %s", vn_err_str(err));
    }
    if (c->json) {
        printf("{\"invite\": \"%s\", \"case\": ", code);
        vn_json_str(stdout, rep->invited->case_id);
        fputs(", \"role\": ", stdout);
        vn_json_str(stdout, rep->invited->role);
        fputs(", \"expires\": \"", stdout);
        print_time(rep->invited->expires_ms);
        printf("\"}\n");
    } else {
        printf("%s\n", code);
    }
    explicit_bzero(code, sizeof code);
    vn_frame_reply_free(rep);
    return EXIT_OK;
}

/* Disclosures recorded about the participant are part of their log. */
static void print_disclosures(vn_client *c, const Vn__AuditLog *log, size_t shown)
{
    for (size_t i = 0; i < log->n_disclosures_ms; i++) {
        if (c->json) {
            printf("%s{\"time\": \"", shown + i ? ", " : "");
            print_time(log->disclosures_ms[i]);
            printf("\", \"reader\": \"\", \"role\": \"casemanager+medical-lead\", "
                   "\"what\": \"disclosure\"}");
        } else {
            print_time(log->disclosures_ms[i]);
            printf("  DISCLOSURE recorded: your casemanager and a medical lead attested that "
                   "safety is at risk and no action was taken\n");
        }
    }
}

/* One entry of the audit log as this device opened it. */
struct audit_line {
    bool ok;                         /* the box opened and held a well-formed record */
    uint64_t minute_ms;              /* when, to the minute */
    char reader[VN_ACCOUNT_HEX + 1]; /* who read */
    vn_role role;                    /* their role at the time */
    uint32_t what;                   /* vn_audit_what of the server */
};

/* The server's vn_audit_what numbers, as AuditRecord.what carries them. */
static const char *what_name(uint32_t what)
{
    static const char *const names[] = {"unknown", "case", "contract", "events", "alerts"};
    return what < sizeof names / sizeof names[0] ? names[what] : "unknown";
}

/* Opens one sealed entry with this device's identity key. A box that does
 * not open (not sealed to this identity, or altered) leaves l->ok false. */
static void open_entry(vn_client *c, const Vn__AuditEntry *e, struct audit_line *l)
{
    uint8_t plain[128];
    size_t n = 0;
    memset(l, 0, sizeof *l);
    if (vn_e2ee_open_box(c->e2ee, e->box.data, e->box.len, plain, sizeof plain, &n)) return;
    Vn__AuditRecord *rec = vn__audit_record__unpack(NULL, n, plain);
    explicit_bzero(plain, sizeof plain);
    if (!rec) return;
    if (rec->reader.len == VN_ACCOUNT_LEN && rec->minute_ms) {
        vn_hex_encode(rec->reader.data, VN_ACCOUNT_LEN, l->reader);
        l->minute_ms = rec->minute_ms;
        l->role = (vn_role)rec->reader_role;
        l->what = rec->what;
        l->ok = true;
    }
    vn__audit_record__free_unpacked(rec, NULL);
}

/* Oldest first; entries that did not open last. */
static int line_cmp(const void *x, const void *y)
{
    const struct audit_line *a = x, *b = y;
    if (a->ok != b->ok) return a->ok ? -1 : 1;
    return a->minute_ms < b->minute_ms ? -1 : a->minute_ms > b->minute_ms;
}

static void print_line(vn_client *c, const struct audit_line *l, bool first)
{
    char name[128];
    if (!l->ok) {
        if (c->json)
            printf("%s{\"time\": \"\", \"reader\": \"\", \"role\": \"\", \"what\": \"unreadable\", "
                   "\"error\": \"this device cannot open the entry\"}",
                   first ? "" : ", ");
        else
            printf("(an entry this device cannot open: not sealed to its identity key, or "
                   "altered)\n");
        return;
    }
    const char *label = vn_client_name_of(c, l->reader, name, sizeof name);
    if (c->json) {
        printf("%s{\"time\": \"", first ? "" : ", ");
        print_time(l->minute_ms);
        printf("\", \"reader\": \"%s\", \"role\": \"%s\", \"what\": \"%s\"", l->reader,
               vn_role_name(l->role), what_name(l->what));
        if (label) {
            fputs(", \"name\": ", stdout);
            vn_json_str(stdout, label);
        }
        fputs("}", stdout);
    } else {
        char f[400];
        print_time(l->minute_ms);
        printf("  %s %s read your %s\n", vn_role_name(l->role),
               vn_text_field(label ? label : l->reader, f, sizeof f), what_name(l->what));
    }
}

/* The entries read so far, opened, and the disclosures of the first page. */
struct audit_read {
    struct audit_line *lines;
    size_t n, cap, bad;
    Vn__Reply *first; /* the first page's reply (its disclosures) */
    uint32_t rest;    /* entries not read (without --all) */
};

/* Reads one page after cursor (updated: empty when it was the last). */
static int audit_page(vn_client *c, struct audit_read *ar, char *cursor, size_t cursor_size)
{
    Vn__Reply *rep = NULL;
    Vn__AuditRead q = VN__AUDIT_READ__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    q.cursor = cursor;
    req.body_case = VN__REQUEST__BODY_AUDIT_READ;
    req.audit_read = &q;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_AUDIT_LOG, "cannot read the audit log", &rep);
    if (rc) return rc;
    const Vn__AuditLog *log = rep->audit_log;
    if (vn_array_reserve(&ar->lines, &ar->cap, ar->n + log->n_entries, sizeof *ar->lines,
                         AUDIT_LINES_MAX)) {
        vn_frame_reply_free(rep);
        return vn_client_fail(c, VN_ENOMEM, "cannot read the audit log: out of memory");
    }
    for (size_t i = 0; i < log->n_entries; i++) {
        open_entry(c, log->entries[i], &ar->lines[ar->n]);
        ar->bad += !ar->lines[ar->n++].ok;
    }
    bool next = log->more && log->cursor && log->cursor[0] && strlen(log->cursor) < cursor_size;
    ar->rest = next ? log->remaining : 0;
    if (next)
        memcpy(cursor, log->cursor, strlen(log->cursor) + 1);
    else
        cursor[0] = '\0';
    if (!ar->first)
        ar->first = rep;
    else
        vn_frame_reply_free(rep);
    return EXIT_OK;
}

/* The server keeps each entry sealed to this participant's identity key
 * and cannot read it: this device opens and orders them. The server sends
 * a page at a time (in an order that says nothing about time); --all
 * follows the pages, so the whole log is ordered; without it the first
 * page is shown and the rest counted. */
int vn_cmd_audit(vn_client *c, const vn_args *a)
{
    bool all = vn_args_has(a, "--all");
    char cursor[128] = "";
    struct audit_read ar = {NULL, 0, 0, 0, NULL, 0};
    int rc;
    do {
        rc = audit_page(c, &ar, cursor, sizeof cursor);
    } while (!rc && all && cursor[0]);
    if (rc) goto out;
    const Vn__AuditLog *log = ar.first->audit_log;
    if (ar.n > 1) qsort(ar.lines, ar.n, sizeof *ar.lines, line_cmp);
    if (c->json) fputs("[", stdout);
    for (size_t i = 0; i < ar.n; i++)
        print_line(c, &ar.lines[i], i == 0);
    print_disclosures(c, log, ar.n);
    if (c->json)
        fputs("]\n", stdout);
    else if (ar.n + log->n_disclosures_ms == 0)
        printf("nobody has read your case data\n");
    if (ar.rest)
        fprintf(c->json ? stderr : stdout,
                "more: %u older or newer entries (vangnet audit --all)\n", ar.rest);
    if (ar.bad)
        fprintf(stderr,
                "warning: %zu audit %s could not be opened with this device's identity key; "
                "the others are shown\n",
                ar.bad, ar.bad == 1 ? "entry" : "entries");
out:
    free(ar.lines);
    vn_frame_reply_free(ar.first);
    return rc;
}

int vn_cmd_delete_account(vn_client *c, const vn_args *a)
{
    Vn__Reply *rep = NULL;
    Vn__DeleteAccount da = VN__DELETE_ACCOUNT__INIT;
    da.confirm = true;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_DELETE_ACCOUNT;
    req.delete_account = &da;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_DELETED, "cannot delete the account", &rep);
    if (rc) return rc;
    vn_frame_reply_free(rep);
    /* The server forgot the account; the device forgets it too. */
    char gone[VN_ACCOUNT_HEX + 1];
    memcpy(gone, c->account, sizeof gone);
    vn_client_close(c);
    char path[4096];
    /* The key file first: without it the store is unreadable, even if
     * removing the store itself fails. */
    snprintf(path, sizeof path, "%s/%s", c->profile, VN_KEYFILE_NAME);
    int bad = unlink(path);
    snprintf(path, sizeof path, "%s/data.mdb", c->profile);
    bad |= unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", c->profile);
    bad |= unlink(path);
    if (c->json)
        printf("{\"deleted\": \"%s\"}\n", gone);
    else
        printf("account %s deleted from the server%s\n", gone,
               bad ? "; remove the profile directory by hand" : " and from this device");
    return EXIT_OK;
}
