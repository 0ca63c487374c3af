/*
 * sse/sse_encode.c — the event-stream encoder; the rules and the contract
 * are in sse_encode.h.
 *
 * Two passes over the same rules: sse_event_size counts, sse_encode_event
 * writes. Both walk the data line by line with next_line_break, so they
 * cannot disagree about where a line ends.
 */
#include "sse_encode.h"

#include <stdio.h>
#include <string.h>

/* ==== Lines ==== */

/* The first line break in p[0..n): sets *brk to its length (2 for CRLF, 1
 * for a lone CR or LF) and returns its offset; returns n with *brk = 0 when
 * there is none. §9.2.5: "end-of-line = ( cr lf / cr / lf )". */
static size_t next_line_break(const char *p, size_t n, size_t *brk)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            *brk = 1;
            return i;
        }
        if (p[i] == '\r') {
            *brk = (i + 1 < n && p[i + 1] == '\n') ? 2 : 1;
            return i;
        }
    }
    *brk = 0;
    return n;
}

/* 1 when p[0..n) holds a byte that would end a line (CR, LF), or NUL when
 * nul_too: the value could not stay inside its one field line. */
static int breaks_line(const char *p, size_t n, int nul_too)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\r' || p[i] == '\n' || (nul_too && p[i] == '\0')) return 1;
    return 0;
}

/* 1 when the id or event name of ev could inject fields of its own. */
static int event_refused(const struct sse_event *ev)
{
    return (ev->id && breaks_line(ev->id, ev->id_len, 1)) ||
           (ev->event && breaks_line(ev->event, ev->event_len, 1));
}

/* ==== Counting ==== */

/* Bytes of "name: value\n". */
static size_t field_size(const char *name, size_t value_len)
{
    return strlen(name) + 2 + value_len + 1;
}

long sse_event_size(const struct sse_event *ev)
{
    if (event_refused(ev)) return -1;
    size_t n = 0;
    if (ev->id) n += field_size("id", ev->id_len);
    if (ev->event) n += field_size("event", ev->event_len);
    if (ev->data) {
        const char *p = ev->data;
        size_t left = ev->data_len, brk;
        for (;;) {          /* one data: line per line, the last one too */
            size_t line = next_line_break(p, left, &brk);
            n += field_size("data", line);
            if (brk == 0) break;
            p += line + brk;
            left -= line + brk;
        }
    }
    return (long)(n + 1);   /* the empty line that dispatches the event */
}

/* ==== Writing ==== */

/* Append "name: value\n" at out[*at..cap). Returns 0, or -2 when it does not
 * fit (then *at is unchanged). */
static int put_field(char *out, size_t cap, size_t *at, const char *name,
                     const char *value, size_t value_len)
{
    size_t name_len = strlen(name);
    if (cap - *at < name_len + 2 + value_len + 1) return -2;
    char *w = out + *at;
    memcpy(w, name, name_len);
    w += name_len;
    *w++ = ':';
    *w++ = ' ';
    if (value_len) memcpy(w, value, value_len);
    w += value_len;
    *w++ = '\n';
    *at = (size_t)(w - out);
    return 0;
}

long sse_encode_event(char *out, size_t cap, const struct sse_event *ev)
{
    long need = sse_event_size(ev);
    if (need < 0) return -1;
    if ((size_t)need > cap) return -2;
    /* From here on everything fits: need was counted by the same rules. */
    size_t at = 0;
    if (ev->id) put_field(out, cap, &at, "id", ev->id, ev->id_len);
    if (ev->event) put_field(out, cap, &at, "event", ev->event, ev->event_len);
    if (ev->data) {
        const char *p = ev->data;
        size_t left = ev->data_len, brk;
        for (;;) {
            size_t line = next_line_break(p, left, &brk);
            put_field(out, cap, &at, "data", p, line);
            if (brk == 0) break;
            p += line + brk;
            left -= line + brk;
        }
    }
    out[at++] = '\n';
    return (long)at;
}

long sse_encode_retry(char *out, size_t cap, unsigned long ms)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%lu", ms);
    size_t at = 0;
    if (put_field(out, cap, &at, "retry", digits, (size_t)n) < 0) return -2;
    return (long)at;
}

long sse_encode_comment(char *out, size_t cap, const char *text, size_t len)
{
    /* §9.2.5: a line starting with a colon is a comment. NUL is harmless
     * there (the line is ignored whole); CR and LF would end it early. */
    if (breaks_line(text, len, 0)) return -1;
    if (cap < 2 + len + 1) return -2;
    out[0] = ':';
    out[1] = ' ';
    if (len) memcpy(out + 2, text, len);
    out[2 + len] = '\n';
    return (long)(3 + len);
}
