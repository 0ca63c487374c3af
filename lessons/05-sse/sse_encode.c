/*
 * lessons/05-sse/sse_encode.c — YOUR copy of sse/sse_encode.c, the
 * event-stream encoder bin/sse writes its one long response with (WHATWG
 * HTML §9.2.5 and §9.2.6). The contract, and every rule and why, is in
 * sse/sse_encode.h: read it first.
 *
 * All four functions are yours (look for TODO(student)); add any static
 * helpers you like. Pure: no allocation, no sockets, no globals.
 *
 *   make lesson N=05             what works, what does not, in plain words
 *   make lesson N=05 SERVER=1    bin/sse with your encoder in it
 */
#include "sse_encode.h"

#include <stdio.h>
#include <string.h>

/* ==== Lines ==== */

/* ==== Counting ==== */

long sse_event_size(const struct sse_event *ev)
{
    /* TODO(student): the exact number of bytes sse_encode_event will write
     * for ev, or -1 when ev must be refused (an id or event name holding
     * CR, LF or NUL). Count "id: " + id + "\n" when there is an id, the
     * same for "event: ", one "data: " + line + "\n" per line of data (CR
     * LF, a lone LF and a lone CR each end a line), and the final empty
     * line. Tip: write one helper that finds the next line break, and use
     * it here and in sse_encode_event, so the two cannot disagree. */
    (void)ev;
    return -1;
}

/* ==== Writing ==== */

long sse_encode_event(char *out, size_t cap, const struct sse_event *ev)
{
    /* TODO(student): write ev as one event block into out[0..cap):
     *     id: 42\n            (when ev->id)
     *     event: gap\n        (when ev->event)
     *     data: line one\n     (one per line of data, when ev->data;
     *     data: line two\n      empty data is one "data: " line)
     *     \n                   (the empty line: the browser dispatches)
     * Refuse (-1) before looking at cap; -2 when cap is too small. */
    (void)out;
    (void)cap;
    (void)ev;
    return -1;
}

long sse_encode_retry(char *out, size_t cap, unsigned long ms)
{
    /* TODO(student): "retry: MS\n" (the browser waits MS milliseconds
     * before it reconnects). Bytes written, or -2 when cap is too small. */
    (void)out;
    (void)cap;
    (void)ms;
    return -2;
}

long sse_encode_comment(char *out, size_t cap, const char *text, size_t len)
{
    /* TODO(student): ": text\n", a comment the browser ignores (the
     * keep-alive). -1 when text holds CR or LF (it would end the line early
     * and the rest would be read as fields); -2 when cap is too small. */
    (void)out;
    (void)cap;
    (void)text;
    (void)len;
    return -1;
}
