/* The native tuple scanner: one pass from flow tuples to typed column buffers.
 *
 * scan(strings, fmt, ctx, first_group, contexts) reads a list of tuple strings of one
 * format (0 NSG v1, 1 NSG v2, 2 VNet) and writes, for every tuple it accepts, its typed
 * fields into column buffers (little-endian, the layouts Arrow uses). scan_lifted() does
 * the same for tuples still in the JSON text of their file, found there by lift() (below):
 * no Python string is ever made of them. It accepts
 * only the plain shape: an ASCII str, the format's number of comma-separated fields, IPv4
 * addresses in dotted-decimal without leading zeros, and the documented codes. Everything
 * else -- an IPv6 address, a non-string, a bad field of any kind -- is *rejected*: its row
 * index is returned and the caller hands it to the reference parser
 * (netwarden.flows.records.parse_tuple), which parses it or names the reason. The scanner
 * is therefore an accelerator only: every tuple it accepts, the reference parser accepts with
 * the same values (tests/flows/test_tuplescan.py holds it to that, and to accepting every
 * well-formed IPv4 tuple).
 *
 * Field semantics are the reference parser's (records.py): times of up to 13 digits, below
 * 10^11 seconds else milliseconds, in 2000..2099; ports 0..65535 of up to 5 digits;
 * NSG protocol T/U -> 6/17, VNet protocol an IANA number 0..255; direction I/O; NSG
 * decision A/D and (v2) state B/C/E; VNet state B/C/E/D (D = denied), encryption
 * X | NX(_[A-Z]+)*; counters empty (null) or up to 18 digits.
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE   /* memmem */
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SECONDS_BELOW 100000000000LL
#define TIME_MIN_MS 946684800000LL
#define TIME_MAX_MS 4102444800000LL
#define MAX_ENCRYPTIONS 64

/* The helpers read a field at the cursor *p and move it past the field. They rely on the
 * character after the tuple: the NUL that ends every compact str's data, or the quote that
 * ends a tuple in JSON text. No digit, letter, dot or comma matches either, so no field
 * runs past the tuple's end (an embedded NUL ends a field just as early, and the tuple is
 * then rejected, since the caller asks for a comma or the end right there). */

/* 1..most ASCII digits -> value; 0 if the field is not that. */
static inline int digits(const char **p, int most, int64_t *out) {
    const char *s = *p, *q = s;
    int64_t v = 0;
    unsigned d;
    while ((d = (unsigned)((unsigned char)*q - '0')) <= 9 && q - s <= most) {
        v = v * 10 + d;
        q++;
    }
    if (q == s || q - s > most) return 0;
    *p = q;
    *out = v;
    return 1;
}

/* (25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9]) x 4, dot-separated. */
static inline int ipv4(const char **p, uint32_t *out) {
    const char *q = *p;
    uint32_t ip = 0;
    for (int octet = 0; octet < 4; octet++) {
        const char *start = q;
        unsigned v = 0, d;
        while ((d = (unsigned)((unsigned char)*q - '0')) <= 9 && q - start < 4) {
            v = v * 10 + d;
            q++;
        }
        Py_ssize_t n = q - start;
        if (n < 1 || n > 3 || v > 255 || (n > 1 && *start == '0')) return 0;
        ip = (ip << 8) | v;
        if (octet < 3 && *q++ != '.') return 0;
    }
    *p = q;
    *out = ip;
    return 1;
}

/* One of the letters of ``set`` -> its index, or -1. (Whatever follows the letter, the
 * caller asks for a comma or the end there, as after every field.) */
static inline int code(const char **p, const char *set) {
    for (int i = 0; set[i] != '\0'; i++) {   /* unrolled: ``set`` is a constant */
        if (**p == set[i]) {
            (*p)++;
            return i;
        }
    }
    return -1;
}

/* X | NX(_[A-Z]+)*, up to the next comma. */
static int encryption(const char **p, const char **text, Py_ssize_t *len) {
    const char *s = *p, *q = s;
    if (q[0] == 'X') {
        q++;
    } else if (q[0] == 'N' && q[1] == 'X') {
        q += 2;
        while (*q == '_') {
            const char *run = ++q;
            while (*q >= 'A' && *q <= 'Z') q++;
            if (q == run) return 0;
        }
    } else {
        return 0;
    }
    *text = s;
    *len = q - s;
    *p = q;
    return 1;
}

