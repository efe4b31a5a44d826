/* Names where a person reads: a contact name or a short id for an account,
 * the short handle of a case and finding a case by it. The cases a profile
 * knows are kept in its own store (config "kcase:" + id, sealed like
 * everything there): the ones the server listed, showed or named in an
 * alert to this profile. Nothing here tells the server anything new. */
#include "client.h"
#include "names.h"

#include "vn/frame.h"
#include "vn/account.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define KNOWN_PREFIX "kcase:"
#define KNOWN_MAX    4096 /* cases one profile keeps track of, at most */

/* The cases this profile knows, read once a run. */
struct vn_known {
    char (*ids)[VN_ACCOUNT_HEX + 1];
    size_t n, cap;
    bool loaded; /* the store's list is in */
    bool asked;  /* and the server's */
};

static bool known_has(const struct vn_known *k, const char *id)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->ids[i], id) == 0) return true;
    return false;
}

static vn_err known_add(struct vn_known *k, const char *id)
{
    if (!vn_account_valid(id) || known_has(k, id)) return VN_OK;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        if (cap > KNOWN_MAX) return VN_EFULL;
        void *p = realloc(k->ids, cap * sizeof *k->ids);
        if (!p) return VN_ENOMEM;
        k->ids = p;
        k->cap = cap;
    }
    memcpy(k->ids[k->n++], id, VN_ACCOUNT_HEX + 1);
    return VN_OK;
}

static vn_err known_cb(void *ud, const void *key, size_t kl, const void *v, size_t vl, bool *stop)
{
    char id[VN_ACCOUNT_HEX + 1];
    size_t pl = strlen(KNOWN_PREFIX);
    if (kl != pl + VN_ACCOUNT_HEX) return VN_OK;
    memcpy(id, (const char *)key + pl, VN_ACCOUNT_HEX);
    id[VN_ACCOUNT_HEX] = '\0';
    known_add(ud, id); /* a full list still resolves what it holds */
    return VN_OK;
}

/* The cache, with the store's list read into it; NULL without memory. */
static struct vn_known *known_of(vn_client *c)
{
    if (!c->known && !(c->known = calloc(1, sizeof *c->known))) return NULL;
    if (!c->known->loaded && c->kv) {
        vn_kv_each(c->kv, CDB_CONFIG, KNOWN_PREFIX, strlen(KNOWN_PREFIX), known_cb, c->known);
        c->known->loaded = true;
    }
    return c->known;
}

void vn_client_known_free(vn_client *c)
{
    if (c->known) free(c->known->ids);
    free(c->known);
    c->known = NULL;
}

void vn_client_case_seen(vn_client *c, const char *case_id)
{
    char key[sizeof KNOWN_PREFIX + VN_ACCOUNT_HEX];
    struct vn_known *k = known_of(c);
    if (!k || !vn_account_valid(case_id) || known_has(k, case_id)) return;
    known_add(k, case_id);
    snprintf(key, sizeof key, KNOWN_PREFIX "%s", case_id);
    /* Best effort: a case not noted is found again through the server. */
    if (!vn_kv_has(c->kv, CDB_CONFIG, key, strlen(key))) vn_client_cfg_put(c, key, "", 0);
}

/* Asks the server which cases this profile has (a casemanager's list, or
 * the own case of a member): quietly, since a handle may also resolve
 * among the cases already known here. */
static void known_ask_server(vn_client *c, struct vn_known *k)
{
    Vn__Reply *rep = NULL;
    Vn__CaseList cl = VN__CASE_LIST__INIT;
    Vn__Whoami w = VN__WHOAMI__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    char role[32] = "";
    size_t n = 0;
    k->asked = true;
    if (!c->account[0] || vn_client_connect(c)) return;
    vn_client_cfg_get(c, "role", role, sizeof role - 1, &n);
    role[n < sizeof role ? n : 0] = '\0';
    bool cm = strcmp(role, "casemanager") == 0;
    req.body_case = cm ? VN__REQUEST__BODY_CASE_LIST : VN__REQUEST__BODY_WHOAMI;
    if (cm)
        req.case_list = &cl;
    else
        req.whoami = &w;
    if (vn_conn_call(c->conn, &req, &rep)) return;
    if (rep->body_case == VN__REPLY__BODY_CASES)
        for (size_t i = 0; i < rep->cases->n_cases; i++)
            vn_client_case_seen(c, rep->cases->cases[i]->case_id);
    else if (rep->body_case == VN__REPLY__BODY_IDENTITY && rep->identity->case_id)
        vn_client_case_seen(c, rep->identity->case_id);
    vn_frame_reply_free(rep);
}

/* Finds given among the known cases; VN_OK with out set, or the error of
 * vn_names_match (*count candidates for VN_EEXISTS). */
