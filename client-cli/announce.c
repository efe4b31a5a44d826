/* Announcement lines. Every field comes from the server and is made safe
 * to print (vn_text_field) before it goes into a line of the client's own. */
#include "announce.h"

#include "text.h"

#include <stdio.h>
#include <string.h>

#define FIELD 160 /* room for an id, a role or a date once made printable */

/* An account as shown: its label, else its id; into out. */
static const char *who(const char *account, vn_announce_label_fn label, void *ud, char *out,
                       size_t size)
{
    char raw[FIELD], shown[FIELD];
    const char *l = label && account && account[0] ? label(ud, account, raw, sizeof raw) : NULL;
    vn_text_field(l ? l : account, shown, sizeof shown);
    snprintf(out, size, "%s", shown[0] ? shown : "an unknown account");
    return out;
}

bool vn_announce_text_labelled(const Vn__Notice *n, vn_announce_label_fn label, void *ud,
                               char *text, size_t size)
{
    char cs[FIELD], role[FIELD], acc[FIELD], prev[FIELD], until[FIELD];
    const char *k = n->kind ? n->kind : "";
    vn_text_field(n->case_id, cs, sizeof cs);
    vn_text_field(n->role, role, sizeof role);
    who(n->account, label, ud, acc, sizeof acc);
    if (strcmp(k, "member-left") == 0) {
        /* The server names no deleted account: a participant is one, a
         * buddy or naaste one of several (case show lists who is left). */
        bool p = n->role && strcmp(n->role, "participant") == 0;
        snprintf(text, size, "member-left: %s %s of case %s deleted their account and left%s",
                 p ? "the" : "a", role, cs,
                 p ? "; their casemanager decides what follows" : " (case show lists who is left)");
    } else if (strcmp(k, "member-removed") == 0) {
        snprintf(text, size, "member-removed: the casemanager removed the %s %s from case %s", role,
                 acc, cs);
    } else if (strcmp(k, "removed-from-case") == 0) {
        snprintf(text, size,
                 "removed-from-case: your casemanager removed you (%s) from case %s; "
                 "you no longer send or receive its messages",
                 role, cs);
    } else if (strcmp(k, "casemanager-changed") == 0) {
        who(n->previous, label, ud, prev, sizeof prev);
        snprintf(text, size, "casemanager-changed: case %s is now managed by %s (before: %s)", cs,
                 acc, prev);
    } else if (strcmp(k, "case-closed") == 0) {
        vn_text_field(n->reopen_until, until, sizeof until);
        snprintf(text, size,
                 "case-closed: case %s was closed by its casemanager; they can reopen it "
                 "until %s (vangnet case reopen CASE), after that its data is purged",
                 cs, until[0] ? until : "its retention ends");
    } else if (strcmp(k, "case-reopened") == 0) {
        snprintf(text, size, "case-reopened: case %s was reopened by its casemanager %s", cs, acc);
    } else {
        return false;
    }
    return true;
}

bool vn_announce_text(const Vn__Notice *n, char *text, size_t size)
{
    return vn_announce_text_labelled(n, NULL, NULL, text, size);
}