/* Column buffers: Block objects, which export their memory through the buffer protocol
 * (Arrow wraps them without a copy and holds them while an array needs them). A block's
 * memory goes back to a small cache when the block dies and the next batch's columns take
 * it from there: a batch of a million tuples writes ~70 MB of columns, and memory fresh
 * from the system costs a page fault per 4 KiB on first touch -- as much as the parsing,
 * measured on this VM. The cache holds at most CACHED blocks; release() empties it. */
#define CACHED 64
#define CACHED_FROM 65536   /* smaller blocks come and go with malloc and free */

typedef struct {
    PyObject_HEAD
    char *data;
    Py_ssize_t size, capacity;
} Block;

static char *cache_data[CACHED];
static Py_ssize_t cache_capacity[CACHED];
static int cache_count;

static void block_dealloc(Block *b) {
    if (b->data != NULL) {
        if (cache_count < CACHED && b->capacity >= CACHED_FROM) {
            cache_data[cache_count] = b->data;
            cache_capacity[cache_count++] = b->capacity;
        } else {
            free(b->data);
        }
    }
    PyObject_Free(b);
}

static int block_getbuffer(Block *b, Py_buffer *view, int flags) {
    return PyBuffer_FillInfo(view, (PyObject *)b, b->data, b->size, 0, flags);
}

static PyBufferProcs block_as_buffer = {(getbufferproc)block_getbuffer, NULL};

static PyTypeObject BlockType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "netwarden.flows._tuplescan.Block",
    .tp_basicsize = sizeof(Block),
    .tp_dealloc = (destructor)block_dealloc,
    .tp_as_buffer = &block_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A column buffer of the scanner (buffer protocol, writable).",
};

typedef struct {
    Block *block;
    char *data;
} column;

/* A block of ``size`` bytes: the smallest cached memory that holds it and is at most twice
 * as large (a small block does not take the memory a large column will want), else new
 * memory; zeroed only where bits or counts are added up in it (the value columns are
 * written in full, row by row). */
static int column_new(column *c, Py_ssize_t size, int zeroed) {
    Py_ssize_t wanted = size;
    size = size > 0 ? size : 1;   /* malloc(0) may return NULL */
    Block *b = PyObject_New(Block, &BlockType);
    if (b == NULL) return 0;
    int best = -1;
    for (int i = 0; i < cache_count; i++)
        if (cache_capacity[i] >= size && cache_capacity[i] / 2 <= size &&
            (best < 0 || cache_capacity[i] < cache_capacity[best]))
            best = i;
    if (best >= 0) {
        b->data = cache_data[best];
        b->capacity = cache_capacity[best];
        cache_data[best] = cache_data[--cache_count];
        cache_capacity[best] = cache_capacity[cache_count];
    } else {
        b->data = malloc((size_t)size);
        b->capacity = size;
    }
    b->size = wanted;
    c->block = b;
    if (b->data == NULL) {
        PyErr_NoMemory();
        return 0;
    }
    c->data = b->data;
    if (zeroed) memset(c->data, 0, (size_t)size);
    return 1;
}

static PyObject *release(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    while (cache_count > 0) free(cache_data[--cache_count]);
    Py_RETURN_NONE;
}

/* Addresses numbered in order of first appearance: a batch holds millions of tuples but
 * few distinct addresses, so the address columns are indices into one list of them (the
 * dictionary of both Arrow columns). Open addressing on 2^k slots, at most half full; a
 * slot holds (address << 32 | number + 1), 0 when empty. */
typedef struct {
    uint64_t *slots;
    int bits;
    uint32_t *addresses;
    Py_ssize_t count, capacity;
} numbering;

static inline size_t slot_of(uint32_t address, int bits) {
    return (size_t)((address * 2654435761u) >> (32 - bits));
}

