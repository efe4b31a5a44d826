/* history: the stored conversation, both directions, read from this
 * device only (nothing is asked of the server). inbox stores what it
 * receives, send what it sends. */
#include "args.h"
#include "receipt.h"

#include "vn/account.h"
#include "vn/day.h"

#include <stdlib.h>
#include <string.h>

/* Which messages a history shows. */
typedef struct history_filter {
    char peer[VN_ACCOUNT_HEX + 1]; /* 1:1 with this account only; "" for any */
    const char *case_id;           /* this case's team chat only; NULL for any */
    uint64_t since_ms;             /* sent at or after this time */
    vn_shower *sh;                 /* where they go */
    vn_client *c;                  /* the profile (delivery states) */
    vn_err show_err;               /* why showing stopped (the reader went away) */
} history_filter;

static bool wanted(const history_filter *f, const Vn__Received *r)
{
    const char *from = r->from ? r->from : "", *to = r->to ? r->to : "";
    const char *case_id = r->case_id ? r->case_id : "";
    if (r->time_ms < f->since_ms) return false;
    if (f->case_id) return strcmp(case_id, f->case_id) == 0;
    if (f->peer[0]) return !case_id[0] && (strcmp(from, f->peer) == 0 || strcmp(to, f->peer) == 0);
    return true;
}

static vn_err history_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    history_filter *f = ud;
    Vn__Received *r = vn__received__unpack(NULL, vl, v);
    if (!r) return VN_OK; /* not a record of ours: the rest still shows */
    /* A 1:1 message of ours shows how far it got. */
    f->sh->state = r->to && r->to[0] ? (int)vn_receipt_state(f->c, r->id.data, r->id.len) : 0;
    if (wanted(f, r) && (f->show_err = vn_show_item(f->sh, r))) *stop = true;
    vn__received__free_unpacked(r, NULL);
    return VN_OK;
}

int vn_cmd_history(vn_client *c, const vn_args *a)
{
    history_filter f = {.case_id = vn_args_get(a, "--case")};
    const char *who = vn_args_pos(a, 0), *since = vn_args_get(a, "--since");
    vn_shower sh = {.c = c, .wide = vn_args_has(a, "--wide")};
    int32_t day;
    if (who && f.case_id) return vn_args_usage(c, a, "give either WHO or --case, not both");
    if (f.case_id && !vn_account_valid(f.case_id))
        return vn_client_fail_usage(c, "%s is not a case id (32 hex characters)", f.case_id);
    if (who && vn_client_resolve(c, who, f.peer))
        return vn_client_fail(c, VN_ENOACCOUNT, "%s is neither an account id nor a contact name",
                              who);
    if (since && vn_day_parse(since, &day) != VN_OK)
        return vn_args_invalid(c, a, "--since wants a date YYYY-MM-DD, not %s", since);
    if (since) f.since_ms = day < 0 ? 0 : (uint64_t)day * 86400000ULL;
    f.sh = &sh;
    f.c = c;
    vn_show_begin(&sh);
    vn_err err = vn_kv_each(c->kv, CDB_HISTORY, NULL, 0, history_cb, &f);
    vn_show_end(&sh);
    if (sh.reader_gone) return EXIT_OK;
    if (err) return vn_client_fail(c, err, "cannot read the history: %s", vn_err_str(err));
    if (f.show_err) return vn_client_fail(c, f.show_err, "cannot write the output");
    if (!c->json && sh.n == 0) printf("no messages\n");
    return EXIT_OK;
}
