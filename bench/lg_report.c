/*
 * bench/lg_report.c — what loadgen prints at the end of a run.
 *
 * Every figure is computed once into a `struct report`; one table,
 * `columns`, then says for each figure its JSON name (and the JSON object
 * it sits in), its CSV column name and how it is printed. The JSON line
 * (-o, stdout) and the CSV row (-C) are both written from that table, so
 * they cannot drift apart, and the CSV's header names every column: the
 * chart scripts and tests read columns by name (bench/README.md lists them).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "loadgen.h"

/* ==== The figures ==== */

struct report {
    const char *technique, *dialect, *payload_kind, *label, *url, *server_cpus_s, *loadgen_cpus_s, *warnings, *cpu_model;
    char server_cpus[64], loadgen_cpus[64], model[128];
    double clients, subscribed, rate, duration, payload, poll_interval_ms;
    double events_planned, events_sent, events_acked, publish_errors;
    double expected, deliveries, unique, lost, duplicates, gaps, foreign;
    double lat_min, lat_mean, lat_p50, lat_p90, lat_p99, lat_p999, lat_max;
    double server_deliveries;
    double conn_mean, conn_p50, conn_p99, conn_max, sub_mean, sub_p50, sub_p99, sub_max;
    double connect_errors, connect_timeouts, connect_failures, disconnects, reconnects;
    double bytes_in, bytes_out, pub_bytes_in, pub_bytes_out;
    double requests, empty_polls, http_errors, requests_per_s, bytes_per_delivery, requests_per_delivery;
    double deflate, deflate_agreed, deflate_declined, ws_messages, ws_compressed, ws_frame_bytes;
    double ws_message_bytes, ws_bad_frames, frame_bytes_per_message, message_bytes_per_message;
    double server_pid, cpu_connect_us, cpu_run_us, wait_run_us, cpu_per_delivery, deliveries_per_cpu_s;
    double user_run_ms, sys_run_ms;
    double rss_before_kb, rss_subscribed_kb, rss_after_kb, mem_per_conn;
    double loadavg_before, loadavg_after, cpu_mhz, machine_cpus;
    double steal_us, irq_us, other_us, loadgen_run_us, other_share, steal_share, noise_limit;
    double loadgen_cpu_s, loadgen_busy, wall_s;
    double ok, noisy;
};

static double per(double a, double b) { return b > 0 ? a / b : 0; }
static double us(uint64_t ns) { return (double)ns / 1000.0; }
static double hist_us(const struct histogram *h, double p) { return h->count ? us(hist_percentile(h, p)) : 0; }
static double hist_max_us(const struct histogram *h) { return h->count ? us(h->max) : 0; }

/* CPU seconds (user + system) this process used between two getrusage calls. */
static double cpu_between(const struct rusage *a, const struct rusage *b)
{
    return (double)(b->ru_utime.tv_sec - a->ru_utime.tv_sec + b->ru_stime.tv_sec - a->ru_stime.tv_sec)
           + (double)(b->ru_utime.tv_usec - a->ru_utime.tv_usec + b->ru_stime.tv_usec - a->ru_stime.tv_usec) / 1e6;
}

/* How busy loadgen was from the start of publishing to the end: near 1.0
 * means it may have been the bottleneck. */
static double loadgen_busy(const struct loadgen *lg)
{
    return per(cpu_between(&lg->ru_publish, &lg->ru_end), (double)(lg->end_ns - lg->publish_start_ns) / 1e9);
}

/* What the machine did from "all subscribed" to the end of the drain,
 * beside the server and loadgen: /proc/stat's ticks turned into µs. */