static int numbering_grow(numbering *t) {
    int bits = t->bits ? t->bits + 1 : 12;
    uint64_t *slots = calloc((size_t)1 << bits, sizeof *slots);
    if (slots == NULL) return 0;
    size_t mask = ((size_t)1 << bits) - 1;
    for (Py_ssize_t i = 0; i < t->count; i++) {
        size_t at = slot_of(t->addresses[i], bits);
        while (slots[at]) at = (at + 1) & mask;
        slots[at] = ((uint64_t)t->addresses[i] << 32) | (uint64_t)(i + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->bits = bits;
    return 1;
}

/* The number of ``address``, given one if it has none; -1 when out of memory. */
static inline int32_t number_of(numbering *t, uint32_t address) {
    size_t mask = ((size_t)1 << t->bits) - 1;
    size_t at = slot_of(address, t->bits);
    for (uint64_t slot; (slot = t->slots[at]) != 0; at = (at + 1) & mask)
        if ((uint32_t)(slot >> 32) == address) return (int32_t)(uint32_t)slot - 1;
    if (t->count == t->capacity) {
        Py_ssize_t capacity = t->capacity ? t->capacity * 2 : 4096;
        uint32_t *grown = realloc(t->addresses, (size_t)capacity * sizeof *grown);
        if (grown == NULL) return -1;
        t->addresses = grown;
        t->capacity = capacity;
    }
    int32_t number = (int32_t)t->count;
    t->addresses[t->count++] = address;
    if ((size_t)t->count * 2 > mask + 1) {
        if (!numbering_grow(t)) return -1;
    } else {
        t->slots[at] = ((uint64_t)address << 32) | (uint64_t)(number + 1);
    }
    return number;
}

enum {
    C_GROUP, C_TS, C_SRC, C_DST, C_SPORT, C_DPORT, C_PROTO, C_DIR, C_DEC, C_STATE, C_ENC,
    C_PS, C_BS, C_PR, C_BR, C_VPS, C_VBS, C_VPR, C_VBR, C_ADDRESSES, C_COUNT
};
static const char *const NAMES[C_COUNT] = {
    "group_id", "ts_ms", "src_ip", "dst_ip", "src_port", "dst_port", "protocol",
    "direction_code", "decision_code", "state_code", "encryption_code",
    "packets_sent", "bytes_sent", "packets_recv", "bytes_recv",
    "packets_sent_valid", "bytes_sent_valid", "packets_recv_valid", "bytes_recv_valid",
    "addresses",
};

/* -- one tuple ---------------------------------------------------------------------------- */

typedef struct {
    int64_t ts, sport, dport, proto, counters[4];
    uint32_t src, dst;
    int dir, dec, state, enc, valid[4];
} fields;

/* The distinct encryption codes of a call, in order of first appearance. */
typedef struct {
    const char *text[MAX_ENCRYPTIONS];
    Py_ssize_t len[MAX_ENCRYPTIONS];
    int count;
    PyObject *list;
} codebook;

/* The tuple in [p, end): 1 accepted (fields filled), 0 rejected, -1 error (exception set). */
static int parse(int fmt, const char *p, const char *end, fields *f, codebook *book) {
#define COMMA() if (*p++ != ',') return 0
    f->state = f->enc = -1;
    if (!digits(&p, 13, &f->ts)) return 0;
    if (f->ts < SECONDS_BELOW) f->ts *= 1000;
    if (f->ts < TIME_MIN_MS || f->ts >= TIME_MAX_MS) return 0;
    COMMA();
    if (!ipv4(&p, &f->src)) return 0;
    COMMA();
    if (!ipv4(&p, &f->dst)) return 0;
    COMMA();
    if (!digits(&p, 5, &f->sport) || f->sport > 65535) return 0;
    COMMA();
    if (!digits(&p, 5, &f->dport) || f->dport > 65535) return 0;
    COMMA();
    if (fmt == 2) {
        if (!digits(&p, 3, &f->proto) || f->proto > 255) return 0;
    } else {
        int letter = code(&p, "TU");
        if (letter < 0) return 0;
        f->proto = letter == 0 ? 6 : 17;
    }
    COMMA();
    if ((f->dir = code(&p, "IO")) < 0) return 0;
    COMMA();
    if (fmt == 2) {
        const char *text;
        Py_ssize_t len;
        if ((f->state = code(&p, "BCED")) < 0) return 0;
        f->dec = f->state == 3;
        COMMA();
        if (!encryption(&p, &text, &len)) return 0;
        int enc;
        for (enc = 0; enc < book->count; enc++)
            if (book->len[enc] == len && memcmp(book->text[enc], text, (size_t)len) == 0) break;
        if (enc == book->count) {
            if (book->count == MAX_ENCRYPTIONS) return 0;   /* the reference parser lands it */
            PyObject *found = PyUnicode_FromStringAndSize(text, len);
            if (found == NULL || PyList_Append(book->list, found) < 0) {
                Py_XDECREF(found);
                return -1;
            }
            book->text[enc] = PyUnicode_AsUTF8(found);   /* alive: the list holds it */
            Py_DECREF(found);
            book->len[book->count++] = len;
        }
        f->enc = enc;
    } else {
        if ((f->dec = code(&p, "AD")) < 0) return 0;
        if (fmt == 1) {
            COMMA();
            if ((f->state = code(&p, "BCE")) < 0) return 0;
        }
    }
    for (int c = 0; c < 4; c++) {
        f->counters[c] = 0;
        f->valid[c] = 0;
    }
    if (fmt != 0) {
        for (int c = 0; c < 4; c++) {
            COMMA();
            f->valid[c] = p != end && *p != ',';
            if (f->valid[c] && !digits(&p, 18, &f->counters[c])) return 0;
        }
    }
#undef COMMA
    return p == end;
}

/* -- the columns of one call --------------------------------------------------------------- */

typedef struct {
    column cols[C_COUNT];
    numbering numbers;
    codebook book;
    PyObject *rejected;
    Py_ssize_t rows, contexts;
    int64_t first_group;
} output;

static int output_open(output *o, Py_ssize_t n, Py_ssize_t contexts, int64_t first_group) {
    static const int widths[C_ADDRESSES] = {8, 8, 4, 4, 4, 4, 4, 1, 1, 1, 1, 8, 8, 8, 8, 0, 0, 0, 0};
    memset(o, 0, sizeof *o);
    o->contexts = contexts;
    o->first_group = first_group;
    o->rejected = PyList_New(0);
    o->book.list = PyList_New(0);
    if (o->rejected == NULL || o->book.list == NULL) return 0;
    for (int c = 0; c < C_ADDRESSES; c++)
        if (!column_new(&o->cols[c], widths[c] ? n * widths[c] : (n + 7) / 8, !widths[c])) return 0;
    if (!numbering_grow(&o->numbers)) {
        PyErr_NoMemory();
        return 0;
    }
    return 1;
}

/* Tuple ``index`` of context ``cid`` (its text in [p, end)): a row, or a rejected index. */
static int output_tuple(output *o, int fmt, Py_ssize_t index, int32_t cid, const char *p,
                        const char *end) {
    if (cid < 0 || cid >= o->contexts) {
        PyErr_SetString(PyExc_ValueError, "scan: a ctx outside 0..contexts");
        return 0;
    }
    fields f;
    int parsed = p == NULL ? 0 : parse(fmt, p, end, &f, &o->book);
    if (parsed < 0) return 0;
    if (parsed == 0) {
        PyObject *number = PyLong_FromSsize_t(index);
        int ok = number != NULL && PyList_Append(o->rejected, number) == 0;
        Py_XDECREF(number);
        return ok;
    }
    int32_t src = number_of(&o->numbers, f.src), dst = number_of(&o->numbers, f.dst);
    if (src < 0 || dst < 0) {
        PyErr_NoMemory();
        return 0;
    }
    column *cols = o->cols;
    Py_ssize_t m = o->rows++;
    for (int c = 0; c < 4; c++) {
        ((int64_t *)cols[C_PS + c].data)[m] = f.counters[c];
        if (f.valid[c]) cols[C_VPS + c].data[m >> 3] |= (char)(1u << (m & 7));
    }
    ((int64_t *)cols[C_GROUP].data)[m] = o->first_group + cid;
    ((int64_t *)cols[C_TS].data)[m] = f.ts;
    ((int32_t *)cols[C_SRC].data)[m] = src;
    ((int32_t *)cols[C_DST].data)[m] = dst;
    ((int32_t *)cols[C_SPORT].data)[m] = (int32_t)f.sport;
    ((int32_t *)cols[C_DPORT].data)[m] = (int32_t)f.dport;
    ((int32_t *)cols[C_PROTO].data)[m] = (int32_t)f.proto;
    cols[C_DIR].data[m] = (char)f.dir;
    cols[C_DEC].data[m] = (char)f.dec;
    cols[C_STATE].data[m] = (char)f.state;
    cols[C_ENC].data[m] = (char)f.enc;
    return 1;
}

/* The dict handed to Python: "rows", "rejected", "encryptions" and every column. */
static PyObject *output_close(output *o) {
    Py_ssize_t size = o->numbers.count * (Py_ssize_t)sizeof(uint32_t);
    if (!column_new(&o->cols[C_ADDRESSES], size, 0)) return NULL;
    memcpy(o->cols[C_ADDRESSES].data, o->numbers.addresses, (size_t)size);
    PyObject *result = Py_BuildValue("{s:n,s:O,s:O}", "rows", o->rows, "rejected", o->rejected,
                                     "encryptions", o->book.list);
    for (int c = 0; result != NULL && c < C_COUNT; c++)
        if (PyDict_SetItemString(result, NAMES[c], (PyObject *)o->cols[c].block) < 0) Py_CLEAR(result);
    return result;
}

static void output_free(output *o) {
    for (int c = 0; c < C_COUNT; c++) Py_XDECREF(o->cols[c].block);
    free(o->numbers.slots);
    free(o->numbers.addresses);
    Py_XDECREF(o->rejected);
    Py_XDECREF(o->book.list);
}

static int format_ok(int fmt) {
    if (fmt >= 0 && fmt <= 2) return 1;
    PyErr_SetString(PyExc_ValueError, "scan: the format is 0 (NSG v1), 1 (NSG v2) or 2 (VNet)");
    return 0;
}

/* -- tuples as Python strings -------------------------------------------------------------- */

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *strings, *result = NULL;
    int fmt;
    Py_buffer ctx_view;
    long long first_group;
    Py_ssize_t contexts;
    if (!PyArg_ParseTuple(args, "O!iy*Ln", &PyList_Type, &strings, &fmt, &ctx_view,
                          &first_group, &contexts))
        return NULL;
    output o;
    Py_ssize_t n = PyList_GET_SIZE(strings);
    if (!output_open(&o, n, contexts, first_group) || !format_ok(fmt)) goto done;
    if (ctx_view.len != n * (Py_ssize_t)sizeof(int32_t)) {
        PyErr_SetString(PyExc_ValueError, "scan: ctx is not one int32 per string");
        goto done;
    }
    const int32_t *ctx = (const int32_t *)ctx_view.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *s = PyList_GET_ITEM(strings, i);
        const char *p = NULL, *end = NULL;
        if (PyUnicode_CheckExact(s) && PyUnicode_IS_COMPACT_ASCII(s)) {
            p = (const char *)PyUnicode_DATA(s);
            end = p + PyUnicode_GET_LENGTH(s);
        }
        if (!output_tuple(&o, fmt, i, ctx[i], p, end)) goto done;
    }
    result = output_close(&o);
done:
    output_free(&o);
    PyBuffer_Release(&ctx_view);
    return result;
}

