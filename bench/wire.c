/*
 * bench/wire.c — loadgen's parsers and payloads; the contracts are in wire.h.
 */
#include "wire.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ==== Helpers ==== */

const char *wire_find(const char *p, size_t n, const char *needle)
{
    return memmem(p, n, needle, strlen(needle));
}

uint64_t wire_parse_u64(const char *p, const char *end, const char **after)
{
    uint64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9')
        v = v * 10 + (uint64_t)(*p++ - '0');
    if (after)
        *after = p;
    return v;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ==== Payloads ==== */

size_t wire_make_payload(char *out, size_t cap, size_t size, uint64_t seq, uint64_t scheduled)
{
    int n = snprintf(out, cap, "seq=%" PRIu64 " t=%" PRIu64 " pad=", seq, scheduled);
    size_t len = n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
    while (len < size && len + 1 < cap)
        out[len++] = 'x';
    out[len] = 0;
    return len;
}

/* An item of the JSON payload: numbers that move a little from event to
 * event and from item to item, as a price feed's do. */
static int json_item(char *out, size_t cap, uint64_t seq, unsigned i)
{
    static const char *const venues[] = { "XNAS", "XNYS", "ARCX", "BATS" };
    uint64_t h = (seq * 2654435761u + i * 40503u) % 10007u;
    unsigned bid = 10000 + (unsigned)(h % 900);
    return snprintf(out, cap, "{\"symbol\":\"SYM%03u\",\"bid\":%u.%02u,\"ask\":%u.%02u,"
                    "\"size\":%u,\"venue\":\"%s\"}", i % 1000, bid / 100, bid % 100,
                    (bid + 2 + (unsigned)(h % 7)) / 100, (bid + 2 + (unsigned)(h % 7)) % 100,
                    100 * (1 + (unsigned)(h % 50)), venues[h % 4]);
}

size_t wire_make_json_payload(char *out, size_t cap, size_t size, uint64_t seq, uint64_t scheduled)
{
    if (cap < 2)
        return 0;
    int n = snprintf(out, cap, "{\"seq\":%" PRIu64 ",\"t\":%" PRIu64 ",\"type\":\"quotes\",\"items\":[",
                     seq, scheduled);
    if (n < 0 || (size_t)n + 2 >= cap)      /* not even the head fits: cut, as wire_make_payload does */
        return n < 0 ? 0 : strlen(out);
    size_t len = (size_t)n;
    char item[160];
    for (unsigned i = 0;; i++) {
        int m = json_item(item, sizeof item, seq, i);
        size_t need = (size_t)m + (i > 0);
        if (m < 0 || len + need + 2 > size || len + need + 2 >= cap)
            break;
        if (i > 0)
            out[len++] = ',';
        memcpy(out + len, item, (size_t)m);
        len += (size_t)m;
    }
    out[len++] = ']';
    while (len + 1 < size && len + 2 < cap)
        out[len++] = ' ';
    out[len++] = '}';
    out[len] = 0;
    return len;
}

/* p[0..) starts with key, as it was published or with its quotes escaped
 * (`"seq":` or `\"seq\":`): the bytes after it, or NULL. */
static const char *json_key(const char *p, const char *end, const char *key)
{
    size_t k = strlen(key);
    if ((size_t)(end - p) >= k + 3 && p[0] == '"' && memcmp(p + 1, key, k) == 0 && p[k + 1] == '"'
        && p[k + 2] == ':')
        return p + k + 3;
    if ((size_t)(end - p) >= k + 5 && memcmp(p, "\\\"", 2) == 0 && memcmp(p + 2, key, k) == 0
        && memcmp(p + k + 2, "\\\"", 2) == 0 && p[k + 4] == ':')
        return p + k + 5;
    return NULL;
}

/* The JSON form: {"seq":N,"t":NS,...}, maybe escaped. */
static int json_payload_parse(const char *data, size_t len, uint64_t *seq, uint64_t *scheduled)
{
    const char *end = data + len, *p = json_key(data + 1, end, "seq"), *after;
    if (!p)
        return 0;
    *seq = wire_parse_u64(p, end, &after);
    if (after == p || after >= end || *after != ',' || !(p = json_key(after + 1, end, "t")))
        return 0;
    *scheduled = wire_parse_u64(p, end, &after);
    return after > p;
}

int wire_payload_parse(const char *data, size_t len, uint64_t *seq, uint64_t *scheduled)
{
    const char *end = data + len, *p;
    if (len > 0 && data[0] == '{')
        return json_payload_parse(data, len, seq, scheduled);
    if (len < 4 || memcmp(data, "seq=", 4) != 0)
        return 0;
    *seq = wire_parse_u64(data + 4, end, &p);
    if (p == data + 4 || end - p < 4 || memcmp(p, " t=", 3) != 0)
        return 0;
    const char *digits = p + 3;
    *scheduled = wire_parse_u64(digits, end, &p);
    return p > digits;
}

size_t wire_json_string_len(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && *q != '"')
        q += (*q == '\\' && q + 1 < end) ? 2 : 1;
    return (size_t)(q - p);
}

