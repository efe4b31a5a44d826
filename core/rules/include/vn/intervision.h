/* vn_iv: the methods of intervision and Balint groups as data (their
 * phases, time boxes, who speaks and what each is asked), the ground rules,
 * and the turn logic of a turn-taking phase. Pure: no I/O, no clock, no
 * store. The sessions themselves run end to end between the group's
 * clients (client-cli/group*.c); the server never sees any of this. */
#ifndef VN_INTERVISION_H
#define VN_INTERVISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

#define VN_IV_PHASES_MAX  8   /* most phases of one method */
#define VN_IV_TURNS_MAX   8   /* most turns in one turn-taking phase (a group's cap) */
#define VN_IV_MINUTES_MAX 240 /* longest time box of one phase */

/* Who speaks in a phase (the facilitator may always speak: they guard the
 * process). */
typedef enum vn_intervision_speaker {
    VN_IV_ALL = 1,       /* presenter and members */
    VN_IV_PRESENTER = 2, /* the presenter; the members listen */
    VN_IV_MEMBERS = 3,   /* the members; the presenter listens */
    VN_IV_TURNS = 4,     /* each member in turn, in the session's order; the presenter listens */
} vn_intervision_speaker;

/* One's part in a session. */
typedef enum vn_intervision_part {
    VN_IV_FACILITATOR = 1,
    VN_IV_PRESENTER_PART = 2, /* the presenter ("inbrenger") */
    VN_IV_MEMBER = 3,
} vn_intervision_part;

typedef struct vn_intervision_phase {
    const char *key;                /* stable short name: "inventory", "advice", ... */
    const char *title;              /* shown to people */
    uint32_t minutes;               /* the default time box */
    vn_intervision_speaker speaker; /* who speaks */
    bool plan;                      /* the presenter records the action plan here */
    const char *ask_presenter;      /* what is asked of the presenter */
    const char *ask_member;         /* what is asked of the other members */
    const char *ask_facilitator;    /* what is asked of the facilitator */
} vn_intervision_phase;

typedef struct vn_intervision_method {
    const char *key;                    /* "basic", "incident", "balint", "roddel" */
    const char *title;                  /* shown to people */
    const char *about;                  /* when it fits, in one or two sentences */
    const vn_intervision_phase *phases; /* in order */
    size_t nphases;                     /* 1..VN_IV_PHASES_MAX */
} vn_intervision_method;

/* The methods, in the order they are listed; NULL past the last. */
const vn_intervision_method *vn_intervision_method_at(size_t i);
/* The method with this key, or NULL. */
const vn_intervision_method *vn_intervision_method_find(const char *key);
/* The keys of all methods, comma separated, for messages ("basic, ..."). */
const char *vn_intervision_method_keys(void);

/* The ground rules every member sees on joining and accepts before
 * posting: one rule a line. */
const char *vn_intervision_ground_rules(void);

/* What the phase asks of someone in part. */
const char *vn_intervision_asked(const vn_intervision_phase *ph, vn_intervision_part part);

/* The turn now in a turn-taking phase of nturns turns, given the turns
 * done (1-based numbers, in any order, duplicates and numbers out of range
 * ignored): the lowest turn not done, or 0 when every turn is done. */
uint32_t vn_intervision_current_turn(const uint32_t *done, size_t ndone, uint32_t nturns);

/* Whether someone in part may post now in ph. For VN_IV_TURNS, my_turn is
 * their place in the order (1-based; 0 when they have none) and current
 * the turn now (vn_intervision_current_turn). VN_OK, or VN_EDENIED with *why (may
 * be NULL) a sentence saying why and what to do. */
vn_err vn_intervision_may_post(const vn_intervision_phase *ph, vn_intervision_part part,
                               uint32_t my_turn, uint32_t current, const char **why);

/* How a receiver takes a member's post that claims turn `turn` (1-based)
 * of a turn-taking phase, where the order gives the sender the place
 * sender_turn (0: none): true when it fills that turn (it is the sender's
 * own and not yet done); false when it is out of turn. */
bool vn_intervision_turn_valid(uint32_t turn, uint32_t sender_turn, const uint32_t *done,
                               size_t ndone);

#endif
