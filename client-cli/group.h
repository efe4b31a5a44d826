/* Intervision groups on this device (docs/GROUPS.md): the group's state as
 * this device knows it (roster, ground rules, the running session, the own
 * action plan) in CDB_GROUPS, its sender-key conversation, and what a
 * received group message does. The session (method, phases, presenter,
 * turns) is known only to the members' devices: every change travels as a
 * GroupEvent inside the group's end-to-end conversation. */
#ifndef VN_GROUP_H
#define VN_GROUP_H

#include "client.h"

#include "vn/intervision.h"
#include "vn/invite.h"

#define VN_GROUP_MAX      8    /* most members (a group's cap at most) */
#define VN_GROUP_PLAN_MAX 4000 /* longest action plan, in bytes */
#define VN_GROUP_PENDING  8    /* most attendance records waiting for the server */
#define VN_GROUP_NOTE_MAX 200  /* longest note of a scheduled session, in bytes */

/* GroupEvent.kind */
enum {
    VN_GEV_POST = 1,     /* a post: Content.text */
    VN_GEV_RULES = 2,    /* the sender accepted the ground rules */
    VN_GEV_START = 3,    /* the facilitator starts a session */
    VN_GEV_PHASE = 4,    /* the facilitator moves the session to a phase */
    VN_GEV_END = 5,      /* the facilitator ends the session */
    VN_GEV_SCHEDULE = 6, /* the facilitator sets the next session: next_at, next_note */
};

typedef char vn_acc[VN_ACCOUNT_HEX + 1];

/* One group as this device keeps it. */
typedef struct vn_group {
    vn_acc id;                          /* the group */
    vn_acc facilitator;                 /* who runs it */
    uint32_t cap;                       /* most members */
    vn_acc members[VN_GROUP_MAX];       /* the roster last read from the server */
    size_t nmembers;                    /* how many */
    bool rules_accepted;                /* this device's user accepted the ground rules */
    bool count_attendance;              /* attendance counts as the contract's self-help contact */
    vn_acc accepted[VN_GROUP_MAX];      /* members whose acceptance was received */
    size_t naccepted;                   /* how many */
    bool in_session;                    /* a session runs */
    uint8_t session[16];                /* its id */
    char method[16];                    /* its method's key */
    vn_acc presenter;                   /* its presenter */
    vn_acc turns[VN_GROUP_MAX];         /* the order of turns */
    size_t nturns;                      /* how many */
    uint32_t phase;                     /* the phase now, 0-based */
    uint32_t minutes;                   /* its time box */
    uint64_t phase_started_ms;          /* when it began (the facilitator's clock) */
    uint64_t session_started_ms;        /* when the session began */
    uint32_t done[VN_IV_TURNS_MAX];     /* turns filled in this phase (1-based) */
    size_t ndone;                       /* how many */
    bool attended;                      /* this device posted in the session */
    uint32_t sessions;                  /* sessions seen */
    bool has_plan;                      /* an action plan of ours is kept */
    char plan[VN_GROUP_PLAN_MAX + 1];   /* it: on this device only */
    uint64_t plan_ms;                   /* when it was recorded */
    uint8_t plan_session[16];           /* in which session */
    char pending[VN_GROUP_PENDING][11]; /* attendance days not yet recorded (YYYY-MM-DD) */
    size_t npending;                    /* how many */
    char next_at[17];                   /* the next session, YYYY-MM-DDTHH:MM local; "" none */
    char next_note[VN_GROUP_NOTE_MAX + 1]; /* its place or link, safe to print */
} vn_group;

/* Whether this device keeps id as one of its groups. */
bool vn_group_known(vn_client *c, const char *id);
/* Reads group id into *g. VN_ENOTFOUND if this device has no such group. */
vn_err vn_group_load(vn_client *c, const char *id, vn_group *g);
/* Writes *g (in the caller's transaction if one is open). */
vn_err vn_group_save(vn_client *c, const vn_group *g);
/* Forgets group id on this device: its state and our sender key for it. */
vn_err vn_group_forget(vn_client *c, const char *id);
/* Takes the server's view of a group (roster, cap, facilitator) into *g. */
vn_err vn_group_take_info(vn_group *g, const Vn__GroupInfo *gi);
/* Reads the roster from the server into *g and saves it. */
vn_err vn_group_refresh(vn_client *c, vn_group *g);

/* Makes sure every member and the facilitator hold our sender key for the
 * group, and nobody who left does (team.c does the work). */
vn_err vn_group_prepare(vn_client *c, const char *id);
/* Sends ev (with text for a post, else NULL) into the group's
 * conversation and applies it to *g here too (this device cannot decrypt
 * its own group messages), then saves *g. */
vn_err vn_group_post(vn_client *c, vn_group *g, Vn__GroupEvent *ev, const char *text);

/* The inbox's hook: a decrypted message of the group id (which this
 * device knows) from `from`. Applies it to the group's state (in the
 * caller's open transaction) and writes the line to show into line. */
vn_err vn_group_receive(vn_client *c, const char *from, const char *id, const Vn__Content *content,
                        char *line, size_t size);

/* Parses a local date-time YYYY-MM-DDTHH:MM (a real one: no 30 February)
 * into seconds since the epoch; false if it is not one. */
bool vn_group_time_parse(const char *s, int64_t *out_s);
/* Whether g has a next session scheduled that is not past. */
bool vn_group_next_upcoming(const vn_group *g);
/* Copies at most VN_GROUP_NOTE_MAX bytes of note into out (size
 * VN_GROUP_NOTE_MAX + 1), every control character made a "?". */
void vn_group_note_copy(char *out, const char *note);

/* The session's method, or NULL when none runs or it is unknown. */
const vn_intervision_method *vn_group_method(const vn_group *g);
/* account's part in the running session. */
vn_intervision_part vn_group_part(const vn_group *g, const char *account);
/* account's place in the order of turns (1-based), 0 if it has none. */
uint32_t vn_group_turn_of(const vn_group *g, const char *account);

/* Loads the group named by the command's first argument into a new *g
 * (free it); on failure says why and returns the exit code. */
struct vn_args;
int vn_group_open(vn_client *c, const struct vn_args *a, vn_group **g);

/* `vangnet join CODE` on a profile that has joined already: redeems a
 * group invite; returns the exit code. */
int vn_group_join_code(vn_client *c, const vn_invite *inv);

#endif
