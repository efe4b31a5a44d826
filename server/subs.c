/* Subscriptions: a chained hash table by account, and an array by
 * descriptor (descriptors are small integers below RLIMIT_NOFILE). Account
 * ids are random, so their first bytes are a good hash already. */
#include "subs.h"

#include <stdlib.h>
#include <string.h>

#define BUCKETS_MIN 64

typedef struct node {
    struct node *next; /* in the bucket's chain */
    uint8_t account[VN_ACCOUNT_LEN];
    uint8_t key[32]; /* the CURVE key of the subscribing connection */
    int fd;          /* its descriptor */
    size_t route_len;
    uint8_t route[VN_SUBS_ROUTE_MAX];
} node;

struct vn_subs {
    node **buckets; /* nbuckets chains */
    size_t nbuckets;
    size_t count, max;
    node **by_fd; /* by_fd[fd]: the subscription on fd, or NULL */
    size_t nfd;   /* length of by_fd */
    vn_subs_end_fn on_end;
    void *on_end_ud;
};

static size_t bucket_of(const vn_subs *self, const uint8_t account[VN_ACCOUNT_LEN])
{
    uint64_t h;
    memcpy(&h, account, sizeof h);
    return (size_t)(h & (self->nbuckets - 1));
}

vn_err vn_subs_open(vn_subs **out, size_t max)
{
    vn_subs *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    s->nbuckets = BUCKETS_MIN;
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    if (!s->buckets) {
        free(s);
        return VN_ENOMEM;
    }
    s->max = max;
    *out = s;
    return VN_OK;
}

void vn_subs_close(vn_subs **self_p)
{
    if (!self_p || !*self_p) return;
    vn_subs *s = *self_p;
    for (size_t b = 0; b < s->nbuckets; b++) {
        node *n = s->buckets[b];
        while (n) {
            node *next = n->next;
            free(n);
            n = next;
        }
    }
    free(s->buckets);
    free(s->by_fd);
    free(s);
    *self_p = NULL;
}

/* The link that points at account's node, or at the NULL ending its chain. */
static node **find(const vn_subs *self, const uint8_t account[VN_ACCOUNT_LEN])
{
    node **link = &self->buckets[bucket_of(self, account)];
    while (*link && memcmp((*link)->account, account, VN_ACCOUNT_LEN) != 0)
        link = &(*link)->next;
    return link;
}

static void unlink_node(vn_subs *self, node **link)
{
    node *n = *link;
    uint8_t account[VN_ACCOUNT_LEN];
    if (n->fd >= 0 && (size_t)n->fd < self->nfd && self->by_fd[n->fd] == n)
        self->by_fd[n->fd] = NULL;
    *link = n->next;
    memcpy(account, n->account, sizeof account);
    free(n);
    self->count--;
    if (self->on_end) self->on_end(self->on_end_ud, account);
}

void vn_subs_on_end(vn_subs *self, vn_subs_end_fn fn, void *ud)
{
    self->on_end = fn;
    self->on_end_ud = ud;
}

/* Doubles the buckets once chains average more than two nodes. A failed
 * allocation only keeps the chains longer. */
static void grow(vn_subs *self)
{
    if (self->count < self->nbuckets * 2) return;
    size_t nb = self->nbuckets * 2;
    node **b = calloc(nb, sizeof *b);
    if (!b) return;
    for (size_t i = 0; i < self->nbuckets; i++) {
        node *n = self->buckets[i];
        while (n) {
            node *next = n->next;
            uint64_t h;
            memcpy(&h, n->account, sizeof h);
            n->next = b[h & (nb - 1)];
            b[h & (nb - 1)] = n;
            n = next;
        }
    }
    free(self->buckets);
    self->buckets = b;
    self->nbuckets = nb;
}

/* Makes by_fd long enough for fd. */
static vn_err fit_fd(vn_subs *self, int fd)
{
    if ((size_t)fd < self->nfd) return VN_OK;
    size_t n = self->nfd ? self->nfd : 256;
    while (n <= (size_t)fd)
        n *= 2;
    node **p = realloc(self->by_fd, n * sizeof *p);
    if (!p) return VN_ENOMEM;
    memset(p + self->nfd, 0, (n - self->nfd) * sizeof *p);
    self->by_fd = p;
    self->nfd = n;
    return VN_OK;
}

vn_err vn_subs_add(vn_subs *self, const uint8_t account[VN_ACCOUNT_LEN], const vn_subs_conn *conn)
{
    if (conn->fd < 0 || conn->route_len == 0 || conn->route_len > VN_SUBS_ROUTE_MAX)
        return VN_EINVAL;
    vn_err err = fit_fd(self, conn->fd);
    if (err) return err;
    /* Whatever the descriptor carried before belongs to a closed
     * connection or to this one: either way it ends here. */
    node *old = self->by_fd[conn->fd];
    if (old && memcmp(old->account, account, VN_ACCOUNT_LEN) != 0)
        unlink_node(self, find(self, old->account));
    node **link = find(self, account);
    if (*link) unlink_node(self, link);
    if (self->count >= self->max) return VN_ETOOBIG;
    node *n = calloc(1, sizeof *n);
    if (!n) return VN_ENOMEM;
    memcpy(n->account, account, VN_ACCOUNT_LEN);
    memcpy(n->key, conn->key, sizeof n->key);
    n->fd = conn->fd;
    n->route_len = conn->route_len;
    memcpy(n->route, conn->route, conn->route_len);
    link = find(self, account);
    *link = n;
    self->by_fd[conn->fd] = n;
    self->count++;
    grow(self);
    return VN_OK;
}

bool vn_subs_route(const vn_subs *self, const uint8_t account[VN_ACCOUNT_LEN],
                   const uint8_t **route, size_t *route_len)
{
    node *n = *find(self, account);
    if (!n) return false;
    *route = n->route;
    *route_len = n->route_len;
    return true;
}

void vn_subs_remove(vn_subs *self, const uint8_t account[VN_ACCOUNT_LEN])
{
    node **link = find(self, account);
    if (*link) unlink_node(self, link);
}

void vn_subs_closed(vn_subs *self, int fd)
{
    if (fd < 0 || (size_t)fd >= self->nfd || !self->by_fd[fd]) return;
    unlink_node(self, find(self, self->by_fd[fd]->account));
}

void vn_subs_seen(vn_subs *self, const vn_subs_conn *conn)
{
    if (conn->fd < 0 || (size_t)conn->fd >= self->nfd) return;
    node *n = self->by_fd[conn->fd];
    if (!n) return;
    if (memcmp(n->key, conn->key, sizeof n->key) != 0 || n->route_len != conn->route_len ||
        memcmp(n->route, conn->route, conn->route_len) != 0)
        unlink_node(self, find(self, n->account));
}

size_t vn_subs_count(const vn_subs *self)
{
    return self->count;
}