/* ==== HTTP/1.1 responses ==== */

long wire_parse_head(const char *p, size_t n, struct wire_head *h)
{
    const char *end = wire_find(p, n, "\r\n\r\n");
    if (!end)
        return WIRE_MORE;
    size_t head_len = (size_t)(end - p) + 4;
    h->status = 0;
    h->content_length = -1;
    h->chunked = 0;
    /* "HTTP/1.1 200 OK": the three digits after the first space. */
    if (head_len > 12 && memcmp(p, "HTTP/1.", 7) == 0 && p[8] == ' ')
        h->status = (int)wire_parse_u64(p + 9, p + 12, NULL);
    const char *line = wire_find(p, head_len, "\r\n") + 2;
    while (line < end) {
        const char *eol = wire_find(line, (size_t)(end + 2 - line), "\r\n");
        size_t len = (size_t)(eol - line);
        if (len > 15 && strncasecmp(line, "content-length:", 15) == 0) {
            const char *v = line + 15;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            h->content_length = (long long)wire_parse_u64(v, eol, NULL);
        } else if (len > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) {
            h->chunked = wire_find(line, len, "chunked") != NULL;
        }
        line = eol + 2;
    }
    return (long)head_len;
}

/* The decoder's states: the size line (hex digits, then maybe ";ext"), its
 * LF, the chunk's bytes, the CRLF after them; after the last chunk (size 0)
 * the trailer section: a line start, inside a trailer field, and done (the
 * empty line has come: the body is over, RFC 9112 §7.1.2). */
enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_END, CH_END, CH_TRAILER, CH_DONE };

long wire_dechunk(struct wire_dechunk *d, char *p, size_t n)
{
    size_t in = 0, out = 0;
    while (in < n) {
        char ch = p[in];
        switch (d->state) {
        case CH_SIZE:
            if (hex_value(ch) >= 0) {
                if (d->left > (UINT64_MAX >> 4))
                    return WIRE_ERROR;
                d->left = d->left * 16 + (uint64_t)hex_value(ch);
                in++;
            } else if (ch == ';') {
                d->state = CH_EXT;
                in++;
            } else {
                d->state = CH_SIZE_LF;      /* CR or LF: handled there */
            }
            break;
        case CH_EXT:
            if (ch == '\r' || ch == '\n')
                d->state = CH_SIZE_LF;
            else
                in++;
            break;
        case CH_SIZE_LF:
            in++;
            if (ch == '\n')
                d->state = d->left ? CH_DATA : CH_END;
            else if (ch != '\r')
                return WIRE_ERROR;
            break;
        case CH_DATA: {
            size_t take = n - in < d->left ? n - in : (size_t)d->left;
            memmove(p + out, p + in, take);
            in += take;
            out += take;
            d->left -= take;
            if (d->left == 0)
                d->state = CH_DATA_END;
            break;
        }
        case CH_DATA_END:
            in++;
            if (ch == '\n')
                d->state = CH_SIZE;         /* d->left is 0 again: the next size */
            else if (ch != '\r')
                return WIRE_ERROR;
            break;
        case CH_END:                        /* a trailer line starts, or the empty line */
            in++;
            if (ch == '\n') {
                d->state = CH_DONE;
                d->done = 1;
            } else if (ch != '\r') {
                d->state = CH_TRAILER;      /* a trailer field: read past it */
            }
            break;
        case CH_TRAILER:
            in++;
            if (ch == '\n')
                d->state = CH_END;
            break;
        default:                            /* CH_DONE: nothing may follow the body */
            return WIRE_ERROR;
        }
    }
    return (long)out;
}

/* ==== Server-Sent Events ==== */

