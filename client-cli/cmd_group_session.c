/* group start, next, end, status: a structured session. Everything here
 * is between the group's devices: the facilitator's client sends each step
 * as an event in the group's end-to-end conversation, every member's
 * client keeps the session's state, and the server sees only sealed
 * copies of unknown content (docs/GROUPS.md). */
#include "args.h"
#include "group.h"

#include "vn/parse.h"
#include "vn/rand.h"
#include "vn/wallclock.h"

#include <stdlib.h>
#include <string.h>

static int only_facilitator(vn_client *c, const vn_group *g)
{
    if (strcmp(g->facilitator, c->account) == 0) return EXIT_OK;
    return vn_client_fail(c, VN_EDENIED, "only the facilitator of group %s runs its sessions",
                          g->id);
}

/* --minutes, or the phase's own time box. */
static int minutes_of(vn_client *c, const vn_args *a, const vn_intervision_phase *ph, uint32_t *out)
{
    const char *s = vn_args_get(a, "--minutes");
    uint64_t v = ph->minutes;
    if (s && vn_parse_u64(s, 1, VN_IV_MINUTES_MAX, &v))
        return vn_args_invalid(c, a, "--minutes must be 1 to %d, not %s", VN_IV_MINUTES_MAX, s);
    *out = (uint32_t)v;
    return EXIT_OK;
}

static int sent(vn_client *c, vn_err err, const vn_group *g, const char *what)
{
    char line[600];
    if (err == VN_EUNTRUSTED)
        return vn_client_fail(c, err,
                              "%s: an identity key has changed; compare safety numbers "
                              "with `vangnet verify`",
                              what);
    if (err && vn_err_is_retryable(err)) return EXIT_RETRY;
    if (err) return vn_client_fail_call(c, err, what);
    const vn_intervision_method *m = vn_group_method(g);
    if (c->json) {
        printf("{\"group\": \"%s\", \"session\": %s, \"phase\": %u}\n", g->id,
               g->in_session ? "true" : "false", g->phase + 1);
    } else if (m && g->phase < m->nphases) {
        snprintf(line, sizeof line, "phase %u of %zu: %s (%u min)", g->phase + 1, m->nphases,
                 m->phases[g->phase].title, g->minutes);
        printf("group %s: %s\n", g->id, line);
    } else {
        printf("group %s: the session has ended\n", g->id);
    }
    return EXIT_OK;
}

int vn_cmd_group_start(vn_client *c, const vn_args *a)
{
    const vn_intervision_method *m = vn_intervision_method_find(vn_args_get(a, "--method"));
    const char *presenter = vn_args_get(a, "--presenter");
    char pres[VN_ACCOUNT_HEX + 1], *turns[VN_GROUP_MAX];
    uint8_t session[16];
    vn_group *g;
    uint32_t minutes;
    if (!m)
        return vn_args_invalid(c, a, "--method must be one of %s", vn_intervision_method_keys());
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    if ((rc = only_facilitator(c, g))) goto out;
    if (g->in_session) {
        rc = vn_client_fail(c, VN_EEXISTS,
                            "a session of group %s runs already: end it first "
                            "(vangnet group end %s)",
                            g->id, g->id);
        goto out;
    }
    if ((rc = minutes_of(c, a, &m->phases[0], &minutes))) goto out;
    vn_err err = vn_group_refresh(c, g);
    if (err) {
        rc = vn_client_fail_call(c, err, "cannot read the group's members");
        goto out;
    }
    if (vn_client_resolve(c, presenter, pres) || strcmp(pres, c->account) == 0) {
        rc = vn_client_fail(c, VN_ENOACCOUNT, "%s is not a member of group %s", presenter, g->id);
        goto out;
    }
    bool member = false;
    size_t nturns = 0;
    /* Turns go round the other members in the roster's order. */
    for (size_t i = 0; i < g->nmembers; i++) {
        if (strcmp(g->members[i], pres) == 0)
            member = true;
        else
            turns[nturns++] = g->members[i];
    }
    if (!member) {
        rc = vn_client_fail(c, VN_ENOACCOUNT, "%s is not a member of group %s", presenter, g->id);
        goto out;
    }
    if ((err = vn_rand_bytes(session, sizeof session))) {
        rc = vn_client_fail(c, err, "cannot make a session id: %s", vn_err_str(err));
        goto out;
    }
    Vn__GroupEvent ev = VN__GROUP_EVENT__INIT;
    ev.kind = VN_GEV_START;
    ev.session = (ProtobufCBinaryData){sizeof session, session};
    ev.method = (char *)m->key;
    ev.presenter = pres;
    ev.turns = turns;
    ev.n_turns = nturns;
    ev.phase = 0;
    ev.minutes = minutes;
    /* Our own copy of the state follows the event (vn_group_post), as
     * the members' do. */
    rc = sent(c, vn_group_post(c, g, &ev, NULL), g, "the session was not started");
out:
    free(g);
    return rc;
}