static void machine_figures(const struct loadgen *lg, struct report *r)
{
    const struct machine_sample *a = &lg->machine_subscribed, *b = &lg->machine_after;
    r->steal_us = r->irq_us = r->other_us = r->loadgen_run_us = r->other_share = r->steal_share = -1;
    if (!a->ok || !b->ok)
        return;
    long hz = sysconf(_SC_CLK_TCK);
    double tick_us = 1e6 / (double)(hz > 0 ? hz : 100);
    double window_us = (double)(lg->end_ns - lg->publish_start_ns) / 1000.0;
    r->steal_us = (double)(b->steal - a->steal) * tick_us;
    r->irq_us = (double)(b->irq - a->irq) * tick_us;
    r->loadgen_run_us = (double)(b->self_cpu_ns - a->self_cpu_ns) / 1000.0;
    double busy_us = (double)(b->busy - a->busy) * tick_us;
    double other = busy_us - r->loadgen_run_us - (r->cpu_run_us > 0 ? r->cpu_run_us : 0);
    /* Ticks are 10 ms coarse: a small negative remainder is rounding. */
    r->other_us = other > 0 ? other : 0;
    r->other_share = per(r->other_us, window_us);
    r->steal_share = per(r->steal_us, window_us);
}

static void compute(struct loadgen *lg, struct report *r)
{
    const struct options *o = &lg->opt;
    memset(r, 0, sizeof *r);
    r->technique = lg_technique_name(o->technique);
    r->dialect = lg_dialect_name(o->dialect);
    r->payload_kind = o->json ? "json" : "filler";
    r->label = o->label ? o->label : "";
    r->url = o->url;
    r->warnings = lg->warnings;
    r->clients = o->clients;
    r->subscribed = lg->subscribed_at_start;
    r->rate = o->rate;
    r->duration = o->duration;
    r->payload = o->payload;
    r->poll_interval_ms = o->technique == T_POLLING ? o->poll_ms : 0;
    r->events_planned = (double)lg->events_planned;
    r->events_sent = (double)lg->sent;
    r->events_acked = (double)lg->acked;
    r->publish_errors = (double)lg->publish_errors;
    uint64_t expected = lg->events_total * (uint64_t)lg->subscribed_at_start;
    r->expected = (double)expected;
    r->deliveries = (double)lg->deliveries;
    r->unique = (double)lg->unique;
    r->lost = (double)(expected > lg->unique ? expected - lg->unique : 0);
    r->duplicates = (double)lg->duplicates;
    r->gaps = (double)lg->gaps;
    r->foreign = (double)lg->foreign;

    const struct histogram *h = &lg->latency;
    r->lat_min = h->count ? us(h->min) : 0;
    r->lat_mean = hist_mean(h) / 1000.0;
    r->lat_p50 = hist_us(h, 50);
    r->lat_p90 = hist_us(h, 90);
    r->lat_p99 = hist_us(h, 99);
    r->lat_p999 = hist_us(h, 99.9);
    r->lat_max = hist_max_us(h);
    r->server_deliveries = (double)lg_pub_server_deliveries(lg);
    r->conn_mean = hist_mean(&lg->connect_cost) / 1000.0;
    r->conn_p50 = hist_us(&lg->connect_cost, 50);
    r->conn_p99 = hist_us(&lg->connect_cost, 99);
    r->conn_max = hist_max_us(&lg->connect_cost);
    r->sub_mean = hist_mean(&lg->subscribe_cost) / 1000.0;
    r->sub_p50 = hist_us(&lg->subscribe_cost, 50);
    r->sub_p99 = hist_us(&lg->subscribe_cost, 99);
    r->sub_max = hist_max_us(&lg->subscribe_cost);

    r->connect_errors = (double)lg->connect_errors;
    r->connect_timeouts = (double)lg->connect_timeouts;
    r->connect_failures = (double)(lg->connect_errors + lg->connect_timeouts);
    r->disconnects = (double)lg->disconnects;
    r->reconnects = (double)lg->reconnects;
    r->bytes_in = (double)lg->bytes_in;
    r->bytes_out = (double)lg->bytes_out;
    r->pub_bytes_in = (double)lg->pub_bytes_in;
    r->pub_bytes_out = (double)lg->pub_bytes_out;
    r->requests = (double)lg->requests;
    r->empty_polls = (double)lg->empty_polls;
    r->http_errors = (double)lg->http_errors;
    double window_s = (double)(lg->end_ns - lg->publish_start_ns) / 1e9;
    r->requests_per_s = per((double)(lg->requests - lg->requests_at_publish), window_s);
    r->bytes_per_delivery = per((double)(lg->bytes_in + lg->bytes_out), (double)lg->unique);
    r->requests_per_delivery = per((double)lg->requests, (double)lg->unique);
    r->deflate = o->deflate;
    r->deflate_agreed = (double)lg->deflate_agreed;
    r->deflate_declined = (double)lg->deflate_declined;
    r->ws_messages = (double)lg->ws_messages;
    r->ws_compressed = (double)lg->ws_compressed;
    r->ws_frame_bytes = (double)lg->ws_frame_bytes;
    r->ws_message_bytes = (double)lg->ws_message_bytes;
    r->ws_bad_frames = (double)lg->ws_bad_frames;
    r->frame_bytes_per_message = per((double)lg->ws_frame_bytes, (double)lg->ws_messages);
    r->message_bytes_per_message = per((double)lg->ws_message_bytes, (double)lg->ws_messages);

    r->server_pid = o->server_pid;
    lg_proc_cpus(0, r->loadgen_cpus, sizeof r->loadgen_cpus);
    lg_proc_cpus(o->server_pid, r->server_cpus, sizeof r->server_cpus);
    if (o->server_pid <= 0)
        snprintf(r->server_cpus, sizeof r->server_cpus, "?");
    r->server_cpus_s = r->server_cpus;
    r->loadgen_cpus_s = r->loadgen_cpus;
    const struct proc_sample *before = &lg->before, *sub = &lg->subscribed, *after = &lg->after;
    r->cpu_run_us = after->ok && sub->ok ? (double)(after->cpu_ns - sub->cpu_ns) / 1000.0 : -1;
    r->cpu_connect_us = sub->ok && before->ok ? (double)(sub->cpu_ns - before->cpu_ns) / 1000.0 : -1;
    r->wait_run_us = after->ok && sub->ok ? (double)(after->wait_ns - sub->wait_ns) / 1000.0 : -1;
    /* The same window split into user space and kernel (/proc/PID/stat's
     * utime and stime: clock ticks, 10 ms coarse). */
    long hz = sysconf(_SC_CLK_TCK);
    double tick_ms = 1000.0 / (double)(hz > 0 ? hz : 100);
    r->user_run_ms = after->ok && sub->ok ? (double)(after->utime_ticks - sub->utime_ticks) * tick_ms : -1;
    r->sys_run_ms = after->ok && sub->ok ? (double)(after->stime_ticks - sub->stime_ticks) * tick_ms : -1;
    r->cpu_per_delivery = r->cpu_run_us >= 0 ? per(r->cpu_run_us, (double)lg->unique) : -1;
    r->deliveries_per_cpu_s = r->cpu_run_us > 0 ? (double)lg->unique / (r->cpu_run_us / 1e6) : -1;
    r->rss_before_kb = (double)(before->rss_bytes / 1024);
    r->rss_subscribed_kb = (double)(sub->rss_bytes / 1024);
    r->rss_after_kb = (double)(after->rss_bytes / 1024);
    r->mem_per_conn = sub->ok && lg->subscribed_at_start > 0
        ? ((double)sub->rss_bytes - (double)before->rss_bytes) / lg->subscribed_at_start : -1;

    r->loadavg_before = lg->loadavg_before;
    r->loadavg_after = lg_load_average();
    lg_machine_describe(r->model, sizeof r->model, &r->cpu_mhz);
    r->cpu_model = r->model;
    r->machine_cpus = (double)sysconf(_SC_NPROCESSORS_ONLN);
    machine_figures(lg, r);
    r->noise_limit = o->noise_limit;
    r->noisy = lg_report_noisy(lg);
    r->loadgen_cpu_s = cpu_between(&lg->ru_start, &lg->ru_end);
    r->loadgen_busy = loadgen_busy(lg);
    r->wall_s = (double)(lg->end_ns - lg->run_start_ns) / 1e9;
    r->ok = r->lost == 0 && lg->subscribed_at_start == o->clients && lg->duplicates == 0
            && lg->sent == lg->events_planned;
}