long wire_sse_next(const char *p, size_t n, struct wire_sse_event *ev)
{
    size_t pos = 0;
    memset(ev, 0, sizeof *ev);
    while (pos < n) {
        const char *line = p + pos;
        const char *nl = memchr(line, '\n', n - pos);
        if (!nl)
            break;
        size_t len = (size_t)(nl - line);
        if (len && line[len - 1] == '\r')
            len--;
        pos = (size_t)(nl - p) + 1;
        if (len == 0)
            return (long)pos;               /* the empty line: dispatch */
        if (len >= 5 && memcmp(line, "data:", 5) == 0) {
            size_t skip = len > 5 && line[5] == ' ' ? 6 : 5;
            ev->data = line + skip;
            ev->data_len = len - skip;
        } else if (len >= 3 && memcmp(line, "id:", 3) == 0) {
            size_t skip = len > 3 && line[3] == ' ' ? 4 : 3;
            ev->id = wire_parse_u64(line + skip, line + len, NULL);
            ev->id_text = line + skip;
            ev->id_len = len - skip;
            ev->has_id = 1;
        } else if (len >= 6 && memcmp(line, "event:", 6) == 0) {
            const char *v = line + (len > 6 && line[6] == ' ' ? 7 : 6);
            ev->gap = (size_t)(line + len - v) == 3 && memcmp(v, "gap", 3) == 0;
        }                                   /* ":" comments, retry:, others: ignored */
    }
    return WIRE_MORE;
}

/* ==== Frames ==== */

long wire_ws_frame(const char *p, size_t n, uint64_t max_len, struct wire_ws_frame *f)
{
    const unsigned char *b = (const unsigned char *)p;
    if (n < 2)
        return WIRE_MORE;
    if (b[1] & 0x80)
        return WIRE_ERROR;                  /* §5.1: a server never masks */
    f->fin = (b[0] & 0x80) != 0;
    f->rsv1 = (b[0] & 0x40) != 0;
    f->opcode = b[0] & 0x0f;
    uint64_t len = b[1] & 0x7f;
    size_t head = 2;
    if (len == 126) {                       /* §5.2: 16-bit length follows */
        if (n < 4)
            return WIRE_MORE;
        len = (uint64_t)b[2] << 8 | b[3];
        head = 4;
    } else if (len == 127) {                /* 64-bit length follows */
        if (n < 10)
            return WIRE_MORE;
        len = 0;
        for (int i = 2; i < 10; i++)
            len = len << 8 | b[i];
        head = 10;
    }
    if (len > max_len)
        return WIRE_ERROR;
    if (n - head < len)
        return WIRE_MORE;
    f->payload = p + head;
    f->len = len;
    return (long)(head + len);
}

long wire_baseline_frame(const char *p, size_t n, uint32_t max_len, const char **payload, uint32_t *len)
{
    const unsigned char *b = (const unsigned char *)p;
    if (n < 4)
        return WIRE_MORE;
    uint32_t l = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    if (l > max_len)
        return WIRE_ERROR;
    if (n - 4 < l)
        return WIRE_MORE;
    *payload = p + 4;
    *len = l;
    return 4 + (long)l;
}

/* ==== Headers, dates, Nchan's ids ==== */

const char *wire_header(const char *p, size_t n, const char *name, size_t *len)
{
    size_t name_len = strlen(name);
    const char *end = p + n, *line = memchr(p, '\n', n);   /* skip the status line */
    while (line && ++line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *stop = nl ? nl : end;
        if ((size_t)(stop - line) > name_len && line[name_len] == ':'
            && strncasecmp(line, name, name_len) == 0) {
            const char *v = line + name_len + 1;
            while (v < stop && (*v == ' ' || *v == '\t'))
                v++;
            const char *e = stop;
            while (e > v && (e[-1] == '\r' || e[-1] == ' '))
                e--;
            *len = (size_t)(e - v);
            return v;
        }
        line = nl;
    }
    return NULL;
}

static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const weekdays[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1..12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t wire_parse_http_date(const char *p, size_t n)
{
    char buf[64], mon[4];
    int d, y, hh, mm, ss;
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, p, n);
    buf[n] = 0;
    if (sscanf(buf, "%*3s, %2d %3s %4d %2d:%2d:%2d GMT", &d, mon, &y, &hh, &mm, &ss) != 6)
        return -1;
    for (int m = 0; m < 12; m++)
        if (strcmp(mon, months[m]) == 0)
            return days_from_civil(y, m + 1, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return -1;
}

void wire_http_date(char *out, size_t cap, int64_t t)
{
    int64_t days = t / 86400, secs = t % 86400;
    /* civil_from_days: the inverse of days_from_civil. */
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    snprintf(out, cap, "%s, %02d %s %04" PRId64 " %02d:%02d:%02d GMT", weekdays[(days % 7 + 11) % 7], d,
             months[m - 1], y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

uint64_t wire_nchan_id(const char *p, size_t n)
{
    const char *end = p + n, *after;
    uint64_t t = wire_parse_u64(p, end, &after);
    if (after == p || after >= end || *after != ':')
        return 0;
    const char *tag = after + 1;
    uint64_t g = wire_parse_u64(tag, end, &after);
    if (after == tag || after != end || g > 0xffffff)
        return 0;
    return t << 24 | g;
}
