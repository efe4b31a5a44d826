/* vn_disclosures: the record that casemanager and medical lead both
 * attested both disclosure gates for a case, and the one attestation that
 * waits for the other's. */
#ifndef VN_DISCLOSURES_H
#define VN_DISCLOSURES_H

#include <stdbool.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* How long one attestation waits for the other. */
#define VN_ATTEST_WINDOW_MS (7ULL * 86400000)

/* Role 1 casemanager, 2 medical lead attests both gates for the case (an
 * attestation older than VN_ATTEST_WINDOW_MS is dropped). *recorded tells
 * whether, with this, both have attested and the disclosure record was
 * written. */
vn_err vn_disclosures_attest(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int role,
                             uint64_t now, bool *recorded);
/* Calls fn for every disclosure record of the case (time recorded). */
typedef vn_err (*vn_disclosures_fn)(void *ud, uint64_t recorded_ms);
vn_err vn_disclosures_each(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                           vn_disclosures_fn fn, void *ud);
/* Deletes the case's attestations and disclosure records. */
vn_err vn_disclosures_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);

#endif