/* ==== The table of columns ==== */

enum kind { K_STR, K_NUM, K_BOOL };

struct column {
    const char *group;         /* the JSON object it sits in, or NULL (top level) */
    const char *json;          /* its JSON name, or NULL: CSV only */
    const char *csv;           /* its CSV column, or NULL: JSON only */
    enum kind kind;
    int decimals;              /* K_NUM: digits after the point; -1 prints %g */
    size_t at;                 /* offsetof(struct report, ...) */
};

#define STR(json, csv, field)          { NULL, json, csv, K_STR, 0, offsetof(struct report, field) }
#define NUM(json, csv, dec, field)     { NULL, json, csv, K_NUM, dec, offsetof(struct report, field) }
#define SUB(group, json, csv, field)   { group, json, csv, K_NUM, 1, offsetof(struct report, field) }
#define BOOL(json, csv, field)         { NULL, json, csv, K_BOOL, 0, offsetof(struct report, field) }

/* In JSON order; bench/README.md explains every one. */
static const struct column columns[] = {
    STR("technique", "technique", technique),
    STR("dialect", "dialect", dialect),
    STR("label", "label", label),
    STR("url", NULL, url),
    NUM("clients", "clients", 0, clients),
    NUM("subscribed", "subscribed", 0, subscribed),
    NUM("rate", "rate", -1, rate),
    NUM("duration_s", "duration_s", -1, duration),
    NUM("payload_bytes", "payload_bytes", 0, payload),
    STR("payload_kind", "payload_kind", payload_kind),
    NUM("poll_interval_ms", "poll_interval_ms", 0, poll_interval_ms),
    NUM("events_planned", "events_planned", 0, events_planned),
    NUM("events_sent", "events_sent", 0, events_sent),
    NUM("events_acked", "events_acked", 0, events_acked),
    NUM("publish_errors", "publish_errors", 0, publish_errors),
    NUM("expected_deliveries", "expected_deliveries", 0, expected),
    NUM("deliveries", "deliveries", 0, deliveries),
    NUM("unique_deliveries", "unique_deliveries", 0, unique),
    NUM("lost", "lost", 0, lost),
    NUM("duplicates", "duplicates", 0, duplicates),
    NUM("gaps", "gaps", 0, gaps),
    NUM("foreign", "foreign", 0, foreign),
    SUB("latency_us", "min", "lat_min_us", lat_min),
    SUB("latency_us", "mean", "lat_mean_us", lat_mean),
    SUB("latency_us", "p50", "lat_p50_us", lat_p50),
    SUB("latency_us", "p90", "lat_p90_us", lat_p90),
    SUB("latency_us", "p99", "lat_p99_us", lat_p99),
    SUB("latency_us", "p999", "lat_p999_us", lat_p999),
    SUB("latency_us", "max", "lat_max_us", lat_max),
    NUM("server_deliveries", "server_deliveries", 0, server_deliveries),
    SUB("connect_us", "mean", "connect_mean_us", conn_mean),
    SUB("connect_us", "p50", "connect_p50_us", conn_p50),
    SUB("connect_us", "p99", "connect_p99_us", conn_p99),
    SUB("connect_us", "max", "connect_max_us", conn_max),
    SUB("subscribe_us", "mean", "subscribe_mean_us", sub_mean),
    SUB("subscribe_us", "p50", "subscribe_p50_us", sub_p50),
    SUB("subscribe_us", "p99", "subscribe_p99_us", sub_p99),
    SUB("subscribe_us", "max", "subscribe_max_us", sub_max),
    NUM("connect_errors", NULL, 0, connect_errors),
    NUM("connect_timeouts", "connect_timeouts", 0, connect_timeouts),
    NUM(NULL, "connect_errors", 0, connect_failures),      /* CSV: errors + timeouts */
    NUM("disconnects", "disconnects", 0, disconnects),
    NUM("reconnects", "reconnects", 0, reconnects),
    NUM("bytes_in", "bytes_in", 0, bytes_in),
    NUM("bytes_out", "bytes_out", 0, bytes_out),
    NUM("publisher_bytes_in", "publisher_bytes_in", 0, pub_bytes_in),
    NUM("publisher_bytes_out", "publisher_bytes_out", 0, pub_bytes_out),
    NUM("requests", "requests", 0, requests),
    NUM("empty_polls", "empty_polls", 0, empty_polls),
    NUM("http_errors", "http_errors", 0, http_errors),
    NUM("requests_per_s", "requests_per_s", 1, requests_per_s),
    NUM("bytes_per_delivery", "bytes_per_delivery", 1, bytes_per_delivery),
    NUM("requests_per_delivery", "requests_per_delivery", 4, requests_per_delivery),
    /* WebSocket messages, and permessage-deflate (-z) */
    BOOL("deflate", "deflate", deflate),
    NUM("deflate_agreed", "deflate_agreed", 0, deflate_agreed),
    NUM("deflate_declined", "deflate_declined", 0, deflate_declined),
    NUM("ws_messages", "ws_messages", 0, ws_messages),
    NUM("ws_compressed", "ws_compressed", 0, ws_compressed),
    NUM("ws_frame_bytes", "ws_frame_bytes", 0, ws_frame_bytes),
    NUM("ws_message_bytes", "ws_message_bytes", 0, ws_message_bytes),
    NUM("ws_bad_frames", "ws_bad_frames", 0, ws_bad_frames),
    NUM("frame_bytes_per_message", "frame_bytes_per_message", 1, frame_bytes_per_message),
    NUM("message_bytes_per_message", "message_bytes_per_message", 1, message_bytes_per_message),
    NUM("server_pid", "server_pid", 0, server_pid),
    STR("server_cpus", NULL, server_cpus_s),
    STR("loadgen_cpus", NULL, loadgen_cpus_s),
    NUM("server_cpu_us_connect", "server_cpu_us_connect", 0, cpu_connect_us),
    NUM("server_cpu_us_run", "server_cpu_us_run", 0, cpu_run_us),
    NUM("server_wait_us_run", "server_wait_us_run", 0, wait_run_us),
    NUM("server_user_ms_run", "server_user_ms_run", 0, user_run_ms),
    NUM("server_sys_ms_run", "server_sys_ms_run", 0, sys_run_ms),
    NUM("server_cpu_us_per_delivery", "server_cpu_us_per_delivery", 3, cpu_per_delivery),
    NUM("deliveries_per_server_cpu_s", "deliveries_per_server_cpu_s", 0, deliveries_per_cpu_s),
    NUM("server_rss_before_kb", "server_rss_before_kb", 0, rss_before_kb),
    NUM("server_rss_subscribed_kb", "server_rss_subscribed_kb", 0, rss_subscribed_kb),
    NUM("server_rss_after_kb", "server_rss_after_kb", 0, rss_after_kb),
    NUM("server_mem_per_conn_bytes", "server_mem_per_conn_bytes", 0, mem_per_conn),
    /* The machine's state: noise made visible. */
    NUM("loadavg_1m_before", "loadavg_1m_before", 2, loadavg_before),
    NUM("loadavg_1m", "loadavg_1m", 2, loadavg_after),
    STR("cpu_model", "cpu_model", cpu_model),
    NUM("cpu_mhz", "cpu_mhz", 0, cpu_mhz),
    NUM("machine_cpus", "machine_cpus", 0, machine_cpus),
    NUM("steal_us_run", "steal_us_run", 0, steal_us),
    NUM("irq_cpu_us_run", "irq_cpu_us_run", 0, irq_us),
    NUM("loadgen_cpu_us_run", "loadgen_cpu_us_run", 0, loadgen_run_us),
    NUM("other_cpu_us_run", "other_cpu_us_run", 0, other_us),
    NUM("other_cpu_share", "other_cpu_share", 3, other_share),
    NUM("steal_share", "steal_share", 3, steal_share),
    NUM("noise_limit", "noise_limit", 2, noise_limit),
    BOOL("noisy", "noisy", noisy),
    NUM("loadgen_cpu_s", "loadgen_cpu_s", 3, loadgen_cpu_s),
    NUM("loadgen_busy", "loadgen_busy", 3, loadgen_busy),
    NUM("wall_s", "wall_s", 3, wall_s),
    BOOL("ok", "ok", ok),
    STR("warnings", NULL, warnings),
};

