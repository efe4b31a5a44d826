/* The intervision methods as data, from the programme's sources on
 * intervision and Balint groups (../shared/reference/intervisie-nl.txt),
 * written in our own words. */
#include "vn/intervision.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The facilitator's part is the same in most phases. */
#define GUARD "keep the time box and the structure; close the phase and move on when it is done"

/* The basic method: the group works through fixed phases on the
 * presenter's question, towards advice and an action plan. */
static const vn_intervision_phase basic[] = {
    {"inventory", "Inventory", 15, VN_IV_ALL, false,
     "state your case and your question briefly; the group chooses one",
     "state your own case and question briefly, then help choose one",
     "collect the cases and let the group choose one; name its presenter"},
    {"analysis", "Analysis questions", 25, VN_IV_ALL, false,
     "answer the questions; say what helps and what hinders you",
     "ask open, informative questions to clarify the situation; no suggestions, no solutions yet",
     GUARD},
    {"advice", "Advice round", 25, VN_IV_TURNS, false, "listen to each advice; do not respond yet",
     "give your advice when it is your turn, one after the other", GUARD},
    {"action-plan", "Action plan", 15, VN_IV_PRESENTER, true,
     "say which advice appeals to you most and record your action plan (vangnet group plan): "
     "what will you do, and soon?",
     "listen to the presenter's response", GUARD},
    {"evaluation", "Evaluation", 10, VN_IV_ALL, false, "say what you learned from this meeting",
     "say what you learned from this meeting", "look ahead to the next meeting"},
};

/* The incident method: tightly structured, for a concrete recent
 * situation that stirred strong feelings; good for new groups. */
static const vn_intervision_phase incident[] = {
    {"incident", "The incident", 10, VN_IV_PRESENTER, false,
     "describe the concrete situation briefly, and what it made you feel", "listen; do not ask yet",
     GUARD},
    {"exploring", "Exploring questions", 20, VN_IV_ALL, false,
     "answer the questions about what happened and how you experienced it",
     "ask questions to picture the situation and the feeling it raised", GUARD},
    {"experiences", "Own experiences", 25, VN_IV_TURNS, false, "listen to each contribution",
     "when it is your turn, share your own experience and ideas with such a situation", GUARD},
    {"alternatives", "Alternatives", 15, VN_IV_PRESENTER, true,
     "name the other ways of acting you now see, and record what you will try (vangnet group "
     "plan)",
     "listen", GUARD},
    {"evaluation", "Evaluation", 10, VN_IV_ALL, false, "say what you learned",
     "say what you learned", "look ahead to the next meeting"},
};

/* The Balint steps: towards blind spots and the feeling side of the
 * doctor-patient relation; exploring rather than solving. */
static const vn_intervision_phase balint[] = {
    {"follow-up", "Follow-up", 10, VN_IV_ALL, false, "tell how earlier cases went on, if you wish",
     "tell how earlier cases went on, if you wish", "ask for follow-ups of earlier cases"},
    {"inventory", "Inventory", 10, VN_IV_ALL, false, "say briefly whether you have a new case",
     "say briefly whether you have a new case; help choose the most pressing one",
     "let the group choose the case with the most urgency or energy; name its presenter"},
    {"presentation", "Presentation and Balint question", 10, VN_IV_PRESENTER, false,
     "tell the case and put your Balint question: what is it in me that...?", "listen", GUARD},
    {"questions", "Questions", 15, VN_IV_ALL, false, "answer the questions",
     "ask questions; the focus is the doctor, not the diagnosis", GUARD},
    {"reflection", "Reflection", 30, VN_IV_MEMBERS, false,
     "step back and listen; take notes of what strikes you",
     "react freely: how you would experience this, what comes up in you, associations; "
     "we explore, we do not look for solutions",
     GUARD},
    {"response", "The presenter responds", 10, VN_IV_PRESENTER, true,
     "tell what touched you most and what you take with you (vangnet group plan, if you wish)",
     "listen", GUARD},
    {"evaluation", "Evaluation of the group process", 10, VN_IV_ALL, false,
     "say how the group worked today", "say how the group worked today", "close the meeting"},
};

/* The "roddel" (gossip) method: the presenter sits outside the circle
 * while the group talks about the question; for experienced groups. */
