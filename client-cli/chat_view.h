/* `vangnet chat`: a line-based view of one conversation (1:1 with a peer,
 * or a case's care-team chat): its recent history, live incoming
 * messages, a prompt to reply, and commands for what people do
 * mid-conversation (/claim, /ack, /alerts, /verify). Everything a peer
 * wrote goes through text.c, as in inbox.
 *
 * The live part is a backend (chat_backend.h): the profile's daemon when
 * one runs (the server keeps one push subscription per account, so a
 * second subscriber would take the daemon's pushes), else a session of
 * chat's own, like `inbox --follow`. */
#ifndef VN_CHAT_VIEW_H
#define VN_CHAT_VIEW_H

#include "client.h"
#include "vn/account.h"

/* The conversation a chat shows. */
typedef struct vn_chat_target {
    char peer[VN_ACCOUNT_HEX + 1]; /* the peer's account; "" for a team chat */
    const char *case_id;           /* the case of a team chat; NULL for a peer */
    const char *label;             /* how the user named it (a contact name or id) */
} vn_chat_target;

/* chat_view.c: what the chat shows, through a shower (show.c). */
typedef struct vn_chat_view {
    vn_client *c;
    vn_shower sh;            /* stdout, text */
    bool prompt_out;         /* the prompt is on the last line */
    bool reprompt;           /* something was shown under it: show it again */
    bool interactive;        /* stdin is a terminal: ring the bell */
    const vn_chat_target *t; /* the conversation shown */
} vn_chat_view;

void vn_chat_view_init(vn_chat_view *v, vn_client *c, const vn_chat_target *t);
/* Writes the prompt (again) if it is not the last line. */
void vn_chat_view_prompt(vn_chat_view *v);
/* Before output of our own: a fresh line under the prompt. */
void vn_chat_view_line(vn_chat_view *v);
/* Shows the last n messages of the conversation from this device's store,
 * with the delivery state of ours. */
vn_err vn_chat_view_recent(vn_chat_view *v, const vn_chat_target *t, size_t n);
/* Shows one message (an incoming one through the shower's hook: a bell
 * for a crisis or an SOS). */
void vn_chat_view_show(vn_chat_view *v, const Vn__Received *r, int state);
/* A receipt came from `from`: n messages of ours moved to state (a
 * vn_msg_state). A line-based view cannot move the ticks of lines above,
 * so it says so under them, for the conversation's own peer only. */
void vn_chat_view_receipt(vn_chat_view *v, const char *from, int state, size_t n);

#endif
