/* vn_calview: what the month views share: the casemanager's calendars
 * (cmd_views.c), the monthly report (report.c) and the participant's own
 * calendar (report_calendar.c) ask the server for the same month of a case
 * and check --month alike; the two grids draw their weeks alike and differ
 * only in what a day's cell shows. */
#ifndef VN_CALVIEW_H
#define VN_CALVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "client.h"
#include "vn/frame.h"

/* Whether s is a month, YYYY-MM: it is printed back, and in JSON unquoted
 * text would break the string it stands in. */
bool vn_calview_month_ok(const char *s);

/* The server's calendar of case_id for month (YYYY-MM) into *rep, a
 * reply of body calendar_view; otherwise the exit code, said why. */
int vn_calview_fetch(vn_client *c, const char *case_id, const char *month, Vn__Reply **rep);

/* Prints one day's cell of the grid: 9 columns, day i + 1 of the month. */
typedef void (*vn_calview_cell_fn)(void *ud, const Vn__CalendarDay *day, size_t i);

/* Prints the weekday header and the month's days under it, Monday first,
 * one line a week, each day by cell. Returns false, after the header only,
 * when the view has no days or its first date does not parse: the caller
 * then prints no legend. */
bool vn_calview_grid(const Vn__CalendarView *v, vn_calview_cell_fn cell, void *ud);

#endif