static const vn_intervision_phase roddel[] = {
    {"inventory", "Inventory", 15, VN_IV_ALL, false,
     "state your case and question briefly; the group chooses one",
     "state your own case briefly, then help choose one",
     "let the group choose a case; name its presenter"},
    {"clarification", "Clarifying the question", 20, VN_IV_ALL, false,
     "answer what happened and how you experienced it",
     "ask what happened exactly and how the presenter experienced it", GUARD},
    {"roddel", "Gossip round", 25, VN_IV_MEMBERS, false,
     "sit outside the circle: listen and note what strikes you",
     "talk with each other, respectfully and concretely, about the background of the question, "
     "its possible causes and solutions, and about the presenter's behaviour in the situation",
     GUARD},
    {"feedback", "The presenter comes back", 15, VN_IV_PRESENTER, true,
     "tell what touched you, which insights you gained, which advice you take, and record "
     "your plan (vangnet group plan)",
     "listen", GUARD},
    {"evaluation", "Evaluation", 10, VN_IV_ALL, false, "say what you learned",
     "say what you learned", "look ahead to the next meeting"},
};

static const vn_intervision_method methods[] = {
    {"basic", "Basic intervision method",
     "Fixed phases on one member's question, towards advice and an action plan; fits almost any "
     "work experience.",
     basic, N(basic)},
    {"incident", "Incident method",
     "A strict structure for a concrete, recent situation that raised strong feelings; good for "
     "new groups.",
     incident, N(incident)},
    {"balint", "Balint steps",
     "Explores the feeling side of the doctor-patient relation and one's own blind spots; always "
     "with a facilitator.",
     balint, N(balint)},
    {"roddel", "Roddel (gossip) method",
     "The presenter listens from outside the circle while the group talks the question through; "
     "for groups with much trust.",
     roddel, N(roddel)},
};

const vn_intervision_method *vn_intervision_method_at(size_t i)
{
    return i < N(methods) ? &methods[i] : NULL;
}

const vn_intervision_method *vn_intervision_method_find(const char *key)
{
    for (size_t i = 0; key && i < N(methods); i++)
        if (strcmp(methods[i].key, key) == 0) return &methods[i];
    return NULL;
}

const char *vn_intervision_method_keys(void)
{
    return "basic, incident, balint, roddel";
}

const char *vn_intervision_ground_rules(void)
{
    return "1. What is said in the group stays in the group.\n"
           "2. Everyone's contribution is respected, and expected.\n"
           "3. No probing or intrusive questions, also when someone speaks of their own history.\n"
           "4. We are equals: no hierarchy; the facilitator guards the process, not the content.\n"
           "5. Feedback is respectful and concrete, about the presenter's behaviour in the\n"
           "   situation; we avoid debate about who is right.\n"
           "6. Disturbances go first: anyone may say what weighs on them today.\n"
           "7. Presence matters: come, and say so in advance when you cannot.\n"
           "8. The presenter's action plan stays on the presenter's own device.\n";
}

const char *vn_intervision_asked(const vn_intervision_phase *ph, vn_intervision_part part)
{
    switch (part) {
    case VN_IV_FACILITATOR:
        return ph->ask_facilitator;
    case VN_IV_PRESENTER_PART:
        return ph->ask_presenter;
    default:
        return ph->ask_member;
    }
}

static bool is_done(uint32_t turn, const uint32_t *done, size_t ndone)
{
    for (size_t i = 0; i < ndone; i++)
        if (done[i] == turn) return true;
    return false;
}

uint32_t vn_intervision_current_turn(const uint32_t *done, size_t ndone, uint32_t nturns)
{
    for (uint32_t t = 1; t <= nturns; t++)
        if (!is_done(t, done, ndone)) return t;
    return 0;
}

vn_err vn_intervision_may_post(const vn_intervision_phase *ph, vn_intervision_part part,
                               uint32_t my_turn, uint32_t current, const char **why)
{
    const char *no = NULL;
    if (part == VN_IV_FACILITATOR) {
        no = NULL;
    } else if (part == VN_IV_PRESENTER_PART) {
        if (ph->speaker == VN_IV_MEMBERS || ph->speaker == VN_IV_TURNS)
            no = "in this phase the presenter listens";
    } else if (ph->speaker == VN_IV_PRESENTER) {
        no = "in this phase the presenter speaks and the members listen";
    } else if (ph->speaker == VN_IV_TURNS) {
        if (my_turn == 0)
            no = "you have no turn in this round";
        else if (current == 0 || my_turn < current)
            no = "you have had your turn in this round";
        else if (my_turn > current)
            no = "it is not your turn yet: wait until the members before you have spoken";
    }
    if (why) *why = no;
    return no ? VN_EDENIED : VN_OK;
}

bool vn_intervision_turn_valid(uint32_t turn, uint32_t sender_turn, const uint32_t *done,
                               size_t ndone)
{
    return turn != 0 && turn == sender_turn && !is_done(turn, done, ndone);
}
