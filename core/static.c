/*
 * core/static.c — files from the web root, and nothing outside it; see
 * static.h.
 *
 * Two walls, so that one mistake is not enough to leak /etc/passwd:
 *   1. static_resolve refuses, after percent-decoding (RFC 3986 §2.1), any
 *      path with a "." or ".." segment, a NUL or a backslash, so the name
 *      handed to the file system cannot climb (a browser removes such
 *      segments itself, RFC 3986 §5.2.4, but `curl --path-as-is` or a
 *      hand-made request does not: the server must never trust that);
 *   2. static_open resolves symbolic links with realpath and checks that the
 *      file really is inside the root's real path before opening it.
 *
 * A file is opened, never read here: the server streams it to the socket
 * from the descriptor (sendfile) as the socket drains, so a connection holds
 * no file bytes whatever the file's size, and HEAD reads nothing at all.
 * static_load (read a whole small file) is what the unit tests use.
 */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ==== Resolving a URL path (pure) ==== */

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The byte at p[*i], percent-decoded (RFC 3986 §2.1); *i moves past it.
 * Returns -1 for a bad escape, and for a NUL or a backslash, raw or
 * encoded: a NUL would cut the C path short, and '\\' is a separator on
 * other systems, so neither has any business in a name we open. */
static int next_byte(const char *p, size_t n, size_t *i)
{
    unsigned char c = (unsigned char)p[(*i)++];
    if (c == '%') {
        if (n - *i < 2) return -1;
        int hi = hex_value((unsigned char)p[*i]), lo = hex_value((unsigned char)p[*i + 1]);
        if (hi < 0 || lo < 0) return -1;
        c = (unsigned char)(hi * 16 + lo);
        *i += 2;
    }
    return (c == '\0' || c == '\\') ? -1 : c;
}

/* 1 when the segment s[0..n) is "." or "..": the ones that climb. */
static int is_dot_segment(const char *s, size_t n)
{
    return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/* As static.h says; out is also NUL-terminated (the length returned does
 * not count the NUL), so that it can be handed to static_load as it is.
 * One pass: decode a byte, and at each '/' (decoded ones too, so "%2F.."
 * cannot hide a segment) check the segment that just ended. Empty segments
 * are dropped, which makes runs of '/' one and removes the leading '/':
 * "//etc/passwd" becomes "etc/passwd", never an absolute path. */
int static_resolve(const char *p, size_t n, char *out, size_t cap)
{
    static const char index_name[] = "index.html";
    if (n == 0 || p[0] != '/' || cap == 0) return -1;
    size_t room = (cap < STATIC_MAX_PATH ? cap : STATIC_MAX_PATH) - 1;   /* keep one for the NUL */
    size_t len = 0, segment = 0;      /* segment: where the current one starts in out */
    for (size_t i = 1; i < n;) {
        int c = next_byte(p, n, &i);
        if (c < 0) return -1;
        if (c == '/') {
            if (is_dot_segment(out + segment, len - segment)) return -1;
            if (len == segment) continue;          /* empty segment */
        }
        if (len == room) return -1;
        out[len++] = (char)c;
        if (c == '/') segment = len;
    }
    if (is_dot_segment(out + segment, len - segment)) return -1;
    if (len == segment) {
        /* "/" → "index.html", "/dir/" → "dir/index.html" */
        if (room - len < sizeof index_name - 1) return -1;
        memcpy(out + len, index_name, sizeof index_name - 1);
        len += sizeof index_name - 1;
    }
    out[len] = '\0';
    return (int)len;
}

/* ==== Content types ==== */

const char *static_content_type(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        { "html",  "text/html; charset=utf-8" },
        { "htm",   "text/html; charset=utf-8" },
        { "css",   "text/css; charset=utf-8" },
        { "js",    "text/javascript; charset=utf-8" },   /* RFC 9239 §6 */
        { "mjs",   "text/javascript; charset=utf-8" },
        { "json",  "application/json" },
        { "svg",   "image/svg+xml" },
        { "png",   "image/png" },
        { "jpg",   "image/jpeg" },
        { "jpeg",  "image/jpeg" },
        { "gif",   "image/gif" },
        { "ico",   "image/x-icon" },
        { "txt",   "text/plain; charset=utf-8" },
        { "md",    "text/markdown; charset=utf-8" },     /* RFC 7763 */
        { "wasm",  "application/wasm" },
        { "woff2", "font/woff2" },                       /* RFC 8081 */
    };
    const char *slash = strrchr(name, '/');
    const char *dot = strrchr(slash ? slash + 1 : name, '.');
    if (dot) {
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            const char *a = dot + 1, *b = types[i].ext;
            while (*a && *b && (*a | 0x20) == *b) a++, b++;   /* extensions ignore case */
            if (*a == '\0' && *b == '\0') return types[i].type;
        }
    }
    return "application/octet-stream";
}

/* ==== Loading a file ==== */

/* 1 when the real path file lies inside the real directory root. */
static int path_is_inside(const char *file, const char *root)
{
    size_t n = strlen(root);
    if (n == 1 && root[0] == '/') return 1;
    return strncmp(file, root, n) == 0 && file[n] == '/';
}

/* Read exactly st_size bytes of fd into a new chunk; NULL on a read error.
 * A file that shrank meanwhile gives what was there. */
static struct chunk *read_whole(int fd, size_t size)
{
    struct chunk *c = chunk_new(size);
    while (c->len < size) {
        ssize_t got = read(fd, c->data + c->len, size - c->len);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            chunk_unref(c);
            return NULL;
        }
        if (got == 0) break;
        c->len += (size_t)got;
    }
    return c;
}

int static_open(const char *root, const char *relative, off_t *size)
{
    char joined[PATH_MAX], real_root[PATH_MAX], real_file[PATH_MAX];
    int n = snprintf(joined, sizeof joined, "%s/%s", root, relative);
    if (n < 0 || (size_t)n >= sizeof joined) return -1;
    if (!realpath(root, real_root) || !realpath(joined, real_file)) return -1;
    if (!path_is_inside(real_file, real_root)) return -1;    /* a link that leads out */
    /* O_NOFOLLOW: the last component was resolved above; if it has become a
     * link since, refuse rather than follow it. O_NONBLOCK: opening a FIFO
     * would otherwise wait for a writer and stall the whole server (it is
     * then refused as not a regular file; regular files ignore the flag). */
    int fd = open(real_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    *size = st.st_size;
    return fd;
}

struct chunk *static_load(const char *root, const char *relative)
{
    off_t size;
    int fd = static_open(root, relative, &size);
    if (fd < 0) return NULL;
    struct chunk *c = size <= STATIC_MAX_FILE ? read_whole(fd, (size_t)size) : NULL;
    close(fd);
    return c;
}
