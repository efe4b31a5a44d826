/* seed_cases: many cases under contract, written straight into a stopped
 * server's store, for the scheduler's test (schedule_all.sh) and benchmark
 * (bench_schedule --vangnetd): enrolling thousands of people through
 * clients would take longer than the scheduling being tested. */
#ifndef VN_SEEDCASES_H
#define VN_SEEDCASES_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"

/* Creates n active cases, each with a participant and a signed contract
 * (the template terms) that began on start_day, in transactions of a
 * thousand cases; one casemanager per hundred cases. The ids are random;
 * the signatures are not checked by the store. */
vn_err seed_cases(vn_sstore *st, size_t n, int32_t start_day, uint64_t now_ms);

#endif
