#include "syncer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct vn_syncer {
    uv_async_t async; /* wakes the loop when a flush ends */
    uv_thread_t thread;
    uv_mutex_t mutex;
    uv_cond_t cond;  /* the thread waits for a request or the end */
    uv_cond_t ended; /* vn_syncer_wait waits for a flush to end */
    vn_kv *kv;
    vn_syncer_done_fn done;
    void *ud;
    /* Under mutex: */
    bool requested; /* a flush waits for the thread */
    bool finished;  /* the flush started last has ended, with result */
    bool quit;      /* the thread is to end */
    vn_err result;
    /* The loop's own: */
    bool busy; /* started, end not taken */
    char *hold, *fail;
};

static bool exists(const char *path)
{
    return path && access(path, F_OK) == 0;
}

static void run(void *arg)
{
    vn_syncer *s = arg;
    uv_mutex_lock(&s->mutex);
    for (;;) {
        while (!s->requested && !s->quit)
            uv_cond_wait(&s->cond, &s->mutex);
        if (!s->requested) break;
        s->requested = false;
        uv_mutex_unlock(&s->mutex);
        while (exists(s->hold))
            usleep(10000);
        if (s->fail) vn_kv_test_fail_sync(s->kv, exists(s->fail));
        vn_err err = vn_kv_sync(s->kv);
        uv_mutex_lock(&s->mutex);
        s->result = err;
        s->finished = true;
        uv_cond_signal(&s->ended);
        uv_async_send(&s->async);
    }
    uv_mutex_unlock(&s->mutex);
}

static void on_async(uv_async_t *h)
{
    vn_syncer *s = h->data;
    vn_err err;
    if (s->done && vn_syncer_poll(s, &err)) s->done(s->ud, err);
}

static void on_closed(uv_handle_t *h)
{
    vn_syncer *s = h->data;
    uv_cond_destroy(&s->ended);
    uv_cond_destroy(&s->cond);
    uv_mutex_destroy(&s->mutex);
    free(s->hold);
    free(s->fail);
    free(s);
}

vn_err vn_syncer_open(vn_syncer **out, uv_loop_t *loop, vn_kv *kv, vn_syncer_done_fn done, void *ud)
{
    vn_syncer *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    s->kv = kv;
    s->done = done;
    s->ud = ud;
    if (uv_mutex_init(&s->mutex)) goto err_free;
    if (uv_cond_init(&s->cond)) goto err_mutex;
    if (uv_cond_init(&s->ended)) goto err_cond;
    if (uv_async_init(loop, &s->async, on_async)) goto err_ended;
    s->async.data = s;
    if (uv_thread_create(&s->thread, run, s)) {
        /* The handle is the loop's now: s goes with its close. */
        s->done = NULL;
        uv_close((uv_handle_t *)&s->async, on_closed);
        return VN_EINTERNAL;
    }
    *out = s;
    return VN_OK;

err_ended:
    uv_cond_destroy(&s->ended);
err_cond:
    uv_cond_destroy(&s->cond);
err_mutex:
    uv_mutex_destroy(&s->mutex);
err_free:
    free(s);
    return VN_EINTERNAL;
}

void vn_syncer_close(vn_syncer **self_p)
{
    if (!self_p || !*self_p) return;
    vn_syncer *s = *self_p;
    uv_mutex_lock(&s->mutex);
    s->quit = true;
    uv_cond_signal(&s->cond);
    uv_mutex_unlock(&s->mutex);
    uv_thread_join(&s->thread); /* a requested flush runs first */
    s->done = NULL;
    uv_close((uv_handle_t *)&s->async, on_closed);
    *self_p = NULL;
}

void vn_syncer_start(vn_syncer *self)
{
    uv_mutex_lock(&self->mutex);
    self->requested = true;
    self->finished = false;
    uv_cond_signal(&self->cond);
    uv_mutex_unlock(&self->mutex);
    self->busy = true;
}

bool vn_syncer_busy(const vn_syncer *self)
{
    return self->busy;
}

bool vn_syncer_poll(vn_syncer *self, vn_err *err)
{
    if (!self->busy) return false;
    uv_mutex_lock(&self->mutex);
    bool ended = self->finished;
    if (ended) *err = self->result;
    uv_mutex_unlock(&self->mutex);
    if (ended) self->busy = false;
    return ended;
}

vn_err vn_syncer_wait(vn_syncer *self)
{
    if (!self->busy) return VN_OK;
    uv_mutex_lock(&self->mutex);
    while (!self->finished)
        uv_cond_wait(&self->ended, &self->mutex);
    vn_err err = self->result;
    uv_mutex_unlock(&self->mutex);
    self->busy = false;
    return err;
}

vn_err vn_syncer_test_files(vn_syncer *self, const char *hold, const char *fail)
{
    /* Set before the first flush starts: the thread reads them unlocked. */
    if ((hold && !(self->hold = strdup(hold))) || (fail && !(self->fail = strdup(fail))))
        return VN_ENOMEM;
    return VN_OK;
}
