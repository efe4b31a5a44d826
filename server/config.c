/* vn_config: key = value lines through libinih, with line numbers. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vn_config {
    char *path;
    const char *const *keys;
    size_t nkeys;
    char **values;   /* one per key, NULL if unset */
    unsigned *lines; /* where each was set */
};

/* What the parse callbacks share: the config, the line being read (inih
 * does not tell its handler), and the first error. */
typedef struct parse_state {
    vn_config *cfg;
    FILE *f;
    unsigned line;
    char *msg;
    size_t msgsize;
    vn_err err;
} parse_state;

/* inih's reader: fgets, counting lines. */
static char *read_line(char *buf, int size, void *stream)
{
    parse_state *ps = stream;
    if (ps->err) return NULL;
    char *s = fgets(buf, size, ps->f);
    if (!s) return NULL;
    ps->line++;
    size_t len = strlen(s);
    if (len + 1 == (size_t)size && s[len - 1] != '\n' && !feof(ps->f)) {
        snprintf(ps->msg, ps->msgsize, "%s:%u: the line is longer than %d characters",
                 ps->cfg->path, ps->line, size - 3);
        ps->err = VN_EINVAL;
        return NULL;
    }
    const char *t = s + strspn(s, " \t");
    if (*t == '[') {
        snprintf(ps->msg, ps->msgsize, "%s:%u: sections are not used: write key = value lines",
                 ps->cfg->path, ps->line);
        ps->err = VN_EINVAL;
        return NULL;
    }
    return s;
}

static int on_pair(void *user, const char *section, const char *name, const char *value)
{
    parse_state *ps = user;
    vn_config *c = ps->cfg;
    if (ps->err) return 0;
    for (size_t i = 0; i < c->nkeys; i++) {
        if (strcmp(name, c->keys[i]) != 0) continue;
        if (c->values[i]) {
            snprintf(ps->msg, ps->msgsize, "%s:%u: %s is already set on line %u", c->path, ps->line,
                     name, c->lines[i]);
            ps->err = VN_EINVAL;
            return 0;
        }
        c->values[i] = strdup(value);
        c->lines[i] = ps->line;
        if (!c->values[i]) ps->err = VN_ENOMEM;
        return !ps->err;
    }
    snprintf(ps->msg, ps->msgsize, "%s:%u: unknown key %s (see vangnetd config-example)", c->path,
             ps->line, name);
    ps->err = VN_EINVAL;
    return 0;
}

vn_err vn_config_load(vn_config **out, const char *path, const char *const *keys, size_t nkeys,
                      char *msg, size_t msgsize)
{
    vn_err err = VN_ENOMEM;
    parse_state ps = {.msg = msg, .msgsize = msgsize};
    vn_config *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->keys = keys;
    c->nkeys = nkeys;
    c->path = strdup(path);
    c->values = calloc(nkeys ? nkeys : 1, sizeof *c->values);
    c->lines = calloc(nkeys ? nkeys : 1, sizeof *c->lines);
    if (!c->path || !c->values || !c->lines) goto fail;
    /* An indented line is an error, not the continuation of a value. */
    ini_allow_multiline = false;
    ps.cfg = c;
    ps.f = fopen(path, "r");
    if (!ps.f) {
        snprintf(msg, msgsize, "cannot read the settings file %s: %s", path, strerror(errno));
        err = VN_EIO;
        goto fail;
    }
    int rc = ini_parse_stream(read_line, &ps, on_pair, &ps);
    fclose(ps.f);
    if (ps.err) {
        err = ps.err;
        goto fail;
    }
    c->keys = NULL; /* the caller's: only the load reads them */
    if (rc != 0) {
        /* A line inih could not read: no `=`, or an unclosed section. */
        snprintf(msg, msgsize, "%s:%d: not a key = value line", path, rc);
        err = VN_EINVAL;
        goto fail;
    }
    *out = c;
    return VN_OK;
fail:
    vn_config_close(&c);
    return err;
}

const char *vn_config_value(const vn_config *self, size_t i, unsigned *line)
{
    if (!self || i >= self->nkeys || !self->values[i]) return NULL;
    if (line) *line = self->lines[i];
    return self->values[i];
}

const char *vn_config_path(const vn_config *self)
{
    return self->path;
}

void vn_config_close(vn_config **self_p)
{
    if (!self_p || !*self_p) return;
    vn_config *c = *self_p;
    for (size_t i = 0; c->values && i < c->nkeys; i++)
        free(c->values[i]);
    free(c->values);
    free(c->lines);
    free(c->path);
    free(c);
    *self_p = NULL;
}
