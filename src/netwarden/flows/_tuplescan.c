/* The native tuple scanner: one pass from flow-tuple strings to typed column buffers.
 *
 * scan(strings, fmt, ctx, first_group, contexts) reads a list of tuple strings of one
 * format (0 NSG v1, 1 NSG v2, 2 VNet) and writes, for every tuple it accepts, its typed
 * fields into column buffers (little-endian, the layouts Arrow uses). It accepts
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
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SECONDS_BELOW 100000000000LL
#define TIME_MIN_MS 946684800000LL
#define TIME_MAX_MS 4102444800000LL
#define MAX_ENCRYPTIONS 64

/* The helpers read a field at the cursor *p and move it past the field. They rely on the
 * NUL that ends every compact str's data: no digit, letter or comma matches it, so no
 * field runs past the string's end (an embedded NUL ends a field just as early, and the
 * tuple is then rejected, since the caller asks for a comma or the end right there). */

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
        if (cache_count < CACHED) {
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

/* A block of ``size`` bytes: the smallest cached memory that holds it, else new memory;
 * zeroed only where bits or counts are added up in it (the value columns are written in
 * full, row by row). */
static int column_new(column *c, Py_ssize_t size, int zeroed) {
    size = size > 0 ? size : 1;
    Block *b = PyObject_New(Block, &BlockType);
    if (b == NULL) return 0;
    int best = -1;
    for (int i = 0; i < cache_count; i++)
        if (cache_capacity[i] >= size && (best < 0 || cache_capacity[i] < cache_capacity[best])) best = i;
    if (best >= 0) {
        b->data = cache_data[best];
        b->capacity = cache_capacity[best];
        cache_data[best] = cache_data[--cache_count];
        cache_capacity[best] = cache_capacity[cache_count];
    } else {
        b->data = malloc((size_t)size);
        b->capacity = size;
    }
    b->size = size;
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
    C_PS, C_BS, C_PR, C_BR, C_VPS, C_VBS, C_VPR, C_VBR, C_PER_CTX, C_ADDRESSES, C_COUNT
};
static const char *const NAMES[C_COUNT] = {
    "group_id", "ts_ms", "src_ip", "dst_ip", "src_port", "dst_port", "protocol",
    "direction_code", "decision_code", "state_code", "encryption_code",
    "packets_sent", "bytes_sent", "packets_recv", "bytes_recv",
    "packets_sent_valid", "bytes_sent_valid", "packets_recv_valid", "bytes_recv_valid",
    "per_context", "addresses",
};

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *strings;
    int fmt;
    Py_buffer ctx_view;
    long long first_group;
    Py_ssize_t contexts;
    if (!PyArg_ParseTuple(args, "O!iy*Ln", &PyList_Type, &strings, &fmt, &ctx_view,
                          &first_group, &contexts))
        return NULL;
    PyObject *result = NULL, *rejected = NULL, *encryptions = NULL;
    column cols[C_COUNT];
    memset(cols, 0, sizeof cols);
    numbering numbers = {NULL, 0, NULL, 0, 0};
    Py_ssize_t n = PyList_GET_SIZE(strings);
    if (fmt < 0 || fmt > 2 || ctx_view.len != n * (Py_ssize_t)sizeof(int32_t) || contexts < 0) {
        PyErr_SetString(PyExc_ValueError, "scan: bad format, or ctx is not one int32 per string");
        goto done;
    }
    const int32_t *ctx = (const int32_t *)ctx_view.buf;
    static const int widths[C_PER_CTX] = {8, 8, 4, 4, 4, 4, 4, 1, 1, 1, 1, 8, 8, 8, 8, 0, 0, 0, 0};
    for (int c = 0; c < C_PER_CTX; c++)
        if (!column_new(&cols[c], widths[c] ? n * widths[c] : (n + 7) / 8, !widths[c])) goto done;
    if (!column_new(&cols[C_PER_CTX], contexts * 8, 1)) goto done;
    if (!numbering_grow(&numbers)) {
        PyErr_NoMemory();
        goto done;
    }
    rejected = PyList_New(0);
    encryptions = PyList_New(0);
    if (rejected == NULL || encryptions == NULL) goto done;
    const char *enc_text[MAX_ENCRYPTIONS];
    Py_ssize_t enc_len[MAX_ENCRYPTIONS];
    int n_enc = 0;
    int64_t *per_ctx = (int64_t *)cols[C_PER_CTX].data;
    Py_ssize_t m = 0;   /* rows accepted so far */

    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t cid = ctx[i];
        if (cid < 0 || cid >= contexts) {
            PyErr_SetString(PyExc_ValueError, "scan: a ctx outside 0..contexts");
            goto done;
        }
        PyObject *s = PyList_GET_ITEM(strings, i);
        if (!PyUnicode_CheckExact(s) || !PyUnicode_IS_COMPACT_ASCII(s)) goto reject;
        const char *p = (const char *)PyUnicode_DATA(s);
        const char *end = p + PyUnicode_GET_LENGTH(s);
#define COMMA() if (*p++ != ',') goto reject
        int64_t ts, sport, dport, proto;
        uint32_t src, dst;
        int dir, dec, state = -1, enc = -1;
        if (!digits(&p, 13, &ts)) goto reject;
        if (ts < SECONDS_BELOW) ts *= 1000;
        if (ts < TIME_MIN_MS || ts >= TIME_MAX_MS) goto reject;
        COMMA();
        if (!ipv4(&p, &src)) goto reject;
        COMMA();
        if (!ipv4(&p, &dst)) goto reject;
        COMMA();
        if (!digits(&p, 5, &sport) || sport > 65535) goto reject;
        COMMA();
        if (!digits(&p, 5, &dport) || dport > 65535) goto reject;
        COMMA();
        if (fmt == 2) {
            if (!digits(&p, 3, &proto) || proto > 255) goto reject;
        } else {
            int letter = code(&p, "TU");
            if (letter < 0) goto reject;
            proto = letter == 0 ? 6 : 17;
        }
        COMMA();
        if ((dir = code(&p, "IO")) < 0) goto reject;
        COMMA();
        if (fmt == 2) {
            const char *text;
            Py_ssize_t len;
            if ((state = code(&p, "BCED")) < 0) goto reject;
            dec = state == 3;
            COMMA();
            if (!encryption(&p, &text, &len)) goto reject;
            for (enc = 0; enc < n_enc; enc++)
                if (enc_len[enc] == len && memcmp(enc_text[enc], text, len) == 0) break;
            if (enc == n_enc) {
                if (n_enc == MAX_ENCRYPTIONS) goto reject;   /* the reference parser lands it */
                PyObject *found = PyUnicode_FromStringAndSize(text, len);
                if (found == NULL || PyList_Append(encryptions, found) < 0) {
                    Py_XDECREF(found);
                    goto done;
                }
                enc_text[n_enc] = PyUnicode_AsUTF8(found);   /* alive: the list holds it */
                Py_DECREF(found);
                enc_len[n_enc++] = len;
            }
        } else {
            if ((dec = code(&p, "AD")) < 0) goto reject;
            if (fmt == 1) {
                COMMA();
                if ((state = code(&p, "BCE")) < 0) goto reject;
            }
        }
        int64_t counters[4] = {0, 0, 0, 0};
        int valid[4] = {0, 0, 0, 0};
        if (fmt != 0) {
            for (int c = 0; c < 4; c++) {
                COMMA();
                valid[c] = *p != ',' && *p != '\0';
                if (valid[c] && !digits(&p, 18, &counters[c])) goto reject;
            }
        }
        if (p != end) goto reject;
#undef COMMA
        /* accepted: row m */
        for (int c = 0; c < 4; c++) {
            ((int64_t *)cols[C_PS + c].data)[m] = counters[c];
            if (valid[c]) cols[C_VPS + c].data[m >> 3] |= (char)(1u << (m & 7));
        }
        ((int64_t *)cols[C_GROUP].data)[m] = first_group + cid;
        ((int64_t *)cols[C_TS].data)[m] = ts;
        int32_t src_number = number_of(&numbers, src), dst_number = number_of(&numbers, dst);
        if (src_number < 0 || dst_number < 0) {
            PyErr_NoMemory();
            goto done;
        }
        ((int32_t *)cols[C_SRC].data)[m] = src_number;
        ((int32_t *)cols[C_DST].data)[m] = dst_number;
        ((int32_t *)cols[C_SPORT].data)[m] = (int32_t)sport;
        ((int32_t *)cols[C_DPORT].data)[m] = (int32_t)dport;
        ((int32_t *)cols[C_PROTO].data)[m] = (int32_t)proto;
        cols[C_DIR].data[m] = dir;
        cols[C_DEC].data[m] = dec;
        cols[C_STATE].data[m] = state;
        cols[C_ENC].data[m] = enc;
        per_ctx[cid]++;
        m++;
        continue;
    reject:
        {
            PyObject *index = PyLong_FromSsize_t(i);
            if (index == NULL || PyList_Append(rejected, index) < 0) {
                Py_XDECREF(index);
                goto done;
            }
            Py_DECREF(index);
        }
    }
    result = PyDict_New();
    if (result == NULL) goto done;
    PyObject *rows = PyLong_FromSsize_t(m);
    if (rows == NULL || PyDict_SetItemString(result, "rows", rows) < 0 ||
        PyDict_SetItemString(result, "rejected", rejected) < 0 ||
        PyDict_SetItemString(result, "encryptions", encryptions) < 0) {
        Py_XDECREF(rows);
        Py_CLEAR(result);
        goto done;
    }
    Py_DECREF(rows);
    if (!column_new(&cols[C_ADDRESSES], numbers.count * (Py_ssize_t)sizeof(uint32_t), 0)) {
        Py_CLEAR(result);
        goto done;
    }
    memcpy(cols[C_ADDRESSES].data, numbers.addresses, (size_t)numbers.count * sizeof(uint32_t));
    cols[C_ADDRESSES].block->size = numbers.count * (Py_ssize_t)sizeof(uint32_t);
    for (int c = 0; c < C_COUNT; c++) {
        if (PyDict_SetItemString(result, NAMES[c], (PyObject *)cols[c].block) < 0) {
            Py_CLEAR(result);
            goto done;
        }
    }
done:
    for (int c = 0; c < C_COUNT; c++) Py_XDECREF(cols[c].block);
    free(numbers.slots);
    free(numbers.addresses);
    Py_XDECREF(rejected);
    Py_XDECREF(encryptions);
    PyBuffer_Release(&ctx_view);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS,
     "scan(strings, fmt, ctx, first_group, contexts) -> dict of column buffers; see the module"},
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
