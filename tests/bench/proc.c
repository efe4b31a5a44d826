/* Child processes, files and percentiles for the benchmark programs. */
/* nftw() is an XSI extension. */
#define _XOPEN_SOURCE 700

#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

pid_t bench_spawn(char *const argv[], int *out_fd, const char *log)
{
    int pfd[2] = {-1, -1};
    if (out_fd && pipe(pfd) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        if (out_fd) {
            close(pfd[0]);
            close(pfd[1]);
        }
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (out_fd) {
            dup2(pfd[1], STDOUT_FILENO);
            close(pfd[0]);
            close(pfd[1]);
        }
        if (log) {
            int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) {
                dup2(fd, STDOUT_FILENO);
                dup2(fd, STDERR_FILENO);
                close(fd);
            }
        }
        execv(argv[0], argv);
        _exit(127);
    }
    if (out_fd) {
        close(pfd[1]);
        *out_fd = pfd[0];
    }
    return pid;
}

int bench_wait_exit(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

pid_t bench_spawn_to(char *const argv[], const char *out, const char *err)
{
    pid_t pid = fork();
    if (pid != 0) return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = open(err ? err : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
    int n = open("/dev/null", O_RDONLY);
    if (o < 0 || e < 0 || n < 0) _exit(126);
    dup2(n, STDIN_FILENO);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
}

int bench_run_to(char *const argv[], const char *out, const char *err)
{
    pid_t pid = bench_spawn_to(argv, out, err);
    return pid < 0 ? -1 : bench_wait_exit(pid);
}

int bench_first_line(char *const argv[], const char *path, const char *err, char *line, size_t size)
{
    int rc = bench_run_to(argv, path, err);
    FILE *f = fopen(path, "r");
    line[0] = '\0';
    if (f && fgets(line, (int)size, f)) line[strcspn(line, "\n")] = '\0';
    if (f) fclose(f);
    return rc;
}

bool bench_wait_path(const char *path, int ms)
{
    for (int waited = 0; waited < ms; waited += 50) {
        if (access(path, F_OK) == 0) return true;
        nanosleep(&(struct timespec){0, 50 * 1000000}, NULL);
    }
    return access(path, F_OK) == 0;
}

int bench_finish(pid_t pid, int fd, char *out, size_t size)
{
    size_t len = 0;
    for (;;) {
        char chunk[512];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        size_t take = (size_t)n < size - 1 - len ? (size_t)n : size - 1 - len;
        memcpy(out + len, chunk, take);
        len += take;
    }
    close(fd);
    out[len] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return bench_wait_exit(pid) == 0 ? 0 : -1;
}

int bench_run_tool(char *const argv[], char *out, size_t size)
{
    int fd;
    pid_t pid = bench_spawn(argv, &fd, NULL);
    if (pid < 0) return -1;
    return bench_finish(pid, fd, out, size);
}

int bench_read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void bench_rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

void bench_sort_i64(int64_t *v, size_t n)
{
    if (n) qsort(v, n, sizeof *v, cmp_i64);
}

int64_t bench_permille(const int64_t *v, size_t n, unsigned pm)
{
    if (!n) return 0;
    size_t rank = (n * pm + 999) / 1000;
    return v[rank ? rank - 1 : 0];
}

int bench_server_start(bench_server *s, const char *vangnetd, const char *name, char *const extra[])
{
    char ep[320];
    char *run[32] = {(char *)vangnetd, "run",  "--state",  s->state,
                     "--store-key",    s->key, "--listen", "tcp://127.0.0.1:*"};
    size_t n = 8;
    s->pid = -1;
    snprintf(s->dir, sizeof s->dir, "/tmp/vn-bench-%.32s.XXXXXX", name);
    if (!mkdtemp(s->dir)) {
        s->dir[0] = '\0';
        return -1;
    }
    snprintf(s->state, sizeof s->state, "%s/state", s->dir);
    snprintf(s->key, sizeof s->key, "%s/store.key", s->dir);
    snprintf(s->log, sizeof s->log, "%s/log", s->dir);
    snprintf(ep, sizeof ep, "%s/endpoint", s->state);
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        run[n++] = extra[i];
    run[n] = NULL;
    char *init[] = {(char *)vangnetd, "init", "--state", s->state, "--store-key", s->key, NULL};
    if (bench_run_to(init, NULL, s->log) != 0) return -1;
    if ((s->pid = bench_spawn_to(run, NULL, s->log)) < 0) return -1;
    return bench_wait_path(ep, 20000) ? 0 : -1;
}

void bench_server_stop(bench_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        bench_wait_exit(s->pid);
    }
    s->pid = -1;
    if (s->dir[0] && !s->keep) bench_rm_tree(s->dir);
    s->dir[0] = '\0';
}

int64_t bench_proc_cpu_ns(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long ut = 0, st = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (bench_read_file(path, buf, sizeof buf)) return 0;
    char *p = strrchr(buf, ')'); /* utime and stime are fields 14 and 15 */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return (int64_t)((ut + st) * (1000000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK)));
}

long bench_proc_rss_kb(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (bench_read_file(path, buf, sizeof buf)) return -1;
    char *p = strstr(buf, "VmRSS:");
    return p ? strtol(p + 6, NULL, 10) : -1;
}

long bench_proc_fds(pid_t pid)
{
    char path[64];
    long n = 0;
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* xorshift64*: cheap, and all it takes is bytes the receiver recomputes. */
static uint64_t stream_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

void bench_fill_stream(uint64_t seq, uint8_t *p, size_t len)
{
    uint64_t s = (seq + 1) * 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t v = stream_next(&s);
        for (size_t k = 0; k < 8 && i + k < len; k++)
            p[i + k] = (uint8_t)(v >> (8 * k));
    }
}
