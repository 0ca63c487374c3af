/*
 * bench/lg_proc.c — what /proc says about the server, loadgen and the
 * machine: the server's CPU time, scheduler wait and resident memory; the
 * CPUs a process may use; the machine's CPU time by kind (to see what other
 * programs and the hypervisor took during a run), its load average and its
 * CPU model. Linux only, like the rest of the bench; every reader returns
 * zeros (ok = 0) when a file is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loadgen.h"

/* ==== A process ==== */

struct proc_sample lg_proc_read(pid_t pid)
{
    struct proc_sample s = { 0 };
    if (pid <= 0)
        return s;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return s;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Fields after the command name, which ends at the last ')': state is
     * field 3, utime 14 and stime 15 (proc(5)). */
    char *p = strrchr(buf, ')');
    if (!p)
        return s;
    unsigned long long ut = 0, st = 0;
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return s;
    s.utime_ticks = ut;
    s.stime_ticks = st;
    long hz = sysconf(_SC_CLK_TCK);
    s.cpu_ns = (ut + st) * (1000000000ULL / (uint64_t)(hz > 0 ? hz : 100));
    /* schedstat's first field is the time on CPU in ns: far finer than ticks. */
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    if ((f = fopen(path, "r"))) {
        unsigned long long ns, wait;
        if (fscanf(f, "%llu %llu", &ns, &wait) == 2) {
            s.cpu_ns = ns;
            s.wait_ns = wait;
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    if ((f = fopen(path, "r"))) {
        unsigned long long size, resident;
        if (fscanf(f, "%llu %llu", &size, &resident) == 2)
            s.rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    s.ok = 1;
    return s;
}

void lg_proc_cpus(pid_t pid, char *out, size_t cap)
{
    snprintf(out, cap, "?");
    char path[64], line[256];
    if (pid > 0)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
            char *v = line + 18;
            while (*v == ' ' || *v == '\t')
                v++;
            v[strcspn(v, "\n")] = 0;
            snprintf(out, cap, "%.63s", v);
        }
    }
    fclose(f);
}

unsigned long lg_proc_fd_limit(pid_t pid)
{
    char path[64], line[256];
    unsigned long soft = 0;
    snprintf(path, sizeof path, "/proc/%d/limits", (int)pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Max open files", 14) == 0)
            soft = strtoul(line + 14, NULL, 10);
    fclose(f);
    return soft;
}

/* ==== The machine ==== */

/* /proc/stat's first line, "cpu user nice system idle iowait irq softirq
 * steal guest guest_nice", summed over all CPUs, in USER_HZ ticks; and
 * loadgen's own CPU time, read at the same moment. */
struct machine_sample lg_machine_read(void)
{
    struct machine_sample m = { 0 };
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return m;
    unsigned long long v[8] = { 0 };
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
                     &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (got < 7)
        return m;
    m.busy = v[0] + v[1] + v[2];
    m.irq = v[5] + v[6];
    m.steal = got >= 8 ? v[7] : 0;
    m.total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + m.steal;
    m.self_cpu_ns = lg_proc_read(getpid()).cpu_ns;
    m.ok = 1;
    return m;
}

double lg_load_average(void)
{
    double load = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &load) != 1)
            load = 0;
        fclose(f);
    }
    return load;
}

void lg_machine_describe(char *model, size_t cap, double *mhz)
{
    char line[512];
    snprintf(model, cap, "?");
    *mhz = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    int have_model = 0, have_mhz = 0;
    while (fgets(line, sizeof line, f) && !(have_model && have_mhz)) {
        char *v = strchr(line, ':');
        if (!v)
            continue;
        v++;
        while (*v == ' ')
            v++;
        v[strcspn(v, "\n")] = 0;
        if (!have_model && strncmp(line, "model name", 10) == 0) {
            /* Quotes and commas would break the JSON and the CSV. */
            snprintf(model, cap, "%s", v);
            for (char *c = model; *c; c++)
                if (*c == '"' || *c == ',' || *c == '\\')
                    *c = ' ';
            have_model = 1;
        } else if (!have_mhz && strncmp(line, "cpu MHz", 7) == 0) {
            *mhz = atof(v);
            have_mhz = 1;
        }
    }
    fclose(f);
}