int vn_cmd_group_next(vn_client *c, const vn_args *a)
{
    vn_group *g;
    uint32_t minutes;
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    const vn_intervision_method *m = vn_group_method(g);
    if ((rc = only_facilitator(c, g))) goto out;
    if (!m) {
        rc = vn_client_fail(c, VN_ENOTFOUND,
                            "no session of group %s runs: start one with "
                            "vangnet group start",
                            g->id);
        goto out;
    }
    if (g->phase + 1 >= m->nphases) {
        rc = vn_client_fail(c, VN_EINVAL,
                            "%s is the last phase: end the session with vangnet "
                            "group end %s",
                            m->phases[g->phase].title, g->id);
        goto out;
    }
    if ((rc = minutes_of(c, a, &m->phases[g->phase + 1], &minutes))) goto out;
    Vn__GroupEvent ev = VN__GROUP_EVENT__INIT;
    ev.kind = VN_GEV_PHASE;
    ev.session = (ProtobufCBinaryData){sizeof g->session, g->session};
    ev.phase = g->phase + 1;
    ev.minutes = minutes;
    rc = sent(c, vn_group_post(c, g, &ev, NULL), g, "the group was not moved on");
out:
    free(g);
    return rc;
}

int vn_cmd_group_end(vn_client *c, const vn_args *a)
{
    vn_group *g;
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    if ((rc = only_facilitator(c, g))) goto out;
    if (!g->in_session) {
        rc = vn_client_fail(c, VN_ENOTFOUND, "no session of group %s runs", g->id);
        goto out;
    }
    Vn__GroupEvent ev = VN__GROUP_EVENT__INIT;
    ev.kind = VN_GEV_END;
    ev.session = (ProtobufCBinaryData){sizeof g->session, g->session};
    rc = sent(c, vn_group_post(c, g, &ev, NULL), g, "the session was not ended");
out:
    free(g);
    return rc;
}

/* --note: printable text of at most VN_GROUP_NOTE_MAX bytes. */
static bool note_ok(const char *s)
{
    if (strlen(s) > VN_GROUP_NOTE_MAX) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F) return false;
    return true;
}

int vn_cmd_group_schedule(vn_client *c, const vn_args *a)
{
    const char *at = vn_args_get(a, "--at"), *note = vn_args_get(a, "--note");
    int64_t when;
    vn_group *g;
    if (!vn_group_time_parse(at, &when))
        return vn_args_invalid(c, a,
                               "--at must be a local date and time as YYYY-MM-DDTHH:MM "
                               "(e.g. 2031-03-10T19:30), not %s",
                               at ? at : "nothing");
    if (when * 1000 <= (int64_t)vn_wallclock_ms())
        return vn_args_invalid(c, a, "--at %s is not in the future", at);
    if (note && !note_ok(note))
        return vn_args_invalid(c, a, "--note must be one line of at most %d bytes",
                               VN_GROUP_NOTE_MAX);
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    if ((rc = only_facilitator(c, g))) goto out;
    Vn__GroupEvent ev = VN__GROUP_EVENT__INIT;
    ev.kind = VN_GEV_SCHEDULE;
    ev.next_at = (char *)at;
    ev.next_note = (char *)(note ? note : "");
    vn_err err = vn_group_post(c, g, &ev, NULL);
    if (err) {
        rc = sent(c, err, g, "the session was not scheduled");
        goto out;
    }
    if (c->json) {
        printf("{\"group\": \"%s\", \"next_session\": \"%s\", \"next_note\": ", g->id, g->next_at);
        vn_json_str(stdout, g->next_note);
        printf("}\n");
    } else {
        printf("group %s: next session on %.10s %.5s%s%s%s; the members were told\n", g->id,
               g->next_at, g->next_at + 11, g->next_note[0] ? " (" : "", g->next_note,
               g->next_note[0] ? ")" : "");
    }
out:
    free(g);
    return rc;
}

static const char *name(vn_client *c, const char *acc, char *buf, size_t size)
{
    if (strcmp(acc, c->account) == 0) return "you";
    if (vn_client_name_of(c, acc, buf, size)) return buf;
    snprintf(buf, size, "%.8s", acc);
    return buf;
}

static const char *speaker_text(vn_intervision_speaker s)
{
    switch (s) {
    case VN_IV_PRESENTER:
        return "the presenter speaks; the members listen";
    case VN_IV_MEMBERS:
        return "the members speak; the presenter listens";
    case VN_IV_TURNS:
        return "each member in turn; the presenter listens";
    default:
        return "everyone";
    }
}

