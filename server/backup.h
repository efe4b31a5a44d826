/* vn_backup: the server's store as a whole, for its operator: a hot,
 * compacted backup that is checked before it is called good, a restore
 * that never overwrites a running or existing store by accident, and a
 * status report read beside the running server. See docs/BACKUP.md. */
#ifndef VN_BACKUP_H
#define VN_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vn/err.h"

/* What a check of a store found: every record of every table was opened
 * with the store key (so the copy is whole and under that key). */
typedef struct vn_backup_counts {
    uint32_t format;  /* the store's format version (vn/meta.h) */
    size_t records;   /* records in all tables */
    size_t accounts;  /* records in accounts */
    size_t queued;    /* envelopes waiting in mailboxes */
    size_t cases;     /* records in cases */
    uint64_t bytes;   /* size of data.mdb */
    uint64_t log_seq; /* cluster mode: the last log entry the store applied (0: none) */
} vn_backup_counts;

/* Whether a vangnetd runs on state: it holds state/vangnetd.lock. */
bool vn_backup_server_running(const char *state);

/* Checks the store in dir (vn_kv_check), opens it under key without
 * changing it and opens every record. VN_ECRYPTO: key does not open it;
 * VN_EVERSION: a format newer than this build (counts->format says which);
 * VN_ESTORE, VN_ENOTFOUND: damaged or missing. msg says what was wrong. */
vn_err vn_backup_verify(const char *dir, const uint8_t key[32], vn_backup_counts *counts, char *msg,
                        size_t size);

/* Copies the store of state, compacted and consistent, into the new (or
 * empty) directory dest as dest/data.mdb while a server may run and write
 * (one read transaction; freed pages, which may hold deleted envelopes,
 * are not copied), then checks the copy (vn_backup_verify) and that it is
 * of the source's format. On error nothing is left in dest. */
vn_err vn_backup_make(const char *state, const char *dest, const uint8_t key[32],
                      vn_backup_counts *counts, char *msg, size_t size);

/* Puts the backup in src (a directory holding data.mdb) into state as its
 * store, after checking it under key (a format newer than this build is
 * refused; an older one is moved forward at the next start). Refused while
 * a server runs on state (VN_EDENIED) and, unless force, when state holds a
 * store already (VN_EEXISTS); with force that store is kept beside as
 * state/data-before-restore-<time>.mdb. The state directory is made if
 * missing. */
vn_err vn_backup_restore(const char *state, const char *src, const uint8_t key[32], bool force,
                         vn_backup_counts *counts, char *msg, size_t size);

/* The state of a server and its store, for `vangnetd status`. */
typedef struct vn_status {
    bool running;       /* a vangnetd holds the state's lock */
    char endpoint[256]; /* where it last listened, or "" */
    uint32_t format;    /* the store's format version */
    size_t used_pages;  /* pages in use (less free pages) */
    size_t map_pages;   /* pages the map allows (at the map size given) */
    size_t queued;      /* envelopes waiting */
    size_t accounts;    /* accounts */
    size_t alerts[4];   /* open alerts by severity: [1] concern, [2] urgent, [3] crisis */
    int32_t last_day;   /* the latest day the scheduler closed for any case; -1 if none */
} vn_status;

/* Prints what a check found, as one line or (json) one object: "backup
 * DIR: format 1, N records (...)"; what names the action. */
void vn_backup_print(FILE *f, bool json, const char *what, const char *dir,
                     const vn_backup_counts *c);

/* Reads the status of state's store under key (mapsize as the server's
 * --map-size; 0: 1 GiB), beside a running server. */
vn_err vn_status_read(const char *state, const uint8_t key[32], size_t mapsize, vn_status *st,
                      char *msg, size_t size);

/* Prints the status for `vangnetd status`: aligned lines, or (json) one
 * object; the software version is VN_VERSION. */
void vn_status_print(FILE *f, bool json, const char *state, const vn_status *s);

#endif
