/*
 * core/json.h — the one JSON skill the servers need: writing a string.
 *
 * Interface: json_escape.  Pure: no allocation, no globals.
 */
#ifndef RTLAB_JSON_H
#define RTLAB_JSON_H

#include <stddef.h>

/* Write the JSON string literal for p[0..n) (with its quotes) into
 * out[0..cap): '"' and '\\' escaped, control bytes as \n, \r, \t, \b, \f or
 * \u00XX; other bytes (UTF-8 included) copied as they are (RFC 8259 §7).
 * Returns the length written, or -2 when cap is too small. At most
 * 6 * n + 2 bytes are ever needed. */
long json_escape(char *out, size_t cap, const char *p, size_t n);

#endif
