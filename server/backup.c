/* Backup, restore and the store's checks (backup.h). */
#include "backup.h"
#include "syncdir.h"

#include "vn/alerts.h"
#include "vn/day.h"
#include "vn/kv.h"
#include "vn/meta.h"
#include "vn/sstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

static vn_err say(vn_err err, char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static vn_err say(vn_err err, char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
    return err;
}

static void path_in(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

bool vn_backup_server_running(const char *state)
{
    char path[4096];
    path_in(path, sizeof path, state, "vangnetd.lock");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}

/* A table's index by name, or -1. */
static int table(const char *name)
{
    for (int t = 0; t < vn_sstore_table_count(); t++)
        if (strcmp(vn_sstore_table_name(t), name) == 0) return t;
    return -1;
}

static vn_err count_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen,
                       bool *stop)
{
    (void)key, (void)klen, (void)val, (void)vlen, (void)stop;
    ++*(size_t *)ud;
    return VN_OK;
}

/* Opens every record of every table: each box must open under the key. */
static vn_err count_all(vn_sstore *st, vn_backup_counts *c, char *msg, size_t size)
{
    for (int t = 0; t < vn_sstore_table_count(); t++) {
        size_t n = 0;
        vn_err err = vn_sstore_walk(st, t, count_cb, &n);
        if (err)
            return say(err, msg, size, "table %s does not read back: %s", vn_sstore_table_name(t),
                       vn_err_str(err));
        c->records += n;
        if (t == table("accounts")) c->accounts = n;
        if (t == table("mailbox")) c->queued = n;
        if (t == table("cases")) c->cases = n;
    }
    return VN_OK;
}

/* Opens the store of dir as it is (no upgrade), saying why not. */
static vn_err open_as_is(const char *dir, const uint8_t key[32], size_t mapsize, vn_sstore **st,
                         uint32_t *format, char *msg, size_t size)
{
    vn_meta_format_info fmt;
    char why[512];
    vn_err err = vn_kv_check(dir, true, why, sizeof why);
    if (err) return say(err, msg, size, "%s", why);
    err = vn_meta_open(st, dir, mapsize, key, false, &fmt);
    *format = fmt.found;
    if (err == VN_EVERSION && fmt.newer)
        return say(err, msg, size,
                   "the store in %s is of format %u, newer than this vangnetd (format %u): use "
                   "the vangnetd that wrote it",
                   dir, (unsigned)fmt.found, (unsigned)VN_META_FORMAT);
    if (err == VN_ECRYPTO)
        return say(err, msg, size, "the store key does not open the store in %s (wrong key?)", dir);
    if (err) return say(err, msg, size, "cannot open the store in %s: %s", dir, vn_err_str(err));
    return VN_OK;
}

vn_err vn_backup_verify(const char *dir, const uint8_t key[32], vn_backup_counts *counts, char *msg,
                        size_t size)
{
    vn_sstore *st = NULL;
    char path[4096];
    struct stat sb;
    memset(counts, 0, sizeof *counts);
    vn_err err = open_as_is(dir, key, 0, &st, &counts->format, msg, size);
    if (!err) err = count_all(st, counts, msg, size);
    if (!err && (err = vn_meta_log_seq(st, &counts->log_seq)))
        say(err, msg, size, "cannot read the store's log position: %s", vn_err_str(err));
    vn_sstore_close(&st);
    path_in(path, sizeof path, dir, "data.mdb");
    if (!err && stat(path, &sb) == 0) counts->bytes = (uint64_t)sb.st_size;
    return err;
}

/* dest must be new or an empty directory; it is made mode 0700. */
static vn_err make_dest(const char *dest, char *msg, size_t size)
{
    if (mkdir(dest, 0700) == 0) return VN_OK;
    if (errno != EEXIST)
        return say(VN_EIO, msg, size, "cannot create %s: %s", dest, strerror(errno));
    DIR *d = opendir(dest);
    if (!d) return say(VN_EIO, msg, size, "%s exists and is not a directory", dest);
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)) && empty)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    if (!empty) return say(VN_EEXISTS, msg, size, "%s is not empty: give a new directory", dest);
    return VN_OK;
}

/* LMDB's reader table, made when a copy is checked: not part of a backup. */
static void drop_lock_file(const char *dir)
{
    char path[4096];
    path_in(path, sizeof path, dir, "lock.mdb");
    unlink(path);
}