enum { N_COLUMNS = sizeof columns / sizeof columns[0] };

/* ==== Writers ==== */

static const char *str_at(const struct report *r, const struct column *c)
{
    return *(const char *const *)((const char *)r + c->at);
}

static double num_at(const struct report *r, const struct column *c)
{
    return *(const double *)((const char *)r + c->at);
}

/* One value as text: strings with quotes and backslashes (and, for the CSV,
 * commas) made harmless, numbers as the column says. */
static void put_value(FILE *f, const struct report *r, const struct column *c, int json)
{
    if (c->kind == K_STR) {
        if (json)
            fputc('"', f);
        for (const char *s = str_at(r, c); *s; s++)
            fputc(*s == '"' || *s == '\\' || (!json && *s == ',') ? '\'' : *s, f);
        if (json)
            fputc('"', f);
    } else if (c->kind == K_BOOL) {
        fputs(num_at(r, c) != 0 ? "true" : "false", f);
    } else if (c->decimals < 0) {
        fprintf(f, "%g", num_at(r, c));
    } else {
        fprintf(f, "%.*f", c->decimals, num_at(r, c));
    }
}

/* {"technique":"sse",...,"latency_us":{"min":..,...},...}: the table's
 * JSON rows in order; consecutive rows of one group make one object. */