/* -- tuples still in their file's JSON text ------------------------------------------------ */

#define MARKER_KEY "\\u0000nw"

static inline int json_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The end of the run of plain string characters from s[q] (printable ASCII but the quote
 * and the backslash): 16 at a time where SSE2 is (every x86-64), then one at a time. */
static inline Py_ssize_t plain_run(const char *s, Py_ssize_t n, Py_ssize_t q) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
    while (q + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(s + q));
        /* signed: below 0x20, and 0x80 and above (negative), in one compare */
        __m128i odd = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                   _mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)));
        int mask = _mm_movemask_epi8(odd);
        if (mask != 0) return q + __builtin_ctz((unsigned)mask);
        q += 16;
    }
#endif
    while (q < n && (unsigned char)s[q] >= 0x20 && (unsigned char)s[q] < 0x7f && s[q] != '"' &&
           s[q] != '\\')
        q++;
    return q;
}

/* A plain array at s[k] == '[': only strings of printable ASCII without escapes, JSON
 * whitespace between. Returns the index after its ']' and appends the (start, length) of
 * each string to *spans; 0 if the array is not plain (nothing appended then). */
static Py_ssize_t plain_array(const char *s, Py_ssize_t n, Py_ssize_t k, int64_t **spans,
                              Py_ssize_t *count, Py_ssize_t *capacity) {
    Py_ssize_t p = k + 1, before = *count;
    while (p < n && json_space(s[p])) p++;
    if (p < n && s[p] == ']') return p + 1;
    while (p < n && s[p] == '"') {
        Py_ssize_t q = plain_run(s, n, p + 1);
        if (q >= n || s[q] != '"') break;
        if (*count == *capacity) {
            Py_ssize_t grown = *capacity ? *capacity * 2 : 1 << 16;
            int64_t *more = realloc(*spans, (size_t)grown * 2 * sizeof(int64_t));
            if (more == NULL) return -1;
            *spans = more;
            *capacity = grown;
        }
        (*spans)[2 * *count] = p + 1;
        (*spans)[2 * *count + 1] = q - p - 1;
        ++*count;
        p = q + 1;
        while (p < n && json_space(s[p])) p++;
        if (p < n && s[p] == ']') return p + 1;
        if (p >= n || s[p] != ',') break;
        p++;
        while (p < n && json_space(s[p])) p++;
    }
    *count = before;
    return 0;
}