static vn_err match_known(const struct vn_known *k, const char *given, char *out, size_t *count)
{
    const char **ids = calloc(k->n ? k->n : 1, sizeof *ids);
    size_t at = 0;
    if (!ids) return VN_ENOMEM;
    for (size_t i = 0; i < k->n; i++)
        ids[i] = k->ids[i];
    vn_err err = vn_names_match(given, ids, k->n, &at, count);
    if (!err) memcpy(out, k->ids[at], VN_ACCOUNT_HEX + 1);
    free(ids);
    return err;
}

/* "a, b, c" of the known cases that start with given (all when given is
 * ""), at most a screenful. */
static void candidates(vn_client *c, const struct vn_known *k, const char *given, char *out,
                       size_t size)
{
    size_t o = 0, len = strlen(given), shown = 0;
    out[0] = '\0';
    for (size_t i = 0; i < k->n && o < size; i++) {
        if (strncasecmp(k->ids[i], given, len) != 0) continue;
        if (++shown > 12) {
            snprintf(out + o, size - o, ", ...");
            return;
        }
        char handle[VN_ACCOUNT_HEX + 1];
        vn_client_case_handle(c, k->ids[i], handle, sizeof handle);
        int n = snprintf(out + o, size - o, "%s%s", o ? ", " : "", len ? k->ids[i] : handle);
        if (n < 0) return;
        o += (size_t)n;
    }
}

int vn_client_case_resolve(vn_client *c, const char *given, char out[VN_ACCOUNT_HEX + 1])
{
    char lower[VN_ACCOUNT_HEX + 1], list[1200];
    size_t len = given ? strlen(given) : 0, count = 0;
    if (len == VN_ACCOUNT_HEX && vn_account_valid(given)) {
        memcpy(out, given, VN_ACCOUNT_HEX + 1);
        return EXIT_OK;
    }
    if (len < VN_NAMES_HANDLE_MIN || len > VN_ACCOUNT_HEX || !vn_names_is_hex(given))
        return vn_client_fail_usage(
            c,
            "%s is not a case id (32 hex characters) nor a case handle (its "
            "first %d or more hex characters, as vangnet caseload and case "
            "list show them)",
            given ? given : "", VN_NAMES_HANDLE_MIN);
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)tolower((unsigned char)given[i]);
    struct vn_known *k = known_of(c);
    if (!k) return vn_client_fail(c, VN_ENOMEM, "out of memory");
    /* Every handle shown was made unique among the cases known here, and
     * a case never shown here cannot be the one meant: a single match
     * here is it. None: the server's list may know more. */
    vn_err err = match_known(k, lower, out, &count);
    if (err == VN_ENOTFOUND && !k->asked) {
        known_ask_server(c, k);
        err = match_known(k, lower, out, &count);
    }
    if (err == VN_OK) return EXIT_OK;
    if (err == VN_EEXISTS) {
        candidates(c, k, lower, list, sizeof list);
        return vn_client_fail_usage(c,
                                    "case handle %s is ambiguous: %zu cases start with it (%s); "
                                    "give more characters",
                                    lower, count, list);
    }
    if (err == VN_ENOTFOUND) {
        candidates(c, k, "", list, sizeof list);
        return vn_client_fail_usage(c, "no case you know starts with %s%s%s%s", lower,
                                    list[0] ? " (your cases: " : "", list, list[0] ? ")" : "");
    }
    return vn_client_fail(c, err, "cannot look up case %s: %s", lower, vn_err_str(err));
}

const char *vn_client_case_handle(vn_client *c, const char *case_id, char *out, size_t size)
{
    size_t len = VN_NAMES_HANDLE_SHOW;
    struct vn_known *k = case_id ? known_of(c) : NULL;
    if (!case_id || !case_id[0]) {
        snprintf(out, size, "-");
        return out;
    }
    if (k) {
        const char **ids = calloc(k->n ? k->n : 1, sizeof *ids);
        for (size_t i = 0; ids && i < k->n; i++)
            ids[i] = k->ids[i];
        if (ids) len = vn_names_unique_len(case_id, ids, k->n, VN_NAMES_HANDLE_SHOW);
        free(ids);
    }
    /* Only hex goes out as a handle: the id is the server's string. */
    size_t o = 0;
    for (; o < len && o + 1 < size && isxdigit((unsigned char)case_id[o]); o++)
        out[o] = case_id[o];
    out[o] = '\0';
    return out;
}

