/* What every benchmark program needs around the processes it starts and
 * the figures it prints: a monotonic clock, children that die with the
 * benchmark, a temporary directory removed at the end, percentiles. One
 * copy, so the benchmarks agree on how a percentile is taken. */
#ifndef VN_BENCH_PROC_H
#define VN_BENCH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t bench_now_ns(void);

/* Starts argv (argv[0] a path) with stdout on a pipe (*out_fd, if out_fd
 * is not NULL) or, with log set, stdout and stderr appended to that file.
 * The child gets SIGTERM when the benchmark dies. -1 if it cannot fork. */
pid_t bench_spawn(char *const argv[], int *out_fd, const char *log);
/* Reads a child's stdout from fd into out (first line only, NUL ended),
 * closes fd and reaps the child. 0 if it exited with status 0. */
int bench_finish(pid_t pid, int fd, char *out, size_t size);
/* bench_spawn + bench_finish: runs a tool for its first line of output. */
int bench_run_tool(char *const argv[], char *out, size_t size);
/* Reaps pid: its exit status, or -1 if it did not exit normally. */
int bench_wait_exit(pid_t pid);
/* Starts argv (argv[0] a path) with standard input from /dev/null,
 * standard output to the file out (truncated; NULL: /dev/null) and
 * standard error appended to the file err (NULL: /dev/null). The child
 * gets SIGTERM when the benchmark dies. -1 if it cannot fork. */
pid_t bench_spawn_to(char *const argv[], const char *out, const char *err);
/* bench_spawn_to and bench_wait_exit: the exit status, -1 if it could not
 * run or did not exit normally. */
int bench_run_to(char *const argv[], const char *out, const char *err);
/* bench_run_to with standard output to the file path, then the first line
 * it printed into line (NUL ended, no newline; "" if none). The status. */
int bench_first_line(char *const argv[], const char *path, const char *err, char *line,
                     size_t size);
/* Whether path exists, waiting for it up to ms milliseconds. */
bool bench_wait_path(const char *path, int ms);

/* Reads at most size - 1 bytes of path into buf, NUL ended. 0 or -1. */
int bench_read_file(const char *path, char *buf, size_t size);
/* Removes dir and everything under it (not following symbolic links). */
void bench_rm_tree(const char *dir);

/* A process's user and system time so far (/proc/PID/stat, all its
 * threads), ns; 0 if unreadable. */
int64_t bench_proc_cpu_ns(pid_t pid);
/* Its resident memory (VmRSS), KiB; -1 if unreadable. */
long bench_proc_rss_kb(pid_t pid);
/* Its open descriptors; -1 if unreadable. */
long bench_proc_fds(pid_t pid);

/* Fills p[0..len) with message seq's payload bytes: a stream the
 * receiver computes again to check what arrived. */
void bench_fill_stream(uint64_t seq, uint8_t *p, size_t len);

/* Sorts v[0..n) ascending. */
void bench_sort_i64(int64_t *v, size_t n);
/* The nearest-rank per-mille of sorted v[0..n) (500: median, 990: p99,
 * 999: p99.9); 0 when n is 0. */
int64_t bench_permille(const int64_t *v, size_t n, unsigned pm);

/* A fresh vangnetd for a benchmark: its temporary directory, state
 * directory, store key and log (the server's and its tools' stderr). */
typedef struct bench_server {
    char dir[256], state[300], key[300], log[300];
    pid_t pid; /* the running server, or -1 */
    bool keep; /* bench_server_stop leaves the directory (a failed setup's log) */
} bench_server;

/* Makes /tmp/vn-bench-NAME.XXXXXX, `vangnetd init` in it, and runs the
 * server there on a loopback TCP port with the extra run options (NULL
 * ended; extra may be NULL); waits up to 20 s until it listens. 0, or -1
 * (its log says why; bench_server_stop cleans up either way). */
int bench_server_start(bench_server *s, const char *vangnetd, const char *name,
                       char *const extra[]);
/* Stops the server (SIGTERM, reaped) and removes its directory, unless
 * keep is set. */
void bench_server_stop(bench_server *s);

#endif
