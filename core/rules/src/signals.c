#include "vn/signals.h"

#include <string.h>

/* The catalogue. The Dutch labels are short renderings of the items of Table 1
 * in H.P. Rode, "Verslaving en artsen" (Bijblijven 2017), and of the burnout
 * self-check in the same seed document; the English labels translate them.
 * The final item of Table 1's end phase, suicide itself, is left out on
 * purpose: it is an outcome, not a signal anyone could still report and act
 * on. Codes are part of the wire format, so an item is only ever appended
 * within its phase, never renumbered. */
static const vn_signal catalogue[] = {
    {"E01", VN_PHASE_EARLY, "Meer negatieve gedachten, gevoelens en gedrag",
     "More negative thoughts, feelings and behaviour"},
    {"E02", VN_PHASE_EARLY, "Meer lichamelijke klachten, moeheid en ziekte",
     "More physical complaints, fatigue and illness"},
    {"E03", VN_PHASE_EARLY, "Minder contact met vrienden en familie",
     "Less contact with friends and family"},
    {"E04", VN_PHASE_EARLY, "Spanning thuis, conflicten, ontrouw",
     "Tension at home, conflicts, infidelity"},
    {"E05", VN_PHASE_EARLY, "Minder verzorgd en minder goed gekleed",
     "Less well dressed and groomed"},
    {"E06", VN_PHASE_EARLY, "Minder betrouwbaar in het nakomen van afspraken",
     "Less reliable in keeping appointments"},
    {"E07", VN_PHASE_EARLY, "Ongezonde manier van omgaan met problemen",
     "Unhealthy ways of coping with problems"},
    {"E08", VN_PHASE_EARLY, "Meer tijd op het werk", "Spending more time at work"},

    {"P01", VN_PHASE_PROBLEM, "Woede-uitbarstingen op het werk", "Anger outbursts at work"},
    {"P02", VN_PHASE_PROBLEM, "Klachten van patiënten en staf",
     "Complaints from patients and staff"},
    {"P03", VN_PHASE_PROBLEM, "Professionele desinteresse", "Professional disinterest"},
    {"P04", VN_PHASE_PROBLEM, "Afspraken afzeggen, vaker afwezig",
     "Cancelling appointments, more often absent"},
    {"P05", VN_PHASE_PROBLEM, "Klinische vaardigheden gaan achteruit", "Declining clinical skills"},
    {"P06", VN_PHASE_PROBLEM, "Slechtere voortgangsevaluaties", "Worse progress evaluations"},
    {"P07", VN_PHASE_PROBLEM, "(Psychoactieve) medicatie op eigen voorschrift",
     "(Psychoactive) medication on own prescription"},
    {"P08", VN_PHASE_PROBLEM, "Ruikt naar alcohol tijdens het werk", "Smells of alcohol at work"},
    {"P09", VN_PHASE_PROBLEM, "Huiselijk geweld, echtscheiding", "Domestic violence, divorce"},

    {"X01", VN_PHASE_END, "Onder invloed op het werk", "Intoxicated at work"},
    {"X02", VN_PHASE_END, "Uiterlijk verandert als bij een chronische ziekte",
     "Appearance changes as in a chronic illness"},
    {"X03", VN_PHASE_END, "Medische fout of ongeluk", "Medical error or accident"},
    {"X04", VN_PHASE_END, "Extreem persoonlijk isolement", "Extreme personal isolation"},
    {"X05", VN_PHASE_END, "Suïcidale uitingen of pogingen", "Suicidal statements or attempts"},

    {"B01", VN_PHASE_BURNOUT, "Slechter inslapen of doorslapen",
     "Sleeping badly: falling or staying asleep"},
    {"B02", VN_PHASE_BURNOUT, "Piekeren", "Brooding"},
    {"B03", VN_PHASE_BURNOUT, "Moeite met concentreren", "Difficulty concentrating"},
    {"B04", VN_PHASE_BURNOUT, "Vaker en eerder moe", "Tiring sooner and more often"},
    {"B05", VN_PHASE_BURNOUT, "Sport of uitjes met vrienden laten schieten",
     "Skipping sport or evenings out with friends"},
    {"B06", VN_PHASE_BURNOUT, "Minder betrokken bij het werk", "Less engaged with work"},
    {"B07", VN_PHASE_BURNOUT, "'s Ochtends niet uitgerust", "Not rested in the morning"},
};

#define CATALOGUE_LEN (sizeof catalogue / sizeof catalogue[0])

_Static_assert(CATALOGUE_LEN == 8 + 9 + 5 + 7, "catalogue must hold Table 1 and the burnout items");

/* Indexed by the enum value; slot 0 is the name of every value out of range. */
static const char *const phase_names[] = {"unknown", "early", "problem", "end", "burnout"};
static const char *const severity_names[] = {"unknown", "concern", "urgent", "crisis"};
static const uint32_t ack_minutes[] = {0, 72 * 60, 24 * 60, 60};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

size_t vn_signals_count(void)
{
    return CATALOGUE_LEN;
}

const vn_signal *vn_signals_at(size_t i)
{
    return i < CATALOGUE_LEN ? &catalogue[i] : NULL;
}

/* A linear scan: 29 three-letter compares cost less than keeping a second,
 * sorted index in step with the table. */
const vn_signal *vn_signals_find(const char *code)
{
    if (!code) return NULL;
    for (size_t i = 0; i < CATALOGUE_LEN; i++)
        if (strcmp(code, catalogue[i].code) == 0) return &catalogue[i];
    return NULL;
}

const char *vn_signals_phase_name(vn_signal_phase p)
{
    /* Compare as unsigned so that a negative value from a cast is out of range too. */
    if ((unsigned)p >= NELEM(phase_names)) return phase_names[0];
    return phase_names[p];
}

const char *vn_signals_severity_name(vn_severity s)
{
    if ((unsigned)s >= NELEM(severity_names)) return severity_names[0];
    return severity_names[s];
}

vn_err vn_signals_severity_parse(const char *s, vn_severity *out)
{
    for (size_t i = 1; s && i < NELEM(severity_names); i++) {
        if (strcmp(s, severity_names[i]) == 0) {
            *out = (vn_severity)i;
            return VN_OK;
        }
    }
    return VN_EINVAL;
}

/* Burnout items rank with the early signals: they call for a conversation,
 * not for the faster response that problem or end phase signs demand. */
static vn_severity severity_of(vn_signal_phase p)
{
    switch (p) {
    case VN_PHASE_END:
        return VN_SEV_CRISIS;
    case VN_PHASE_PROBLEM:
        return VN_SEV_URGENT;
    case VN_PHASE_EARLY:
    case VN_PHASE_BURNOUT:
        break;
    }
    return VN_SEV_CONCERN;
}

vn_err vn_signals_severity(const char *const *codes, size_t n, vn_severity *out, const char **bad)
{
    vn_severity worst = VN_SEV_CONCERN;

    if (bad) *bad = NULL;
    if (!codes || n == 0) return VN_EINVAL;
    /* Every code is checked, not only until a crisis is found: a report that
     * names an unknown item is malformed as a whole. */
    for (size_t i = 0; i < n; i++) {
        const vn_signal *sig = vn_signals_find(codes[i]);
        if (!sig) {
            if (bad) *bad = codes[i];
            return VN_EINVAL;
        }
        vn_severity sev = severity_of(sig->phase);
        if (sev > worst) worst = sev;
    }
    *out = worst;
    return VN_OK;
}

uint32_t vn_signals_ack_minutes(vn_severity s)
{
    if ((unsigned)s >= NELEM(ack_minutes)) return 0;
    return ack_minutes[s];
}