static void print_json(FILE *f, const struct report *r)
{
    const char *group = NULL;          /* the object open now, or NULL */
    int comma = 0;
    fputc('{', f);
    for (int i = 0; i < N_COLUMNS; i++) {
        const struct column *c = &columns[i];
        if (!c->json)
            continue;
        if (group && !(c->group && strcmp(group, c->group) == 0)) {
            fputc('}', f);
            group = NULL;
        }
        if (c->group && !group) {
            fprintf(f, "%s\"%s\":{", comma ? "," : "", c->group);
            group = c->group;
            comma = 0;
        }
        fprintf(f, "%s\"%s\":", comma ? "," : "", c->json);
        put_value(f, r, c, 1);
        comma = 1;
    }
    if (group)
        fputc('}', f);
    fputs("}\n", f);
}

static void print_csv(FILE *f, const struct report *r, int header)
{
    const char *sep = "";
    if (header) {
        for (int i = 0; i < N_COLUMNS; i++)
            if (columns[i].csv) {
                fprintf(f, "%s%s", sep, columns[i].csv);
                sep = ",";
            }
        fputc('\n', f);
    }
    sep = "";
    for (int i = 0; i < N_COLUMNS; i++)
        if (columns[i].csv) {
            fputs(sep, f);
            put_value(f, r, &columns[i], 0);
            sep = ",";
        }
    fputc('\n', f);
}

