/* The entries hang off an array indexed by descriptor (descriptors are
 * small integers below RLIMIT_NOFILE): a lookup is an index and a compare
 * of the key, and a connection costs its entry only while it is open. */
#include "peers.h"

#include <stdlib.h>
#include <string.h>

#define FDS_MIN 256 /* first length of the array */

typedef struct entry {
    uint8_t key[32]; /* the CURVE key the identity was looked up for */
    uint64_t gen;    /* the accounts generation it was looked up at */
    vn_peers_ident id;
} entry;

struct vn_peers {
    entry **by_fd; /* by_fd[fd]: the entry of the connection on fd, or NULL */
    size_t nfd;    /* length of by_fd */
    size_t count;  /* entries */
};

vn_err vn_peers_open(vn_peers **out)
{
    vn_peers *p = calloc(1, sizeof *p);
    if (!p) return VN_ENOMEM;
    *out = p;
    return VN_OK;
}

void vn_peers_close(vn_peers **self_p)
{
    if (!self_p || !*self_p) return;
    vn_peers *p = *self_p;
    for (size_t i = 0; i < p->nfd; i++)
        free(p->by_fd[i]);
    free(p->by_fd);
    free(p);
    *self_p = NULL;
}

bool vn_peers_get(const vn_peers *self, int fd, const uint8_t key[32], uint64_t gen,
                  vn_peers_ident *id)
{
    if (fd < 0 || (size_t)fd >= self->nfd) return false;
    const entry *e = self->by_fd[fd];
    if (!e || e->gen != gen || memcmp(e->key, key, sizeof e->key) != 0) return false;
    *id = e->id;
    return true;
}

/* Makes by_fd long enough for fd. */
static bool fit_fd(vn_peers *self, int fd)
{
    if ((size_t)fd < self->nfd) return true;
    size_t n = self->nfd ? self->nfd : FDS_MIN;
    while (n <= (size_t)fd)
        n *= 2;
    entry **p = realloc(self->by_fd, n * sizeof *p);
    if (!p) return false;
    memset(p + self->nfd, 0, (n - self->nfd) * sizeof *p);
    self->by_fd = p;
    self->nfd = n;
    return true;
}

void vn_peers_put(vn_peers *self, int fd, const uint8_t key[32], uint64_t gen,
                  const vn_peers_ident *id)
{
    if (fd < 0 || !fit_fd(self, fd)) return;
    entry *e = self->by_fd[fd];
    if (!e) {
        if (!(e = malloc(sizeof *e))) return;
        self->by_fd[fd] = e;
        self->count++;
    }
    memcpy(e->key, key, sizeof e->key);
    e->gen = gen;
    e->id = *id;
}

void vn_peers_closed(vn_peers *self, int fd)
{
    if (fd < 0 || (size_t)fd >= self->nfd || !self->by_fd[fd]) return;
    free(self->by_fd[fd]);
    self->by_fd[fd] = NULL;
    self->count--;
}

size_t vn_peers_count(const vn_peers *self)
{
    return self->count;
}
