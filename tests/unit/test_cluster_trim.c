/* Unit test of vn_cluster_trim_point (server/cluster_snap.c, compiled into
 * this test directly): the writer keeps the log from just after the oldest
 * registered backup, never past what a reporting node has applied, and
 * trims nothing without a registered backup or a reporting node. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cluster_nats.h"

static vn_cluster_report node(const char *name, uint64_t applied)
{
    vn_cluster_report r = {.applied = applied};
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.role, sizeof r.role, "follower");
    return r;
}

static void test_trim_point(void **state)
{
    vn_cluster_snap snaps[3] = {
        {.seq = 40, .time_ms = 1}, {.seq = 25, .time_ms = 2}, {.seq = 90, .time_ms = 3}};
    vn_cluster_report nodes[3] = {node("a", 100), node("b", 120), node("c", 100)};
    /* Nothing registered, or no node reporting: nothing goes. */
    assert_int_equal(vn_cluster_trim_point(snaps, 0, nodes, 3), 0);
    assert_int_equal(vn_cluster_trim_point(snaps, 3, nodes, 0), 0);
    /* The oldest backup wherever it is in the list (not only the first). */
    assert_int_equal(vn_cluster_trim_point(snaps, 3, nodes, 3), 26);
    assert_int_equal(vn_cluster_trim_point(snaps, 1, nodes, 3), 41);
    /* A node behind every backup holds the log back to its own position. */
    nodes[2].applied = 10;
    assert_int_equal(vn_cluster_trim_point(snaps, 3, nodes, 3), 11);
    /* A node at 0 (a new store): the whole log stays. */
    nodes[1].applied = 0;
    assert_int_equal(vn_cluster_trim_point(snaps, 3, nodes, 3), 1);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
