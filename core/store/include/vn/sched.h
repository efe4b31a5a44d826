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
/* Marks a notice (kind, item, day) as sent; *already tells if it was. Only
 * the latest day per (kind, item) is kept: days only move forward. */
vn_err vn_sched_notice_once(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t kind,
                            uint8_t item, int32_t day, bool *already);
/* Deletes the case's bookkeeping and sent notices. */
vn_err vn_sched_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);

#endif
