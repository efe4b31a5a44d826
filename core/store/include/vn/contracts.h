/* vn_contracts: monitoring contracts in the server store, one record per
 * version of a case's contract: its canonical bytes (the terms: rates,
 * minimums, window), the participant's signature and when it was set and
 * signed. Only two versions are kept: the one in force and one waiting
 * for its signature; the history of a contract tells a story (a raised
 * test rate after a positive test) the schedule does not need. */
#ifndef VN_CONTRACTS_H
#define VN_CONTRACTS_H

#include <stddef.h>
#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/terms.h"
#include "vn/account.h"

/* Stores version of the case's contract (the caller numbers versions,
 * from vn_contracts_versions), dropping a version that was waiting. */
vn_err vn_contracts_put(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                        const uint8_t *canonical, size_t len, uint64_t now, uint32_t version);
/* The newest version (*out is unpacked; free with vn__stored_contract__free_unpacked),
 * with signed_version filled. VN_ENOTFOUND if the case has no contract. */
vn_err vn_contracts_latest(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                           Vn__StoredContract **out);
/* The contract in force: the newest signed version. VN_ENOTFOUND if none. */
vn_err vn_contracts_in_force(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_terms *t);
/* The terms of the newest version, signed or still waiting. VN_ENOTFOUND
 * if the case has no contract. */
vn_err vn_contracts_newest_terms(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_terms *t);
/* The newest version and the one in force (0 for none); either may be NULL. */
vn_err vn_contracts_versions(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint32_t *newest,
                             uint32_t *in_force);
/* Records the signature of version, which comes into force: the version it
 * supersedes is dropped. VN_ENOTFOUND if there is no such version (a newer
 * one replaced it). */
vn_err vn_contracts_sign(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint32_t version,
                         const uint8_t *sig, size_t siglen, uint64_t now);
/* Deletes every version of the case's contract. */
vn_err vn_contracts_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);

#endif
