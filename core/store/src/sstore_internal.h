/* Private to vn_store: the table indices and the one way the store's
 * modules reach vn_kv. Nothing outside core/store/src includes this.
 *
 * Layers: the core (sstore.c: open, close and the st_* wrappers below;
 * meta.c: the meta table) at the bottom; one table module per noun above it,
 * each the only reader and writer of its tables; the orchestration module
 * (lifecycle.c) on top, the only one that calls several table modules. */
#ifndef VN_SSTORE_INTERNAL_H
#define VN_SSTORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/kv.h"
#include "vn/sstore.h"

/* Database indices; their names are in sstore.c and docs/METADATA.md. The
 * comment names the one module that reads and writes each. */
enum {
    VN_DB_META,         /* meta.c: sender-certificate signing key, test clock flag and offset */
    VN_DB_INVITES,      /* invites.c: sha256(secret) -> role, expiry, redeemed, case */
    VN_DB_ACCOUNTS,     /* accounts.c: account -> role, created time, device CURVE key */
    VN_DB_DEVICES,      /* accounts.c: device CURVE key -> account */
    VN_DB_KEYS,         /* keys.c: account -> Signal public identity and signed prekey */
    VN_DB_PREKEYS,      /* keys.c: account|prekey id -> one-time prekey (public) */
    VN_DB_MAILBOX,      /* mailbox.c: recipient|own seq -> minute, envelope without sender */
    VN_DB_MSGINDEX,     /* mailbox.c: recipient|message id -> seq */
    VN_DB_CASES,        /* cases.c: case -> state, casemanager, created, closed */
    VN_DB_MEMBERS,      /* cases.c: case|account -> role, added */
    VN_DB_MEMBEROF,     /* cases.c: account -> case */
    VN_DB_CMCASES,      /* cases.c: casemanager|case -> (empty) */
    VN_DB_AUDIT,        /* audit.c: participant|entry id -> entry sealed to the participant */
    VN_DB_CONTRACTS,    /* contracts.c: case|version -> canonical contract, signature, times */
    VN_DB_EVENTS,       /* events.c: case|day|kind -> count */
    VN_DB_ABSENCES,     /* absences.c: case|from day|kind -> to day */
    VN_DB_SCHED,        /* sched.c: case -> last day the scheduler closed */
    VN_DB_NOTICES,      /* sched.c: case|kind|item -> day of the last notice sent */
    VN_DB_ALERTS,       /* alerts.c: alert -> case, kind, severity, state, level, times, claimer */
    VN_DB_ATTEST,       /* disclosures.c: case|role -> time: one attestation of both gates */
    VN_DB_DISCLOSURES,  /* disclosures.c: case|time -> (empty): a disclosure attested by both */
    VN_DB_QUIET,        /* quiet.c: account -> quiet hours (start, end minute) */
    VN_DB_DEFERRED,     /* quiet.c: account|alert|notice kind -> (empty): held notices */
    VN_DB_MAILTAIL,     /* mailbox.c: recipient -> the last sequence handed out */
    VN_DB_ALERTSBYCASE, /* alerts.c: case|alert -> the alert's key: a case's open alerts */
    VN_DB_SENDQUOTA,    /* mailbox.c: sender -> day, bytes and messages sent that day */
    VN_DB_EXPIRED,      /* expired.c: receipt of an envelope expired undelivered -> day */
    VN_DB_ALERTSLEVEL, /* alerts.c: climbing tag|alert, escalated bucket|alert -> the alert's key */
    VN_DB_ALERTBUCKETS, /* alerts.c: owner|bucket -> count, first, last; owner|severity -> tail */
    VN_DB_INTAKECODES,  /* intake.c: sha256(first-contact secret) -> per hour, hour, redeems */
    VN_DB_VISITORS,     /* intake.c: visitor -> days created and active, sends, intake peers */
    VN_DB_GROUPS,       /* groups.c: group -> facilitator, cap */
    VN_DB_GMEMBERS,     /* groups.c: group|account -> (empty): a member */
    VN_DB_GMEMBEROF,    /* groups.c: account|group -> member or facilitator */
    VN_DB_GINVITES,     /* groups.c: sha256(secret) -> group, expiry */
    VN_DB_OPNONCES,     /* opnonce.c: an operator request's nonce -> its time (cluster mode) */
    VN_DB_COUNT
};

struct vn_sstore {
    vn_kv *kv;             /* the environment and its databases */
    uint64_t accounts_gen; /* writes to the accounts and devices tables (accounts.c) */
    uint64_t accounts_txn; /* the transaction (vn_kv_txn_serial) of the last one */
};

/* Reads: as vn_kv_get, vn_kv_has, vn_kv_each, vn_kv_count on table db. */
vn_err st_get(vn_sstore *st, int db, const void *key, size_t klen, void **val, size_t *vlen);
bool st_has(vn_sstore *st, int db, const void *key, size_t klen);
vn_err st_each(vn_sstore *st, int db, const void *prefix, size_t plen, vn_kv_each_fn fn, void *ud);
/* As vn_kv_each_from: at most max records after *pos, in stored order. */
vn_err st_each_from(vn_sstore *st, int db, const void *prefix, size_t plen, vn_kv_pos *pos,
                    size_t max, vn_kv_each_fn fn, void *ud);

/* Writes: every put and delete of the store passes through these three
 * (sstore.c), the one place to add at-rest encryption or capture a
 * write-set. st_del returns VN_ENOTFOUND for an absent key; st_drop is the
 * same delete for callers to whom absent is fine. */
vn_err st_put(vn_sstore *st, int db, const void *key, size_t klen, const void *val, size_t vlen);
vn_err st_del(vn_sstore *st, int db, const void *key, size_t klen);
vn_err st_drop(vn_sstore *st, int db, const void *key, size_t klen);
vn_err st_del_prefix(vn_sstore *st, int db, const void *prefix, size_t plen);
/* Deletes the records of db that match says yes to (keys up to
 * ST_WHERE_KEY_MAX bytes). A walk cannot delete, so this collects a batch
 * of keys, deletes them, and walks again while batches come back full.
 * st_del_where_from is one bounded step of the same: at most max records
 * read after *pos (as st_each_from). */
#define ST_WHERE_KEY_MAX 64
typedef bool (*st_match_fn)(void *ud, const void *key, size_t klen, const void *val, size_t vlen);
vn_err st_del_where(vn_sstore *st, int db, st_match_fn match, void *ud);
vn_err st_del_where_from(vn_sstore *st, int db, vn_kv_pos *pos, size_t max, st_match_fn match,
                         void *ud);

/* Transactions, as vn_kv_begin .. vn_kv_commit (nested calls count), and
 * vn_kv_sub_begin/_end. A failed put or delete has already aborted the
 * transaction (vn_kv does that); after any other error a function that
 * began a level ends it with st_commit, which keeps an outer
 * transaction's work. */
vn_err st_begin(vn_sstore *st);
vn_err st_commit(vn_sstore *st);
void st_abort(vn_sstore *st);
bool st_in_txn(vn_sstore *st);
vn_err st_sub_begin(vn_sstore *st);
vn_err st_sub_end(vn_sstore *st, bool keep);
/* Runs one(st, i, ud) for each i < n in one transaction, each in a
 * sub-transaction of its own: one that fails is undone and left for the
 * next sweep, and does not hold back the others. *done counts those kept
 * (0 when the whole transaction failed). */
typedef vn_err (*st_one_fn)(vn_sstore *st, size_t i, void *ud);
vn_err st_each_apart(vn_sstore *st, size_t n, st_one_fn one, void *ud, size_t *done);

#endif
