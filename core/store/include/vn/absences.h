/* vn_absences: approved absences (which suspend draws) and medication
 * exceptions of a case, each a range of days. */
#ifndef VN_ABSENCES_H
#define VN_ABSENCES_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/schedule.h"
#include "vn/sstore.h"
#include "vn/util.h"

/* Most absences of one kind vn_absences_load returns. */
#define VN_ABSENCES_MAX 4096

typedef enum vn_absence_kind { VN_ABSENCE = 1, VN_MEDICATION = 2 } vn_absence_kind;

/* Records an absence of kind from day `from` to day `to`. */
vn_err vn_absences_add(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t from,
                       int32_t to, vn_absence_kind kind);
/* Absences of kind into a malloc'd *out (caller frees; NULL when none).
 * VN_ETOOBIG past VN_ABSENCES_MAX. */
vn_err vn_absences_load(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_absence_kind kind,
                        vn_absence **out, size_t *n);
/* Deletes every absence of the case. */
vn_err vn_absences_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);

#endif