static void status_json(vn_client *c, const vn_group *g, const vn_intervision_method *m,
                        uint32_t turn, int64_t left_s)
{
    printf("{\"group\": \"%s\", \"cap\": %u, \"members\": %zu, \"facilitator\": %s, "
           "\"rules_accepted\": %s, \"count_attendance\": %s, \"session\": ",
           g->id, g->cap, g->nmembers, strcmp(g->facilitator, c->account) == 0 ? "true" : "false",
           g->rules_accepted ? "true" : "false", g->count_attendance ? "true" : "false");
    if (!m) {
        fputs("null", stdout);
    } else {
        const vn_intervision_phase *ph = &m->phases[g->phase];
        printf("{\"method\": \"%s\", \"presenter\": \"%s\", \"you_present\": %s, \"phase\": %u, "
               "\"phases\": %zu, \"phase_key\": \"%s\", \"minutes\": %u, \"seconds_left\": %lld, "
               "\"asked\": ",
               m->key, g->presenter, strcmp(g->presenter, c->account) == 0 ? "true" : "false",
               g->phase + 1, m->nphases, ph->key, g->minutes, (long long)left_s);
        vn_json_str(stdout, vn_intervision_asked(ph, vn_group_part(g, c->account)));
        printf(", \"turn\": %u, \"your_turn\": %u", turn, vn_group_turn_of(g, c->account));
        fputs(", \"turns\": [", stdout);
        for (size_t i = 0; i < g->nturns; i++)
            printf("%s\"%s\"", i ? ", " : "", g->turns[i]);
        fputs("]}", stdout);
    }
    if (vn_group_next_upcoming(g)) {
        printf(", \"next_session\": \"%s\", \"next_note\": ", g->next_at);
        vn_json_str(stdout, g->next_note);
    } else {
        fputs(", \"next_session\": null, \"next_note\": null", stdout);
    }
    printf(", \"has_plan\": %s}\n", g->has_plan ? "true" : "false");
}

int vn_cmd_group_status(vn_client *c, const vn_args *a)
{
    vn_group *g;
    char nb[80];
    int rc = vn_group_open(c, a, &g);
    if (rc) return rc;
    /* The roster as the server has it now; offline, the one kept here. */
    vn_err err = vn_group_refresh(c, g);
    if (err == VN_ENOTFOUND || err == VN_EDENIED) {
        rc = vn_client_fail_call(c, err, "cannot show the group");
        goto out;
    }
    const vn_intervision_method *m = vn_group_method(g);
    if (m && g->phase >= m->nphases) m = NULL;
    uint32_t turn = vn_intervision_current_turn(g->done, g->ndone, (uint32_t)g->nturns);
    int64_t left_s = 0;
    if (m) {
        int64_t end = (int64_t)g->phase_started_ms + (int64_t)g->minutes * 60000;
        left_s = (end - (int64_t)vn_wallclock_ms()) / 1000;
    }
    if (c->json) {
        status_json(c, g, m, turn, left_s);
        goto out;
    }
    printf("group %s: %zu of at most %u members; facilitator: %s\n", g->id, g->nmembers, g->cap,
           name(c, g->facilitator, nb, sizeof nb));
    if (!g->rules_accepted)
        printf("you have not accepted the ground rules yet:\n%s"
               "accept them to post: vangnet group accept-rules %s\n",
               vn_intervision_ground_rules(), g->id);
    if (vn_group_next_upcoming(g))
        printf("next session: %.10s %.5s%s%s%s\n", g->next_at, g->next_at + 11,
               g->next_note[0] ? " (" : "", g->next_note, g->next_note[0] ? ")" : "");
    if (!m) {
        printf("no session runs%s\n", g->has_plan ? "; your last action plan is kept here" : "");
        goto out;
    }
    const vn_intervision_phase *ph = &m->phases[g->phase];
    printf("session: %s; presenter: %s\n", m->title, name(c, g->presenter, nb, sizeof nb));
    printf("phase %u of %zu: %s, time box %u min, ", g->phase + 1, m->nphases, ph->title,
           g->minutes);
    if (left_s >= 0)
        printf("%lld min %02lld s left\n", (long long)(left_s / 60), (long long)(left_s % 60));
    else
        printf("over time by %lld min\n", (long long)(-left_s / 60));
    printf("who speaks: %s\n", speaker_text(ph->speaker));
    printf("asked of you: %s\n", vn_intervision_asked(ph, vn_group_part(g, c->account)));
    if (ph->speaker == VN_IV_TURNS) {
        for (size_t i = 0; i < g->nturns; i++) {
            bool done = false;
            for (size_t k = 0; k < g->ndone; k++)
                done = done || g->done[k] == i + 1;
            printf("  turn %zu: %s%s\n", i + 1, name(c, g->turns[i], nb, sizeof nb),
                   done            ? " (done)"
                   : turn == i + 1 ? " <- now"
                                   : "");
        }
    }
    if (g->has_plan && g->phase == 0)
        printf("looking back: your action plan (on this device only): %s\n", g->plan);
    for (size_t i = 1; i < m->nphases; i++)
        if (i > g->phase) {
            printf("next: %s\n", m->phases[i].title);
            break;
        }
out:
    free(g);
    return rc;
}
