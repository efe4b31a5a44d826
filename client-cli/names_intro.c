/* Display names, end to end: a member who joins a case with a name sends
 * it sealed (Content.introduction) to the casemanager and the care team;
 * a receiver keeps it as the sender's contact name when it has none, and
 * answers once with its own name, so that people who joined earlier are
 * named to the newcomer too. The server relays ciphertext only: it never
 * learns a name. A name never replaces one the receiver chose; a name
 * already in use for someone else gets a number. */
#include "client.h"
#include "names.h"

#include "vn/frame.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

#define NAME_CFG   "display_name" /* this profile's own display name */
#define SENT_CFG   "intro_to:"    /* + account: our name went to them */
#define SUFFIXES   9              /* "NAME (2)" to "NAME (9)" before giving up */
#define SUFFIX_MAX 5              /* bytes of " (N)" */

static bool role_is(vn_client *c, const char *want)
{
    char role[32] = "";
    size_t n = 0;
    if (vn_client_cfg_get(c, "role", role, sizeof role - 1, &n)) n = 0;
    role[n] = '\0';
    return strcmp(role, want) == 0;
}

static bool sent_to(vn_client *c, const char *to)
{
    char key[sizeof SENT_CFG + VN_ACCOUNT_HEX];
    snprintf(key, sizeof key, SENT_CFG "%s", to);
    return vn_kv_has(c->kv, CDB_CONFIG, key, strlen(key));
}

/* Queues our name for account `to` (a session started first if need be)
 * and notes that it went. */
static vn_err intro_to(vn_client *c, const char *to, const Vn__Introduction *iv)
{
    char key[sizeof SENT_CFG + VN_ACCOUNT_HEX];
    Vn__Content content = VN__CONTENT__INIT;
    vn_err err = VN_OK;
    if (strcmp(to, c->account) == 0) return VN_OK;
    /* No text: not a message of the conversation history (outbox.c). */
    content.text = NULL;
    content.introduction = (Vn__Introduction *)iv;
    if (!vn_e2ee_has_session(c->e2ee, to)) err = vn_client_start_session(c, to);
    if (!err) err = vn_outbox_queue(c, to, NULL, &content);
    snprintf(key, sizeof key, SENT_CFG "%s", to);
    if (!err) err = vn_client_cfg_put(c, key, "", 0);
    return err;
}

int vn_client_intro_join(vn_client *c, const char *name, const char *role, size_t *sent)
{
    char case_id[VN_ACCOUNT_HEX + 1], cm[VN_ACCOUNT_HEX + 1];
    Vn__Reply *rep = NULL;
    *sent = 0;
    vn_err err = vn_client_cfg_put(c, NAME_CFG, name, strlen(name));
    if (err) return vn_client_fail(c, err, "cannot keep your name: %s", vn_err_str(err));
    /* Staff join no case: their name goes out in answer to others'. */
    bool naaste = strcmp(role, "naaste") == 0;
    if (!naaste && strcmp(role, "participant") != 0 && strcmp(role, "buddy") != 0) return EXIT_OK;
    int rc = vn_client_own_case(c, case_id, cm);
    if (rc) return rc;
    vn_client_case_seen(c, case_id);
    Vn__Introduction iv = VN__INTRODUCTION__INIT;
    iv.name = (char *)name;
    iv.case_id = case_id;
    iv.role = (char *)role;
    if (vn_account_valid(cm) && !(err = intro_to(c, cm, &iv))) ++*sent;
    /* A naaste writes to the casemanager only; the team writes to each
     * other (the roster is the team's: participant and buddies). */
    if (!err && !naaste && !(rc = vn_client_roster(c, case_id, &rep))) {
        const Vn__CaseInfo *ci = rep->case_info;
        for (size_t i = 0; !err && i < ci->n_members; i++) {
            const char *who = ci->members[i]->account, *r = ci->members[i]->role;
            if (!vn_account_valid(who) || strcmp(who, c->account) == 0 || strcmp(who, cm) == 0)
                continue;
            if (r && (strcmp(r, "participant") == 0 || strcmp(r, "buddy") == 0) &&
                !(err = intro_to(c, who, &iv)))
                ++*sent;
        }
        vn_frame_reply_free(rep);
    }
    if (rc) return rc;
    if (!err) err = vn_outbox_flush(c);
    if (err)
        return vn_client_fail_call(c, err,
                                   "joined, but your name is not yet sent (the next "
                                   "send or inbox sends it)");
    return EXIT_OK;
}

/* A quiet request: the caller decides what a failure means. */
static vn_err quiet_call(vn_client *c, Vn__Request *req, Vn__Reply__BodyCase want, Vn__Reply **rep)
{
    vn_err err = vn_client_connect(c);
    if (!err) err = vn_conn_call(c->conn, req, rep);
    if (!err && (*rep)->body_case != want) err = VN_EPROTO;
    return err;
}

static bool in_case(const Vn__CaseInfo *ci, const char *who, const char *case_id)
{
    if (!ci->case_id || strcmp(ci->case_id, case_id) != 0) return false;
    if (ci->casemanager && strcmp(ci->casemanager, who) == 0) return true;
    for (size_t i = 0; i < ci->n_members; i++)
        if (ci->members[i]->account && strcmp(ci->members[i]->account, who) == 0) return true;
    return false;
}

/* Whether `who` is in case_id as the server tells this profile: its
 * casemanager reads its case list (every member, naasten too; not an
 * audited read), anyone else the team's roster. A refusal is false; a
 * failure to ask is returned. */
