/* Where `vangnet chat` gets its live messages and sends through: the
 * profile's daemon (its socket, docs/JSONRPC.md) when one answers, else a
 * session of chat's own (chat_inbox.h). The view and the commands are the
 * same either way. */
#ifndef VN_CHAT_BACKEND_H
#define VN_CHAT_BACKEND_H

#include "chat_view.h"

typedef struct vn_chat_backend vn_chat_backend;

/* Opens the live part for the conversation t and shows what waits.
 * Called under the profile's lock. Returns an exit code (the error said);
 * *out set on success. */
int vn_chat_backend_open(vn_client *c, vn_chat_view *v, const vn_chat_target *t,
                         vn_chat_backend **out);
/* "daemon" or "standalone", for the header. */
const char *vn_chat_backend_name(const vn_chat_backend *b);
/* Waits up to wait_ms for what is new (messages, notices, alerts) and
 * shows it. Only a failure the chat cannot go on after is returned. */
/* The descriptors a wait for the next event waits on (at most 2), and
 * whether one can be taken now without waiting: the chat waits on them
 * and the terminal together. */
size_t vn_chat_backend_fds(vn_chat_backend *b, int fds[2]);
bool vn_chat_backend_ready(vn_chat_backend *b);
vn_err vn_chat_backend_poll(vn_chat_backend *b, int wait_ms);
/* Sends text to the conversation and shows it as sent (or queued);
 * returns an exit code (a failure is said). */
int vn_chat_backend_send(vn_chat_backend *b, const char *text);
/* Runs a command of the CLI (claim, ack, alerts, verify) with its
 * arguments, showing its output; returns its exit code. */
int vn_chat_backend_run(vn_chat_backend *b, const char *name, int argc, char **argv);
void vn_chat_backend_close(vn_chat_backend **b);

#endif