vn_err vn_backup_make(const char *state, const char *dest, const uint8_t key[32],
                      vn_backup_counts *counts, char *msg, size_t size)
{
    vn_sstore *st = NULL;
    uint32_t format = 0;
    char path[4096];
    memset(counts, 0, sizeof *counts);
    vn_err err = open_as_is(state, key, 0, &st, &format, msg, size);
    if (err) return err;
    if ((err = make_dest(dest, msg, size))) goto out;
    path_in(path, sizeof path, dest, "data.mdb");
    if ((err = vn_kv_copy(vn_sstore_kv(st), path))) {
        say(err, msg, size, "cannot copy the store to %s: %s", path, vn_err_str(err));
        goto out;
    }
    vn_sstore_close(&st);
    err = vn_backup_verify(dest, key, counts, msg, size);
    drop_lock_file(dest);
    if (!err && counts->format != format)
        err = say(VN_ESTORE, msg, size, "the copy in %s is of format %u, its source of %u", dest,
                  (unsigned)counts->format, (unsigned)format);
    if (err) {
        unlink(path);
        rmdir(dest);
    }
out:
    vn_sstore_close(&st);
    return err;
}

/* Copies file from to the new file to (0600), fsynced. */
static vn_err copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return VN_EIO;
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        close(in);
        return errno == EEXIST ? VN_EEXISTS : VN_EIO;
    }
    vn_err err = VN_OK;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) err = VN_EIO;
        if (n <= 0) break;
        for (ssize_t done = 0; done < n && !err;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) err = errno == ENOSPC ? VN_EFULL : VN_EIO;
            done += w > 0 ? w : 0;
        }
        if (err) break;
    }
    if (!err && fsync(out) != 0) err = VN_EIO;
    if (close(out) != 0 && !err) err = VN_EIO;
    close(in);
    if (err) unlink(to);
    return err;
}

/* Moves state's store aside before --force puts another in its place. */
static vn_err keep_replaced(const char *state, const char *live, char *msg, size_t size)
{
    char kept[4096], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    snprintf(kept, sizeof kept, "%s/data-before-restore-%s.mdb", state, stamp);
    if (rename(live, kept) != 0)
        return say(VN_EIO, msg, size, "cannot move %s aside: %s", live, strerror(errno));
    fprintf(stderr, "vangnetd: the store that was in %s is kept as %s\n", state, kept);
    return VN_OK;
}

vn_err vn_backup_restore(const char *state, const char *src, const uint8_t key[32], bool force,
                         vn_backup_counts *counts, char *msg, size_t size)
{
    char live[4096], tmp[4096], from[4096], lockp[4096];
    struct stat sb;
    vn_err err = vn_backup_verify(src, key, counts, msg, size);
    drop_lock_file(src);
    if (err) return err;
    if (mkdir(state, 0700) != 0 && errno != EEXIST)
        return say(VN_EIO, msg, size, "cannot create %s: %s", state, strerror(errno));
    /* Held until the end: no server starts on a half-restored store. */
    path_in(lockp, sizeof lockp, state, "vangnetd.lock");
    int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0) return say(VN_EIO, msg, size, "cannot open %s: %s", lockp, strerror(errno));
    if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
        close(lock);
        return say(VN_EDENIED, msg, size,
                   "a vangnetd runs on %s (it holds %s): stop it before restoring", state, lockp);
    }
    path_in(live, sizeof live, state, "data.mdb");
    path_in(tmp, sizeof tmp, state, "data.mdb.restoring");
    path_in(from, sizeof from, src, "data.mdb");
    if (stat(live, &sb) == 0 && !force) {
        err = say(VN_EEXISTS, msg, size,
                  "%s already holds a store (%s): restore into a new state directory, or give "
                  "--force to replace it (it is then kept beside)",
                  state, live);
        goto out;
    }
    unlink(tmp); /* left by a restore that was cut short */
    if ((err = copy_file(from, tmp))) {
        say(err, msg, size, "cannot copy %s to %s: %s", from, tmp, vn_err_str(err));
        goto out;
    }
    if (stat(live, &sb) == 0 && (err = keep_replaced(state, live, msg, size))) goto out;
    if (rename(tmp, live) != 0) {
        err = say(VN_EIO, msg, size, "cannot move %s into place: %s", tmp, strerror(errno));
        goto out;
    }
    /* The reader table belongs to the store that was there. */
    drop_lock_file(state);
    if ((err = vn_sync_dir(state))) say(err, msg, size, "cannot sync %s", state);
out:
    if (err) unlink(tmp);
    close(lock);
    return err;
}

/* ---- status ------------------------------------------------------------ */

static vn_err alert_cb(void *ud, const vn_alert *a)
{
    vn_status *st = ud;
    if (a->severity >= 1 && a->severity <= 3) st->alerts[a->severity]++;
    return VN_OK;
}

static vn_err sched_cb(void *ud, const void *key, size_t klen, const void *val, size_t vlen,
                       bool *stop)
{
    (void)key, (void)klen, (void)stop;
    const uint8_t *v = val;
    int32_t *last = ud;
    if (vlen != 4) return VN_ESTORE;
    int32_t day =
        (int32_t)((uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3]);
    if (day > *last) *last = day;
    return VN_OK;
}

