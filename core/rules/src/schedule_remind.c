/* When the schedule reminds people: the check-in window's two reminders,
 * quiet hours, and the unclaimed SOS. Pure, like schedule.c: the server
 * brings the clock reading, so a test can ask about any minute. */
#include "vn/schedule.h"

#define CLOSING_LEAD_MIN 60     /* the closing reminder comes this long before the window closes */
#define SOS_REMIND_MAX   300000 /* ms: buddies are reminded of an unclaimed SOS by then */

int vn_schedule_closing_min(const vn_terms *t)
{
    int start = t->checkin_start_min, end = t->checkin_end_min;
    int lead = end - start >= 4 * CLOSING_LEAD_MIN ? CLOSING_LEAD_MIN : (end - start) / 4;
    if (lead < 1) lead = 1; /* a window of minutes still gets its reminder */
    int at = end - lead;
    return at > start ? at : start;
}

vn_checkin_remind vn_schedule_checkin_remind(const vn_terms *t, const vn_absence *abs, size_t nabs,
                                             int32_t day, int minute, bool checked_in)
{
    if (checked_in || !vn_terms_active(t, day) || vn_schedule_absent(abs, nabs, day))
        return VN_REMIND_NONE;
    if (minute < t->checkin_start_min || minute >= t->checkin_end_min) return VN_REMIND_NONE;
    return minute >= vn_schedule_closing_min(t) ? VN_REMIND_CLOSING : VN_REMIND_OPEN;
}

bool vn_schedule_quiet_at(uint16_t start_min, uint16_t end_min, int minute)
{
    if (start_min == end_min) return false;
    if (start_min < end_min) return minute >= start_min && minute < end_min;
    return minute >= start_min || minute < end_min;
}

uint64_t vn_schedule_sos_remind_ms(uint64_t sos_window_ms)
{
    uint64_t at = sos_window_ms / 3;
    if (at > SOS_REMIND_MAX) at = SOS_REMIND_MAX;
    return at < 1000 ? 1000 : at;
}