/* The latency distribution: "percentile latency_us" lines, for the
 * percentile-spectrum chart (x = 1/(1 - p)). */
static void print_distribution(FILE *f, const struct loadgen *lg)
{
    static const double ps[] = { 0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98,
                                 99, 99.5, 99.75, 99.9, 99.95, 99.99, 99.999, 100 };
    fprintf(f, "# %s clients=%d rate=%g: percentile latency_us\n", lg_technique_name(lg->opt.technique),
            lg->opt.clients, lg->opt.rate);
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        fprintf(f, "%g %.1f\n", ps[i], us(hist_percentile(&lg->latency, ps[i])));
}

/* ==== Verdicts ==== */

/* The shares of a CPU that other programs and the hypervisor took during
 * the run (-1 when /proc/stat could not be read). */
static void noise_shares(const struct loadgen *lg, double *other, double *steal)
{
    struct report r;
    memset(&r, 0, sizeof r);
    const struct proc_sample *sub = &lg->subscribed, *after = &lg->after;
    r.cpu_run_us = after->ok && sub->ok ? (double)(after->cpu_ns - sub->cpu_ns) / 1000.0 : -1;
    machine_figures(lg, &r);
    *other = r.other_share;
    *steal = r.steal_share;
}

int lg_report_noisy(const struct loadgen *lg)
{
    double other, steal;
    noise_shares(lg, &other, &steal);
    return other >= 0 && other + steal >= lg->opt.noise_limit;
}

