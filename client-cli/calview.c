/* The month views' shared parts (calview.h). */
#include "calview.h"

#include "vn/day.h"

#include <stdio.h>

bool vn_calview_month_ok(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (!s[i] || (i == 4 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))) return false;
    return s[7] == '\0';
}

int vn_calview_fetch(vn_client *c, const char *case_id, const char *month, Vn__Reply **rep)
{
    Vn__Calendar q = VN__CALENDAR__INIT;
    q.case_id = (char *)case_id;
    q.month = (char *)month;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_CALENDAR;
    req.calendar = &q;
    return vn_client_call(c, &req, VN__REPLY__BODY_CALENDAR_VIEW, "cannot read the calendar", rep);
}

bool vn_calview_grid(const Vn__CalendarView *v, vn_calview_cell_fn cell, void *ud)
{
    int y, m, d;
    printf("   Mon      Tue      Wed      Thu      Fri      Sat      Sun\n");
    if (v->n_days == 0 || sscanf(v->days[0]->date, "%d-%d-%d", &y, &m, &d) != 3) return false;
    /* The weekday of the 1st: 1970-01-01 was a Thursday (3 from Monday). */
    int32_t day0 = vn_day_from_civil(y, m, 1);
    int wd = (int)(((day0 % 7) + 7 + 3) % 7);
    for (int i = 0; i < wd; i++)
        printf("         ");
    for (size_t i = 0; i < v->n_days; i++) {
        cell(ud, v->days[i], i);
        if ((wd + (int)i) % 7 == 6) printf("\n");
    }
    return true;
}
