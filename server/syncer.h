/* vn_syncer: flushes the store on a thread of its own, so that the loop
 * goes on reading and executing the next batch while the disk works
 * (batch.c: the pipelined group commit). One flush at a time. Its end is
 * handed to the loop through a uv_async_t, unless the loop took it first
 * (vn_syncer_poll, vn_syncer_wait). */
#ifndef VN_SYNCER_H
#define VN_SYNCER_H

#include "vn/err.h"
#include "vn/kv.h"

#include <stdbool.h>
#include <uv.h>

typedef struct vn_syncer vn_syncer;

/* Called on the loop when a flush ended that the loop had not taken. */
typedef void (*vn_syncer_done_fn)(void *ud, vn_err err);

/* Starts the thread. kv must outlive the syncer; the loop must run again
 * after vn_syncer_close() (the async handle's close completes there). */
vn_err vn_syncer_open(vn_syncer **out, uv_loop_t *loop, vn_kv *kv, vn_syncer_done_fn done,
                      void *ud);
/* Waits for a running flush (its end is dropped: the caller took what it
 * needed with vn_syncer_wait first), ends the thread, closes the handle;
 * the memory goes when the loop runs the close. Safe on NULL. */
void vn_syncer_close(vn_syncer **self_p);

/* Starts flushing every commit so far. Only when not busy. */
void vn_syncer_start(vn_syncer *self);
/* A flush was started and its end not taken yet. */
bool vn_syncer_busy(const vn_syncer *self);
/* Takes the end of the flush if it has ended: true, with its result in
 * *err. False while it runs (or when none was started). */
bool vn_syncer_poll(vn_syncer *self, vn_err *err);
/* Blocks until the flush has ended and takes its end. VN_OK when none
 * was started. */
vn_err vn_syncer_wait(vn_syncer *self);

/* Test hooks (vangnetd's VANGNETD_TEST_SYNC_HOLD and _FAIL): while the
 * file hold exists a flush waits before it begins; while the file fail
 * exists a flush fails (VN_EIO) without flushing. NULL: off. The paths
 * are copied. */
vn_err vn_syncer_test_files(vn_syncer *self, const char *hold, const char *fail);

#endif