void lg_report_warnings(struct loadgen *lg)
{
    if (lg->connect_errors)
        lg_warn(lg, "%" PRIu64 " clients could not subscribe (last error: %s)", lg->connect_errors,
                lg->last_errno ? strerror(lg->last_errno) : "closed by the server");
    uint64_t expected = lg->events_total * (uint64_t)lg->subscribed_at_start;
    if (lg->unique < expected)
        lg_warn(lg, "LOST %" PRIu64 " of %" PRIu64 " deliveries", expected - lg->unique, expected);
    if (lg->duplicates)
        lg_warn(lg, "%" PRIu64 " DUPLICATE deliveries", lg->duplicates);
    if (lg->sent < lg->events_planned)
        lg_warn(lg, "only %" PRIu64 " of %" PRIu64 " events could be published", lg->sent, lg->events_planned);
    long long server = lg_pub_server_deliveries(lg);
    if (server >= 0 && (uint64_t)server != lg->deliveries)
        lg_warn(lg, "the server counted %lld deliveries, loadgen received %" PRIu64, server, lg->deliveries);
    if (lg->acked < lg->sent)
        lg_warn(lg, "the server answered only %" PRIu64 " of %" PRIu64 " publishes", lg->acked, lg->sent);
    if (lg->deflate_declined)
        lg_warn(lg, "-z: %" PRIu64 " upgrades did not agree to permessage-deflate (%" PRIu64 " did; a server "
                "that keeps its context is refused)", lg->deflate_declined, lg->deflate_agreed);
    if (lg->ws_bad_frames)
        lg_warn(lg, "%" PRIu64 " WebSocket frames could not be read (RSV1 not agreed, or data that does not "
                "inflate): their connections were dropped", lg->ws_bad_frames);
    double busy = loadgen_busy(lg);
    if (busy > 0.9)
        lg_warn(lg, "loadgen was %.0f%% busy while publishing: it may be the bottleneck, not the server",
                busy * 100);
    if (lg_report_noisy(lg)) {
        double other, steal;
        noise_shares(lg, &other, &steal);
        lg_warn(lg, "NOISY: other programs took %.0f%% of a CPU and the hypervisor %.0f%% during the run "
                "(limit %.0f%%): its figures measure the machine as much as the server",
                other * 100, steal * 100, lg->opt.noise_limit * 100);
    }
}

/* Append to a file; say so when it cannot be opened. */
static FILE *open_append(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f)
        fprintf(stderr, "loadgen: cannot write %s\n", path);
    return f;
}

void lg_report_write(struct loadgen *lg)
{
    struct report r;
    compute(lg, &r);
    print_json(stdout, &r);
    fflush(stdout);
    FILE *f;
    if (lg->opt.out_path && (f = open_append(lg->opt.out_path))) {
        print_json(f, &r);
        fclose(f);
    }
    if (lg->opt.csv_path && (f = open_append(lg->opt.csv_path))) {
        print_csv(f, &r, ftell(f) == 0);
        fclose(f);
    }
    if (lg->opt.dist_path && (f = fopen(lg->opt.dist_path, "w"))) {
        print_distribution(f, lg);
        fclose(f);
    }
}