/* lift(text) -> (lifted text, spans, counts) or None.
 *
 * Every value of a "flowTuples" key in the JSON text that is a plain array (above) is
 * replaced by {"\u0000nw": K}, K counting from 0: the text left is small and decodes in
 * microseconds, and the tuples stay where they are, as spans (start, length: int64 pairs,
 * in order; counts[K] of them for array K). Other values are left as they are.
 *
 * Why the lifted text decodes to the same document but for those values: strings are
 * delimited here exactly as a JSON lexer delimits them (a quote opens one, an unescaped
 * quote closes it), so a key found here is a key there, and a replaced span was a whole
 * valid value, replaced by another. The text is valid iff the original is (an error lies
 * outside every replaced span, and stays). None when nothing was lifted, or when the text
 * spells a NUL (\u0000), so that no key of its own can look like a marker. */
static PyObject *lift(PyObject *self, PyObject *arg) {
    (void)self;
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "lift: bytes expected");
        return NULL;
    }
    const char *s = PyBytes_AS_STRING(arg);
    Py_ssize_t n = PyBytes_GET_SIZE(arg);
    if (memmem(s, (size_t)n, "\\u0000", 6) != NULL) Py_RETURN_NONE;
    int64_t *spans = NULL;
    Py_ssize_t count = 0, capacity = 0, copied = 0, out_len = 0, out_cap = 0;
    char *out = NULL;
    PyObject *counts = PyList_New(0), *result = NULL;
    if (counts == NULL) return NULL;
    Py_ssize_t i = 0;
    while (i < n) {
        const char *quote = memchr(s + i, '"', (size_t)(n - i));
        if (quote == NULL) break;
        Py_ssize_t start = quote - s, j = start + 1;
        for (;;) {   /* the closing quote: one not escaped by an odd run of backslashes */
            const char *close = memchr(s + j, '"', (size_t)(n - j));
            if (close == NULL) {
                j = n;
                break;
            }
            j = close - s;
            Py_ssize_t run = 0;
            while (s[j - 1 - run] == '\\') run++;
            if (run % 2 == 0) break;
            j++;
        }
        if (j >= n) break;   /* an unterminated string: the decoder will say so */
        i = j + 1;
        if (j - start - 1 != 10 || memcmp(s + start + 1, "flowTuples", 10) != 0) continue;
        Py_ssize_t k = i;
        while (k < n && json_space(s[k])) k++;
        if (k >= n || s[k] != ':') continue;
        k++;
        while (k < n && json_space(s[k])) k++;
        if (k >= n || s[k] != '[') continue;
        Py_ssize_t before = count;
        Py_ssize_t after = plain_array(s, n, k, &spans, &count, &capacity);
        if (after < 0) {
            PyErr_NoMemory();
            goto done;
        }
        if (after == 0) continue;   /* not plain: left in the text, walked past like any */
        char marker[48];
        int marker_len = snprintf(marker, sizeof marker, "{\"" MARKER_KEY "\":%zd}",
                                  PyList_GET_SIZE(counts));
        Py_ssize_t need = out_len + (k - copied) + marker_len;
        if (need > out_cap) {
            Py_ssize_t grown = need * 2 > 4096 ? need * 2 : 4096;
            char *more = realloc(out, (size_t)grown);
            if (more == NULL) {
                PyErr_NoMemory();
                goto done;
            }
            out = more;
            out_cap = grown;
        }
        memcpy(out + out_len, s + copied, (size_t)(k - copied));
        out_len += k - copied;
        memcpy(out + out_len, marker, (size_t)marker_len);
        out_len += marker_len;
        copied = i = after;
        PyObject *number = PyLong_FromSsize_t(count - before);
        if (number == NULL || PyList_Append(counts, number) < 0) {
            Py_XDECREF(number);
            goto done;
        }
        Py_DECREF(number);
    }
    if (PyList_GET_SIZE(counts) == 0) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    {
        PyObject *text = PyBytes_FromStringAndSize(NULL, out_len + (n - copied));
        column where = {NULL, NULL};
        if (text == NULL) goto done;
        memcpy(PyBytes_AS_STRING(text), out, (size_t)out_len);
        memcpy(PyBytes_AS_STRING(text) + out_len, s + copied, (size_t)(n - copied));
        if (!column_new(&where, count * 2 * (Py_ssize_t)sizeof(int64_t), 0)) {
            Py_DECREF(text);
            Py_XDECREF(where.block);
            goto done;
        }
        memcpy(where.data, spans, (size_t)count * 2 * sizeof(int64_t));
        result = Py_BuildValue("(NNO)", text, (PyObject *)where.block, counts);
    }