const char *vn_client_label(vn_client *c, const char *account, char *out, size_t size)
{
    char name[VN_CONTACT_NAME_MAX + 1];
    if (!account || !account[0]) {
        snprintf(out, size, "-");
        return out;
    }
    if (c->account[0] && strcmp(account, c->account) == 0) {
        snprintf(out, size, "you");
        return out;
    }
    if (vn_client_name_of(c, account, name, sizeof name)) {
        vn_text_field(name, out, size);
        return out;
    }
    /* No name known: the id's first characters, enough to tell people of
     * one case apart (the whole id is in --json and --wide). */
    size_t o = 0;
    for (; o < VN_NAMES_HANDLE_SHOW && o + 1 < size && isxdigit((unsigned char)account[o]); o++)
        out[o] = account[o];
    out[o] = '\0';
    return out;
}

#define ALERT_PAGES_MAX 20 /* pages of the alert list a handle is looked for in */

/* The ids of the alerts this account sees (most severe first), page by
 * page; quietly: the caller tells what a failure means. */
static vn_err alert_ids(vn_client *c, char (**ids)[VN_ACCOUNT_HEX + 1], size_t *n)
{
    char cursor[128] = "";
    size_t cap = 0;
    vn_err err = vn_client_connect(c);
    *ids = NULL;
    *n = 0;
    for (int page = 0; !err && page < ALERT_PAGES_MAX; page++) {
        Vn__Reply *rep = NULL;
        Vn__AlertList al = VN__ALERT_LIST__INIT;
        Vn__Request req = VN__REQUEST__INIT;
        al.cursor = cursor;
        req.body_case = VN__REQUEST__BODY_ALERT_LIST;
        req.alert_list = &al;
        if ((err = vn_conn_call(c->conn, &req, &rep))) break;
        if (rep->body_case != VN__REPLY__BODY_ALERTS_VIEW) {
            err = VN_EPROTO;
            vn_frame_reply_free(rep);
            break;
        }
        const Vn__AlertsView *v = rep->alerts_view;
        for (size_t i = 0; !err && i < v->n_alerts; i++) {
            if (!v->alerts[i]->alert || !vn_account_valid(v->alerts[i]->alert)) continue;
            if (*n == cap) {
                void *p = realloc(*ids, (cap = cap ? cap * 2 : 64) * sizeof **ids);
                if (!p) {
                    err = VN_ENOMEM;
                    break;
                }
                *ids = p;
            }
            memcpy((*ids)[(*n)++], v->alerts[i]->alert, VN_ACCOUNT_HEX + 1);
        }
        bool next = v->more && v->cursor && v->cursor[0] && strlen(v->cursor) < sizeof cursor;
        if (next) memcpy(cursor, v->cursor, strlen(v->cursor) + 1);
        vn_frame_reply_free(rep);
        if (!next) break;
    }
    return err;
}

int vn_client_alert_resolve(vn_client *c, const char *given, char out[VN_ACCOUNT_HEX + 1])
{
    char lower[VN_ACCOUNT_HEX + 1];
    char(*ids)[VN_ACCOUNT_HEX + 1] = NULL;
    const char **ptrs = NULL;
    size_t len = given ? strlen(given) : 0, n = 0, at = 0, count = 0;
    if (len == VN_ACCOUNT_HEX && vn_account_valid(given)) {
        memcpy(out, given, VN_ACCOUNT_HEX + 1);
        return EXIT_OK;
    }
    if (len < VN_NAMES_HANDLE_MIN || len > VN_ACCOUNT_HEX || !vn_names_is_hex(given))
        return vn_client_fail_usage(c,
                                    "%s is not an alert id (32 hex characters) nor the start of "
                                    "one (%d or more of its hex characters, as vangnet alerts "
                                    "shows them)",
                                    given ? given : "", VN_NAMES_HANDLE_MIN);
    for (size_t i = 0; i <= len; i++)
        lower[i] = (char)tolower((unsigned char)given[i]);
    vn_err err = alert_ids(c, &ids, &n);
    if (!err && !(ptrs = calloc(n ? n : 1, sizeof *ptrs))) err = VN_ENOMEM;
    for (size_t i = 0; !err && i < n; i++)
        ptrs[i] = ids[i];
    if (!err) err = vn_names_match(lower, ptrs, n, &at, &count);
    if (!err) memcpy(out, ids[at], VN_ACCOUNT_HEX + 1);
    free(ptrs);
    free(ids);
    if (!err) return EXIT_OK;
    if (err == VN_EEXISTS)
        return vn_client_fail_usage(c,
                                    "alert %s is ambiguous: %zu of your alerts start with it; "
                                    "give more characters (vangnet alerts --wide)",
                                    lower, count);
    if (err == VN_ENOTFOUND)
        return vn_client_fail_usage(c,
                                    "none of the alerts you can see starts with %s (vangnet "
                                    "alerts lists them)",
                                    lower);
    return vn_client_fail_call(c, err, "cannot look the alert up");
}
