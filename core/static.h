/*
 * core/static.h — serving files from the web root, and never anything else.
 *
 * A request path is percent-decoded and checked before any file is opened:
 * a NUL byte, a backslash, or a ".." segment is refused, so no path can climb
 * out of the root; the file found must also be a regular file whose real
 * path (symbolic links resolved) is inside the root's real path.
 *
 * Interface: static_resolve (pure), static_content_type (pure), static_open,
 *            static_load.
 */
#ifndef RTLAB_STATIC_H
#define RTLAB_STATIC_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

enum { STATIC_MAX_PATH = 1024, STATIC_MAX_FILE = 8 << 20 };

/* Turn the URL path p[0..n) into a path relative to the web root in
 * out[0..cap): percent-decoded, without the leading '/', "index.html" for a
 * path ending in '/', repeated slashes collapsed, NUL-terminated (the NUL
 * must fit in cap and is not counted). Returns the length, or -1 when the path is
 * refused (not starting with '/', bad %-escape, NUL, backslash, a "." or
 * ".." segment, or too long). Pure. */
int static_resolve(const char *p, size_t n, char *out, size_t cap);

/* The Content-Type for a file name, by its extension
 * ("text/html; charset=utf-8" for .html; application/octet-stream when unknown). */
const char *static_content_type(const char *name);

/* Open root/relative for reading, without reading it: returns the
 * descriptor (the caller closes it) and sets *size, or -1 when there is no
 * such regular file inside the root. Any size: the file is streamed. */
int static_open(const char *root, const char *relative, off_t *size);

/* Read root/relative into a new chunk (one reference, the caller's).
 * Returns NULL when there is no such regular file inside the root, it is
 * larger than STATIC_MAX_FILE, or it cannot be read. */
struct chunk *static_load(const char *root, const char *relative);

#endif