done:
    free(spans);
    free(out);
    Py_DECREF(counts);
    return result;
}

/* scan_lifted(sources, ranges, fmt, first_group, contexts): as scan(), over tuples in JSON
 * texts. sources: a list of (text, spans) from lift(); ranges: int64 quadruples (source,
 * first span, count, ctx), one per flow group, in the order of the rows; a rejected
 * index counts the tuples of all ranges before it. */
static PyObject *scan_lifted(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *sources, *result = NULL;
    Py_buffer view;
    int fmt;
    long long first_group;
    Py_ssize_t contexts;
    if (!PyArg_ParseTuple(args, "O!y*iLn", &PyList_Type, &sources, &view, &fmt, &first_group,
                          &contexts))
        return NULL;
    output o;
    const int64_t *ranges = (const int64_t *)view.buf;
    Py_ssize_t n_ranges = view.len / (4 * (Py_ssize_t)sizeof(int64_t)), total = 0;
    Py_ssize_t n_sources = PyList_GET_SIZE(sources);
    for (Py_ssize_t r = 0; r < n_ranges; r++) total += ranges[4 * r + 2];
    if (!output_open(&o, total, contexts, first_group) || !format_ok(fmt)) goto done;
    Py_ssize_t index = 0;
    for (Py_ssize_t r = 0; r < n_ranges; r++) {
        int64_t source = ranges[4 * r], first = ranges[4 * r + 1], count = ranges[4 * r + 2];
        PyObject *pair = source >= 0 && source < n_sources ? PyList_GET_ITEM(sources, source) : NULL;
        Py_buffer spans;
        if (pair == NULL || !PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
            !PyBytes_Check(PyTuple_GET_ITEM(pair, 0))) {
            PyErr_SetString(PyExc_ValueError, "scan_lifted: a range names no (text, spans) source");
            goto done;
        }
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(pair, 1), &spans, PyBUF_SIMPLE) < 0) goto done;
        const char *text = PyBytes_AS_STRING(PyTuple_GET_ITEM(pair, 0));
        Py_ssize_t text_len = PyBytes_GET_SIZE(PyTuple_GET_ITEM(pair, 0));
        const int64_t *at = (const int64_t *)spans.buf;
        Py_ssize_t n_spans = spans.len / (2 * (Py_ssize_t)sizeof(int64_t));
        int ok = first >= 0 && count >= 0 && first + count <= n_spans;
        for (int64_t t = first; ok && t < first + count; t++) {
            int64_t start = at[2 * t], len = at[2 * t + 1];
            if (start < 0 || len < 0 || start + len >= text_len) {
                ok = 0;   /* a tuple's text is followed by its closing quote, inside the text */
                break;
            }
            ok = output_tuple(&o, fmt, index++, (int32_t)ranges[4 * r + 3], text + start,
                              text + start + len);
        }
        PyBuffer_Release(&spans);
        if (!ok) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "scan_lifted: a range outside its source");
            goto done;
        }
    }
    result = output_close(&o);
done:
    output_free(&o);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(strings, fmt, ctx, first_group, contexts) -> dict of column buffers; see the module"},
    {"lift", lift, METH_O, "lift(text) -> (lifted text, spans, counts) or None; see the function"},
    {"scan_lifted", scan_lifted, METH_VARARGS,
     "scan_lifted(sources, ranges, fmt, first_group, contexts) -> as scan(); see the function"},
    {"release", release, METH_NOARGS, "release() frees the memory cached for column buffers"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tuplescan",
    "The native flow-tuple scanner (an accelerator of netwarden.flows.records.parse_tuple).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__tuplescan(void) {
    if (PyType_Ready(&BlockType) < 0) return NULL;
    return PyModule_Create(&module);
}
