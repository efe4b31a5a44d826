/* The wellbeing check's items and scoring (vn/wellbeing.h). The item texts
 * are our own short questions after the signs and complaints the burnout
 * source lists; see that header for what each kind means. */
#include "vn/wellbeing.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
static const vn_wellbeing_item items[VN_WB_ITEMS] = {
    { 1, VN_WB_COMPLAINT, false, "sleep",   "Do you sleep badly: trouble falling asleep or sleeping through?"},
    { 2, VN_WB_COMPLAINT, false, "brood",   "Do you brood, going over the same things again and again?"},
    { 3, VN_WB_COMPLAINT, false, "focus",   "Is it harder than usual to concentrate?"},
    { 4, VN_WB_COMPLAINT, true,  "tired",   "Are you tired more often, or sooner than you used to be?"},
    { 5, VN_WB_COMPLAINT, false, "irritab", "Are you quickly irritated?"},
    { 6, VN_WB_COMPLAINT, false, "busy",    "Do busy moments (noise, many people, a full day) get too much?"},
    { 7, VN_WB_COMPLAINT, false, "moods",   "Do your emotions swing more than usual?"},
    { 8, VN_WB_COMPLAINT, false, "rushed",  "Do you feel rushed, always chased by the clock?"},
    { 9, VN_WB_SIGN,      false, "unwell",  "Do you feel not quite like yourself?"},
    {10, VN_WB_SIGN,      false, "social",  "Do you skip sport, or an evening out with friends?"},
    {11, VN_WB_SIGN,      false, "engaged", "Do you feel less involved in your work?"},
    {12, VN_WB_SIGN,      false, "unrest",  "Do you wake up (even after a weekend off) not really rested?"},
    {13, VN_WB_CRITERION, false, "control", "Do you feel powerless, or that you are losing control over what is asked of you?"},
    {14, VN_WB_CRITERION, false, "limits",  "Are you clearly less able to do your work or keep up your social life?"},
};
/* clang-format on */

const vn_wellbeing_item *vn_wellbeing_item_at(size_t i)
{
    return i < VN_WB_ITEMS ? &items[i] : NULL;
}

vn_err vn_wellbeing_parse(const char *text, uint8_t answers[VN_WB_ITEMS], char *msg, size_t msgsize)
{
    const char *p = text;
    size_t n = 0;
    if (!text) {
        snprintf(msg, msgsize, "no answers given");
        return VN_EINVAL;
    }
    for (;;) {
        while (*p == ' ')
            p++;
        if (!isdigit((unsigned char)*p)) {
            snprintf(msg, msgsize, "answer %zu is not a number 0 to %d", n + 1, VN_WB_SCALE_MAX);
            return VN_EINVAL;
        }
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (v > VN_WB_SCALE_MAX) {
            snprintf(msg, msgsize, "answer %zu is %lu; answers go from 0 to %d", n + 1, v,
                     VN_WB_SCALE_MAX);
            return VN_EINVAL;
        }
        if (n == VN_WB_ITEMS) {
            snprintf(msg, msgsize, "more than %d answers given", VN_WB_ITEMS);
            return VN_EINVAL;
        }
        answers[n++] = (uint8_t)v;
        p = end;
        while (*p == ' ')
            p++;
        if (*p == '\0') break;
        if (*p != ',') {
            snprintf(msg, msgsize, "answer %zu is followed by '%c', not a comma", n, *p);
            return VN_EINVAL;
        }
        p++;
    }
    if (n != VN_WB_ITEMS) {
        snprintf(msg, msgsize, "%zu answers given; the check has %d items", n, VN_WB_ITEMS);
        return VN_EINVAL;
    }
    return VN_OK;
}

vn_err vn_wellbeing_score_of(const uint8_t answers[VN_WB_ITEMS], vn_wellbeing_score *out)
{
    unsigned criteria = 0, ncriteria = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < VN_WB_ITEMS; i++) {
        if (answers[i] > VN_WB_SCALE_MAX) return VN_EINVAL;
        bool present = answers[i] >= VN_WB_PRESENT;
        out->total += answers[i];
        switch (items[i].kind) {
        case VN_WB_COMPLAINT:
            out->complaints += present;
            break;
        case VN_WB_SIGN:
            out->signs += present;
            break;
        case VN_WB_CRITERION:
            ncriteria++;
            criteria += present;
            break;
        }
        if (items[i].fatigue && answers[i] == VN_WB_SCALE_MAX) out->exhausted = true;
    }
    out->overstrain = out->complaints >= VN_WB_OVERSTRAIN_COMPLAINTS;
    out->criteria = ncriteria > 0 && criteria == ncriteria;
    return VN_OK;
}

int32_t vn_wellbeing_run_start(const int32_t *day, const bool *overstrain, size_t n)
{
    if (n == 0 || !overstrain[n - 1]) return -1;
    size_t i = n - 1;
    while (i > 0 && overstrain[i - 1])
        i--;
    return day[i];
}

bool vn_wellbeing_burnout(const int32_t *day, const bool *overstrain, size_t n, bool exhausted_now)
{
    int32_t start = vn_wellbeing_run_start(day, overstrain, n);
    return exhausted_now && start >= 0 && day[n - 1] - start > VN_WB_BURNOUT_DAYS;
}

vn_err vn_wellbeing_interval_parse(const char *text, int32_t *days)
{
    char *end;
    if (!text || !isdigit((unsigned char)text[0])) return VN_EINVAL;
    unsigned long v = strtoul(text, &end, 10);
    unsigned long mult;
    if (strcmp(end, "d") == 0)
        mult = 1;
    else if (strcmp(end, "w") == 0)
        mult = 7;
    else if (strcmp(end, "m") == 0)
        mult = 30;
    else
        return VN_EINVAL;
    if (v == 0 || v > 366 || v * mult > 366) return VN_EINVAL;
    *days = (int32_t)(v * mult);
    return VN_OK;
}
