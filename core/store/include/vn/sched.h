/* vn_sched: the scheduler's bookkeeping per case: the last day it closed
 * (draws made, missed check-ins recorded) and which notices it already
 * sent, so each is sent once. */
#ifndef VN_SCHED_H
#define VN_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* The last day the scheduler has closed for the case. VN_ENOTFOUND before
 * the first. */
vn_err vn_sched_last(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t *day);
vn_err vn_sched_set_last(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t day);
/* Marks a notice (kind, item, day) as sent; *already tells if it was, or
 * one of that kind and item about a later day. Only the latest day per
 * (kind, item) is kept: days only move forward. */
vn_err vn_sched_notice_once(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t kind,
                            uint8_t item, int32_t day, bool *already);
/* Whether that notice was sent already, without marking it (a caller
 * that may not send it now, in quiet hours, leaves it for later). */
vn_err vn_sched_notice_sent(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t kind,
                            uint8_t item, int32_t day, bool *sent);

/* Notices about one alert of the case, sent once (the unclaimed-SOS
 * reminder): marks (kind, alert) as sent; *already tells if it was. */
vn_err vn_sched_alert_once(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t kind,
                           const uint8_t alert[VN_ACCOUNT_LEN], bool *already);

/* Most accounts kept as the reporters of one alert. */
#define VN_REPORTERS_MAX 16
/* Adds account to the reporters of an alert (those told when it is
 * claimed, acknowledged or escalated); a signal folded into an open alert
 * adds its reporter there. Past VN_REPORTERS_MAX the first ones stay. */
vn_err vn_sched_reporter_add(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                             const uint8_t alert[VN_ACCOUNT_LEN],
                             const uint8_t account[VN_ACCOUNT_LEN]);
/* The reporters of an alert into out (room for VN_REPORTERS_MAX); *n is 0
 * when none are kept. */
vn_err vn_sched_reporters(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                          const uint8_t alert[VN_ACCOUNT_LEN], uint8_t out[][VN_ACCOUNT_LEN],
                          size_t *n);
/* Forgets what is kept about an alert (its reporters, its reminders) once
 * it is acknowledged: nothing of an answered alert stays. */
vn_err vn_sched_alert_forget(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                             const uint8_t alert[VN_ACCOUNT_LEN]);

/* Deletes the case's bookkeeping and sent notices. */
vn_err vn_sched_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);

#endif