static void read_endpoint(const char *state, char *out, size_t size)
{
    char path[4096];
    path_in(path, sizeof path, state, "endpoint");
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (!fgets(out, (int)size, f)) out[0] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    fclose(f);
}

vn_err vn_status_read(const char *state, const uint8_t key[32], size_t mapsize, vn_status *s,
                      char *msg, size_t size)
{
    vn_sstore *st = NULL;
    memset(s, 0, sizeof *s);
    s->last_day = -1;
    s->running = vn_backup_server_running(state);
    read_endpoint(state, s->endpoint, sizeof s->endpoint);
    vn_err err = open_as_is(state, key, mapsize, &st, &s->format, msg, size);
    if (err) return err;
    vn_kv *kv = vn_sstore_kv(st);
    if ((err = vn_kv_usage(kv, true, &s->used_pages, &s->map_pages)) ||
        (err = vn_kv_count(kv, table("mailbox"), &s->queued)) ||
        (err = vn_kv_count(kv, table("accounts"), &s->accounts)) ||
        (err = vn_alerts_each(st, alert_cb, s)) ||
        (err = vn_sstore_walk(st, table("sched"), sched_cb, &s->last_day)))
        say(err, msg, size, "cannot read the store in %s: %s", state, vn_err_str(err));
    vn_sstore_close(&st);
    return err;
}

/* ---- printing ---------------------------------------------------------- */

/* text as the inside of a JSON string: quotes and backslashes escaped,
 * control characters left out (a path may hold any byte but NUL). */
static const char *json_text(const char *text, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = text; *p && n + 3 < size; p++) {
        if ((unsigned char)*p < 0x20) continue;
        if (*p == '"' || *p == '\\') out[n++] = '\\';
        out[n++] = *p;
    }
    out[n] = '\0';
    return out;
}

void vn_backup_print(FILE *f, bool json, const char *what, const char *dir,
                     const vn_backup_counts *c)
{
    char esc[8192];
    if (json)
        fprintf(f,
                "{\"%s\": \"%s\", \"format\": %u, \"records\": %zu, \"accounts\": %zu, "
                "\"queued\": %zu, \"cases\": %zu, \"bytes\": %llu}\n",
                what, json_text(dir, esc, sizeof esc), (unsigned)c->format, c->records, c->accounts,
                c->queued, c->cases, (unsigned long long)c->bytes);
    else
        fprintf(f,
                "%s %s: format %u, %zu records (%zu accounts, %zu queued envelopes, %zu cases), "
                "%llu bytes\n",
                what, dir, (unsigned)c->format, c->records, c->accounts, c->queued, c->cases,
                (unsigned long long)c->bytes);
}

void vn_status_print(FILE *f, bool json, const char *state, const vn_status *s)
{
    char day[11] = "none", esc[8192], esc_ep[520];
    double pct = s->map_pages ? 100.0 * (double)s->used_pages / (double)s->map_pages : 0;
    if (s->last_day >= 0) vn_day_format(s->last_day, day);
    if (json) {
        fprintf(f,
                "{\"state\": \"%s\", \"running\": %s, \"endpoint\": \"%s\", \"format\": %u, "
                "\"used_pages\": %zu, \"map_pages\": %zu, \"queued\": %zu, \"accounts\": %zu, "
                "\"alerts\": {\"concern\": %zu, \"urgent\": %zu, \"crisis\": %zu}, "
                "\"last_sweep_day\": %s%s%s, \"version\": \"%s\"}\n",
                json_text(state, esc, sizeof esc), s->running ? "true" : "false",
                json_text(s->endpoint, esc_ep, sizeof esc_ep), (unsigned)s->format, s->used_pages,
                s->map_pages, s->queued, s->accounts, s->alerts[1], s->alerts[2], s->alerts[3],
                s->last_day >= 0 ? "\"" : "", s->last_day >= 0 ? day : "null",
                s->last_day >= 0 ? "\"" : "", VN_VERSION);
        return;
    }
    fprintf(f,
            "state:        %s\n"
            "running:      %s%s%s\n"
            "store:        format %u, %zu of %zu pages used (%.1f%%)\n"
            "queued:       %zu envelopes\n"
            "accounts:     %zu\n"
            "open alerts:  %zu concern, %zu urgent, %zu crisis\n"
            "last sweep:   %s (the latest day the scheduler closed)\n"
            "software:     vangnetd %s\n",
            state, s->running ? "yes" : "no", s->running && s->endpoint[0] ? ", at " : "",
            s->running ? s->endpoint : "", (unsigned)s->format, s->used_pages, s->map_pages, pct,
            s->queued, s->accounts, s->alerts[1], s->alerts[2], s->alerts[3], day, VN_VERSION);
}
