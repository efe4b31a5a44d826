/* intake: anonymous first contact. A visitor (who redeemed the programme's
 * first-contact code with `vangnet join`) writes to the intake desk; intake
 * staff list the open first contacts and answer with `vangnet send`. No
 * name or number is asked or sent: a visitor is known by its account id. */
#include "args.h"

#include "vn/frame.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define DESK_NAME "intake" /* the local contact name of the visitor's intake staff */

/* Asks the server whom this visitor writes to; desk gets the first. */
static int desk(vn_client *c, char staff[VN_ACCOUNT_HEX + 1], size_t *n)
{
    Vn__Reply *rep = NULL;
    Vn__IntakeDesk d = VN__INTAKE_DESK__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_INTAKE_DESK;
    req.intake_desk = &d;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_INTAKE_DESK_INFO,
                            "cannot reach the intake desk", &rep);
    if (rc) return rc;
    const Vn__IntakeDeskInfo *info = rep->intake_desk_info;
    *n = info->n_staff;
    if (info->n_staff == 0 || !vn_account_valid(info->staff[0]))
        rc = vn_client_fail(c, VN_EPROTO, "the server named no intake staff");
    else
        snprintf(staff, VN_ACCOUNT_HEX + 1, "%s", info->staff[0]);
    vn_frame_reply_free(rep);
    return rc;
}

int vn_cmd_intake_write(vn_client *c, const vn_args *a)
{
    char staff[VN_ACCOUNT_HEX + 1], msg[512];
    const char *to = vn_args_get(a, "--to");
    size_t n = 0;
    vn_args sa = {0};
    int rc;
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE with the "
                              "programme's first-contact code");
    vn_err cerr = vn_client_connect(c);
    if (cerr) return vn_client_fail(c, cerr, "cannot connect");
    if (to) {
        /* An answer to someone of the desk who wrote: send checks it is allowed. */
        if (vn_client_resolve(c, to, staff))
            return vn_client_fail(c, VN_ENOACCOUNT,
                                  "%s is neither an account id nor a contact name", to);
    } else {
        if ((rc = desk(c, staff, &n))) return rc;
        /* The desk's first keeps the name, so inbox shows who answered. */
        vn_err err = vn_client_contact_add(c, DESK_NAME, staff);
        if (err) return vn_client_fail(c, err, "cannot keep the contact: %s", vn_err_str(err));
    }
    char *argv[] = {staff, (char *)vn_args_pos(a, 0), NULL};
    vn_err err = vn_args_parse(&sa, vn_commands_find("send", NULL), 2, argv, msg, sizeof msg);
    if (err) return vn_client_fail(c, err, "cannot prepare the message: %s", msg);
    bool json = c->json;
    c->json = false;
    rc = vn_cmd_send(c, &sa);
    c->json = json;
    vn_args_free(&sa);
    if (rc) return rc;
    if (c->json)
        printf("{\"sent\": 1, \"to\": \"%s\"}\n", staff);
    else
        printf("Sent to the programme's intake staff (%s), end to end. Their answer comes with "
               "vangnet inbox.\n",
               to ? to : DESK_NAME);
    return EXIT_OK;
}

/* One page of the list from offset; prints it. */
static int list_page(vn_client *c, uint32_t offset, bool *more, uint32_t *shown, bool first)
{
    Vn__Reply *rep = NULL;
    Vn__IntakeList l = VN__INTAKE_LIST__INIT;
    l.offset = offset;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_INTAKE_LIST;
    req.intake_list = &l;
    int rc = vn_client_call(c, &req, VN__REPLY__BODY_INTAKE_CONTACTS,
                            "cannot list the first contacts", &rep);
    if (rc) return rc;
    const Vn__IntakeContacts *ic = rep->intake_contacts;
    if (first && !c->json) {
        if (ic->total == 0)
            printf("No open first contacts.\n");
        else
            printf("%u open first contact%s, most recently active first:\n%-32s  %-10s  %-10s  "
                   "%s  %s\n",
                   ic->total, ic->total == 1 ? "" : "s", "handle (account)", "since", "active",
                   "talks", "purged on, if idle");
    }
    for (size_t i = 0; i < ic->n_contacts; i++) {
        const Vn__IntakeContact *k = ic->contacts[i];
        /* Shown only in the shape the server must send. */
        if (!vn_account_valid(k->account)) continue;
        if (c->json) {
            printf("%s{\"account\": \"%s\", \"since\": ", *shown ? ", " : "", k->account);
            vn_json_str(stdout, k->first_day);
            printf(", \"last_active\": ");
            vn_json_str(stdout, k->last_day);
            printf(", \"conversations\": %u, \"purge\": ", k->conversations);
            vn_json_str(stdout, k->purge_day);
            printf("}");
        } else {
            printf("%-32s  %-10.10s  %-10.10s  %5u  %.10s\n", k->account, k->first_day, k->last_day,
                   k->conversations, k->purge_day);
        }
        (*shown)++;
    }
    *more = ic->more && ic->n_contacts > 0;
    vn_frame_reply_free(rep);
    return EXIT_OK;
}

int vn_cmd_intake_list(vn_client *c, const vn_args *a)
{
    bool all = vn_args_has(a, "--all"), more = true;
    uint32_t shown = 0;
    int rc = EXIT_OK;
    if (!c->account[0])
        return vn_client_fail(c, VN_ENOTFOUND,
                              "this profile has not joined yet: vangnet join CODE");
    if (c->json) printf("[");
    for (bool first = true; !rc && more && (first || all); first = false)
        rc = list_page(c, shown, &more, &shown, first);
    if (c->json && !rc) printf("]\n");
    if (!rc && more && !c->json) printf("(more: --all lists every page)\n");
    return rc;
}
