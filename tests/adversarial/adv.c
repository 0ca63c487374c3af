/*
 * tests/adversarial/adv.c — helpers of the adversarial-client tests; see
 * adv.h.
 */
#include "adv.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int failures;

int adv_slowdown(void)
{
    const char *s = getenv("RTLAB_SLOWDOWN");
    if (s && atoi(s) > 0) return atoi(s);
    return adv_sanitized() ? 4 : 1;
}

long long adv_now_ms(void)
{
    return adv_now_us() / 1000;
}

long long adv_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

long adv_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

long adv_cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields 14 and 15 (utime, stime) in clock ticks; the name (field 2)
     * may hold spaces, so count from its closing parenthesis. */
    const char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long utime, stime;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (long)((utime + stime) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

long adv_fd_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

void adv_raise_fd_limit(long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t target = (rlim_t)want;
    if (target > rl.rlim_max) target = rl.rlim_max;
    if (rl.rlim_cur < target) {
        rl.rlim_cur = target;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int adv_connect(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

void adv_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void adv_close_reset(int fd)
{
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

int adv_have_server(const char *name, int *must_fail)
{
    const char *bin = getenv("RTLAB_BIN");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", bin && *bin ? bin : "bin", name);
    if (access(path, X_OK) == 0) return 1;
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0) {
        adv_fail("%s is missing, and CI=true allows no skip", path);
        *must_fail = 1;
    } else {
        printf("SKIP %s: %s is not built (under CI=true this is a failure)\n", name, path);
    }
    return 0;
}

int adv_sanitized(void)
{
    const char *bin = getenv("RTLAB_BIN");
    size_t n = bin ? strlen(bin) : 0;
    while (n > 0 && bin[n - 1] == '/') n--;
    return n >= 3 && strncmp(bin + n - 3, "san", 3) == 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double adv_percentile(double *v, size_t n, double p)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

void adv_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL: ");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    failures++;
}

int adv_failures(void)
{
    return failures;
}

int adv_exit(int missing)
{
    if (failures) return 1;
    return missing ? 77 : 0;
}

int adv_ws_handshake(int fd, const char *target)
{
    char req[512], head[2048];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     target);
    if (send_all(fd, req, (size_t)n) < 0) return -1;
    /* Read byte by byte up to the end of the head, so no frame is swallowed. */
    size_t len = 0;
    long long deadline = adv_now_ms() + 5000;
    while (len < sizeof head - 1 && adv_now_ms() < deadline) {
        ssize_t r = recv(fd, head + len, 1, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) { usleep(1000); continue; }
        if (r <= 0) return -1;
        len++;
        if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0) break;
    }
    head[len] = '\0';
    return strncmp(head, "HTTP/1.1 101", 12) == 0 ? 0 : -1;
}

int adv_sse_open(int fd, const char *target, const char *extra)
{
    char req[512], head[2048];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nAccept: text/event-stream\r\n%s\r\n",
                     target, extra ? extra : "");
    if (send_all(fd, req, (size_t)n) < 0) return -1;
    size_t len = 0;
    long long deadline = adv_now_ms() + 5000;
    while (len < sizeof head - 1 && adv_now_ms() < deadline) {
        ssize_t r = recv(fd, head + len, 1, 0);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) { usleep(1000); continue; }
        if (r <= 0) return -1;
        len++;
        if (len >= 4 && memcmp(head + len - 4, "\r\n\r\n", 4) == 0) break;
    }
    head[len] = '\0';
    return strncmp(head, "HTTP/1.1 200", 12) == 0 ? 0 : -1;
}
