/* vn_absences: approved absences of a case (which suspend draws), each a
 * range of days. Medication exceptions are not here: they change nothing
 * the server enforces and travel end to end only. */
#ifndef VN_ABSENCES_H
#define VN_ABSENCES_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/schedule.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* Most absences vn_absences_load returns. */
#define VN_ABSENCES_MAX 4096

/* Records an absence from day `from` to day `to`. */
vn_err vn_absences_add(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t from,
                       int32_t to);
/* The absences into a malloc'd *out (caller frees; NULL when none).
 * VN_ETOOBIG past VN_ABSENCES_MAX. */
vn_err vn_absences_load(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_absence **out,
                        size_t *n);
/* Deletes every absence of the case. */
vn_err vn_absences_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);

#endif