static vn_err is_member(vn_client *c, const char *case_id, const char *who, bool *yes)
{
    Vn__Reply *rep = NULL;
    Vn__CaseList cl = VN__CASE_LIST__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    vn_err err;
    *yes = false;
    if (role_is(c, "casemanager")) {
        req.body_case = VN__REQUEST__BODY_CASE_LIST;
        req.case_list = &cl;
        err = quiet_call(c, &req, VN__REPLY__BODY_CASES, &rep);
        for (size_t i = 0; !err && i < rep->cases->n_cases && !*yes; i++)
            *yes = in_case(rep->cases->cases[i], who, case_id);
    } else {
        err = vn_client_record_roster(c, case_id, &rep);
        if (!err) *yes = in_case(rep->case_info, who, case_id);
    }
    vn_frame_reply_free(rep);
    rep = NULL;
    /* Outside the team (a naaste): one's own case and casemanager. */
    if (!*yes && (err == VN_OK || err == VN_EDENIED)) {
        Vn__Whoami w = VN__WHOAMI__INIT;
        Vn__Request wq = VN__REQUEST__INIT;
        wq.body_case = VN__REQUEST__BODY_WHOAMI;
        wq.whoami = &w;
        err = quiet_call(c, &wq, VN__REPLY__BODY_IDENTITY, &rep);
        *yes = !err && rep->identity->case_id && rep->identity->casemanager &&
               strcmp(rep->identity->case_id, case_id) == 0 &&
               strcmp(rep->identity->casemanager, who) == 0;
        vn_frame_reply_free(rep);
    }
    if (err == VN_EDENIED || err == VN_ENOTFOUND || err == VN_EINVAL || err == VN_EPROTO)
        err = VN_OK;
    return err;
}

/* The contact name a new name is kept under: name itself, or with " (N)"
 * when someone else has it; "" when every one is taken. */
static vn_err free_name(vn_client *c, const char *name, char *out, size_t size)
{
    char other[VN_ACCOUNT_HEX + 1];
    size_t n = strlen(name);
    snprintf(out, size, "%s", name);
    for (int k = 1; k <= SUFFIXES; k++) {
        vn_err err = vn_client_resolve(c, out, other);
        if (err == VN_ENOACCOUNT) return VN_OK;
        if (err) return err;
        /* Cut at a character's start, so the number fits in 64 bytes. */
        if (n > VN_CONTACT_NAME_MAX - SUFFIX_MAX) n = VN_CONTACT_NAME_MAX - SUFFIX_MAX;
        while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
            n--;
        snprintf(out, size, "%.*s (%d)", (int)n, name, k + 1);
    }
    out[0] = '\0';
    return VN_OK;
}

vn_err vn_client_intro_take(vn_client *c, const char *from, const Vn__Introduction *iv,
                            bool *answer, char *line, size_t size)
{
    char why[80], had[VN_CONTACT_NAME_MAX + 1], kept[VN_CONTACT_NAME_MAX + 1];
    char handle[VN_ACCOUNT_HEX + 1];
    bool member = false;
    const char *role = iv->role && iv->role[0] ? iv->role : "member";
    *answer = false;
    if (!vn_names_display_ok(iv->name, why, sizeof why) || !vn_account_valid(iv->case_id)) {
        snprintf(line, size, "[name] %.8s sent a name that is not kept: %s", from,
                 vn_account_valid(iv->case_id) ? why : "it names no case");
        return VN_OK;
    }
    vn_err err = is_member(c, iv->case_id, from, &member);
    if (err) return err;
    vn_client_case_handle(c, iv->case_id, handle, sizeof handle);
    if (!member) {
        snprintf(line, size, "[name] %.8s calls themselves \"%s\" but is not in case %s: not kept",
                 from, iv->name, handle);
        return VN_OK;
    }
    *answer = !iv->answer;
    if (vn_client_name_of(c, from, had, sizeof had)) {
        /* The receiver's own choice stays. */
        snprintf(line, size, "[name] %s (%s of case %s) calls themselves \"%s\"", had, role, handle,
                 iv->name);
        return VN_OK;
    }
    if ((err = free_name(c, iv->name, kept, sizeof kept))) return err;
    if (!kept[0]) {
        snprintf(line, size,
                 "[name] %.8s (%s of case %s) is \"%s\", a name already in use here: vangnet "
                 "contacts add NAME %s",
                 from, role, handle, iv->name, from);
        return VN_OK;
    }
    if ((err = vn_client_contact_add(c, kept, from))) return err;
    if (strcmp(kept, iv->name) == 0)
        snprintf(line, size, "[name] %.8s (%s of case %s) is \"%s\": kept as your contact name",
                 from, role, handle, iv->name);
    else
        snprintf(line, size,
                 "[name] %.8s (%s of case %s) is \"%s\", which names someone else here: kept as "
                 "\"%s\"",
                 from, role, handle, iv->name, kept);
    return VN_OK;
}

void vn_client_intro_answer(vn_client *c, const char *from, const Vn__Introduction *iv)
{
    char name[VN_CONTACT_NAME_MAX + 1], role[32] = "";
    size_t n = 0, rl = 0;
    vn_flushed fl = {0};
    if (vn_client_cfg_get(c, NAME_CFG, name, sizeof name - 1, &n) || n == 0) return;
    name[n] = '\0';
    if (sent_to(c, from)) return;
    if (vn_client_cfg_get(c, "role", role, sizeof role - 1, &rl)) rl = 0;
    role[rl] = '\0';
    Vn__Introduction mine = VN__INTRODUCTION__INIT;
    mine.name = name;
    mine.case_id = iv->case_id;
    mine.role = role;
    mine.answer = true;
    /* Best effort: what is not sent now stays in the outbox. */
    if (intro_to(c, from, &mine) == VN_OK) vn_outbox_send(c, &fl);
}
