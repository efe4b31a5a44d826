/* vn_scheduler (scheduler.c): closes past days (draws, missed check-ins)
 * and sends reminders and overdue notices for every case under contract,
 * in passes the loop runs a bounded step at a time. */
#ifndef VN_SCHEDULER_H
#define VN_SCHEDULER_H

#include <stdbool.h>

#include "server.h"

typedef struct vn_scheduler vn_scheduler;

vn_err vn_scheduler_open(vn_scheduler **out, vn_server *srv);
/* Safe on NULL and twice; a pass under way is dropped (the next one
 * catches up: every step is kept or undone whole). */
void vn_scheduler_close(vn_scheduler **self_p);
/* Begins a pass over every case active now. During a pass it only notes
 * that another pass follows this one. */
void vn_scheduler_start(vn_scheduler *self);
/* Runs one step of the pass in one transaction: up to a few hundred cases
 * or a few milliseconds of work. Returns whether the pass goes on (the
 * loop calls it again on its next turn). */
bool vn_scheduler_step(vn_scheduler *self);

#endif
