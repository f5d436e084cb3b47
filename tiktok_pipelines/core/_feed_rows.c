/* Compiled reader of plain feed items into `feed_products` columns.
 *
 * `Rows.read(item, line, seen, sums)` reads one item element of an lxml iterparse straight from its
 * libxml2 nodes: each field's text, the item's record and its two BLAKE2b hashes, and the row appended to
 * column buffers that tiktok_pipelines.core.feed_table turns into Arrow arrays. It takes only items
 * whose every value is in the plain form that FeedParser._item reads without a regular expression, and
 * that yield no problem; for any other item it returns False having changed nothing, and the item is read
 * by FeedParser._item (the reference) and appended with `Rows.add`. The tests compare both readers.
 *
 * Only struct fields of libxml2's tree and of lxml's element are read (no libxml2 function is called),
 * from the headers that lxml ships, so the module needs lxml and a C compiler to build and nothing else.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <string.h>

#include "_blake2b.h"

/* RECORD_FIELDS of feed.py, in order; the head is [0, 6), the stock and price part [6, 10). */
static const char *RECORD_FIELDS[] = {
    "id", "item_group_id", "title", "description", "link", "image_link", "price", "sale_price",
    "sale_price_effective_date", "availability", "condition", "brand", "gtin", "mpn", "color", "size",
    "gender", "age_group", "material", "pattern", "google_product_category", "product_type",
    "shipping_weight",
};
#define NFIELDS 23
#define HEAD_END 6
#define STOCK_END 10
enum {
    F_ID = 0, F_GROUP = 1, F_TITLE = 2, F_LINK = 4, F_PRICE = 6, F_SALE = 7, F_SALE_DATE = 8,
    F_AVAILABILITY = 9, F_CONDITION = 10, F_BRAND = 11, F_PRODUCT_TYPE = 21, F_WEIGHT = 22,
};
#define SLOT_NONE (-1)
#define SLOT_IMAGES 100
#define SLOT_ATOM_LINK 101
#define SLOT_IGNORE 102

/* FEED_PRODUCTS columns less client_id and snapshot_hash (constant per table), in order. */
enum { K_STR, K_LIST, K_DEC, K_MAP, K_I32 };
static const char *COLUMNS[] = {
    "seller_sku", "item_group_id", "title", "description", "link", "image_link",
    "additional_image_links", "price", "sale_price", "currency", "sale_price_effective_date",
    "availability", "condition", "brand", "gtin", "mpn", "color", "size", "gender", "age_group",
    "material", "pattern", "google_product_category", "product_type", "shipping_weight_kg", "extra",
    "line", "content_hash",
};
static const int KINDS[] = {
    K_STR, K_STR, K_STR, K_STR, K_STR, K_STR, K_LIST, K_DEC, K_DEC, K_STR, K_STR, K_STR, K_STR, K_STR,
    K_STR, K_STR, K_STR, K_STR, K_STR, K_STR, K_STR, K_STR, K_STR, K_STR, K_DEC, K_MAP, K_I32, K_STR,
};
#define NCOLS 28
enum {
    C_SKU = 0, C_IMAGES = 6, C_PRICE = 7, C_SALE = 8, C_CURRENCY = 9, C_SALE_DATE = 10,
    C_AVAILABILITY = 11, C_CONDITION = 12, C_BRAND = 13, C_WEIGHT = 24, C_EXTRA = 25, C_LINE = 26,
    C_HASH = 27,
};

/* lxml's _Element as its public header lays it out; its size is checked against the type's. */
typedef struct {
    PyObject_HEAD
    void *doc;
    xmlNode *c_node;
    PyObject *tag;
} LxmlElementView;

/* ------------------------------------------------------------------ growable buffers */

/* A growable buffer kept in a bytes object, so that a full one is handed to Arrow without a copy. */
typedef struct {
    PyObject *obj;
    char *p;
    Py_ssize_t len, cap;
} buf_t;

static int buf_reserve(buf_t *b, Py_ssize_t extra) {
    if (b->len + extra <= b->cap) return 0;
    Py_ssize_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) cap *= 2;
    if (b->obj == NULL) {
        b->obj = PyBytes_FromStringAndSize(NULL, cap);
    } else if (_PyBytes_Resize(&b->obj, cap) < 0) {
        b->obj = NULL; /* freed by the failed resize */
    }
    if (b->obj == NULL) {
        b->p = NULL;
        b->len = b->cap = 0;
        return -1;
    }
    b->p = PyBytes_AS_STRING(b->obj);
    b->cap = cap;
    return 0;
}

static inline int buf_put(buf_t *b, const void *data, Py_ssize_t n) {
    if (buf_reserve(b, n) < 0) return -1;
    if (n) memcpy(b->p + b->len, data, (size_t)n);
    b->len += n;
    return 0;
}

static inline int buf_byte(buf_t *b, char c) { return buf_put(b, &c, 1); }

static void buf_free(buf_t *b) {
    Py_CLEAR(b->obj);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* The buffer's bytes as a bytes object of their length; the buffer starts over empty. */
static PyObject *buf_take(buf_t *b) {
    if (b->obj == NULL) return PyBytes_FromStringAndSize("", 0);
    PyObject *out = b->obj;
    b->obj = NULL;
    if (_PyBytes_Resize(&out, b->len) < 0) out = NULL;
    b->p = NULL;
    b->len = b->cap = 0;
    return out;
}

/* `items`, an array of `*cap` elements of `size` bytes holding `count`, with room for one more: itself
   while it has room, else moved to twice the capacity (16 at first) and `*cap` updated; NULL with
   MemoryError set, and `items` left as it was, when memory runs out. */
static void *array_room(void *items, Py_ssize_t count, Py_ssize_t *cap, size_t size) {
    if (count < *cap) return items;
    Py_ssize_t grown = *cap ? *cap * 2 : 16;
    void *p = PyMem_Realloc(items, (size_t)grown * size);
    if (!p) {
        PyErr_NoMemory();
        return NULL;
    }
    *cap = grown;
    return p;
}

/* An int32 offset: the end of what `data` holds so far. */
static int put_offset(buf_t *offsets, Py_ssize_t end) {
    if (end > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "a feed_products batch holds more than 2 GB of text in a column");
        return -1;
    }
    int32_t v = (int32_t)end;
    return buf_put(offsets, &v, 4);
}

/* ------------------------------------------------------------------ columns */

typedef struct {
    int kind;
    buf_t data;    /* K_STR: text; K_DEC: 16-byte values; K_I32: 4-byte values */
    buf_t offsets; /* K_STR, K_LIST, K_MAP: n + 1 int32 offsets */
    buf_t valid;   /* K_STR, K_DEC: one byte per row, 1 = present */
    Py_ssize_t nulls;
    buf_t data2, off2; /* K_LIST: the strings; K_MAP: the keys */
    buf_t data3, off3; /* K_MAP: the values */
} column_t;

static int column_reset(column_t *c) {
    c->data.len = c->offsets.len = c->valid.len = 0;
    c->data2.len = c->off2.len = c->data3.len = c->off3.len = 0;
    c->nulls = 0;
    if (c->kind == K_STR || c->kind == K_LIST || c->kind == K_MAP) {
        if (put_offset(&c->offsets, 0) < 0) return -1;
    }
    if (c->kind == K_LIST || c->kind == K_MAP) {
        if (put_offset(&c->off2, 0) < 0) return -1;
    }
    if (c->kind == K_MAP) {
        if (put_offset(&c->off3, 0) < 0) return -1;
    }
    return 0;
}

static void column_free(column_t *c) {
    buf_free(&c->data);
    buf_free(&c->offsets);
    buf_free(&c->valid);
    buf_free(&c->data2);
    buf_free(&c->off2);
    buf_free(&c->data3);
    buf_free(&c->off3);
}

static int col_str(column_t *c, const char *p, Py_ssize_t n) {
    if (buf_put(&c->data, p, n) < 0 || put_offset(&c->offsets, c->data.len) < 0) return -1;
    return buf_byte(&c->valid, 1);
}

static int col_null(column_t *c) {
    c->nulls++;
    if (c->kind == K_STR) {
        if (put_offset(&c->offsets, c->data.len) < 0) return -1;
    } else if (c->kind == K_DEC) {
        static const char zero[16] = {0};
        if (buf_put(&c->data, zero, 16) < 0) return -1;
    }
    return buf_byte(&c->valid, 0);
}

static int col_dec(column_t *c, int64_t unscaled) {
    unsigned char v[16];
    uint64_t lo = (uint64_t)unscaled;
    uint64_t hi = unscaled < 0 ? UINT64_MAX : 0;
    int i;
    for (i = 0; i < 8; i++) {
        v[i] = (unsigned char)(lo >> (8 * i));
        v[8 + i] = (unsigned char)(hi >> (8 * i));
    }
    if (buf_put(&c->data, v, 16) < 0) return -1;
    return buf_byte(&c->valid, 1);
}

static int col_i32(column_t *c, long v) {
    if (v < INT32_MIN || v > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "line number out of int32 range");
        return -1;
    }
    int32_t x = (int32_t)v;
    return buf_put(&c->data, &x, 4);
}

/* ------------------------------------------------------------------ text */

typedef struct {
    const char *p;
    Py_ssize_t n;
} text_t;

/* What str.isspace() says of a code point (str.strip() removes these at both ends). */
static inline int is_space_cp(uint32_t cp) {
    if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20);
    return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* The code point that starts at s (valid UTF-8, as libxml2 keeps text), and its length in bytes. */
static inline uint32_t utf8_at(const unsigned char *s, Py_ssize_t n, int *len) {
    unsigned char c = s[0];
    if (c < 0x80 || n < 2) {
        *len = 1;
        return c;
    }
    if (c < 0xe0) {
        *len = 2;
        return ((uint32_t)(c & 0x1f) << 6) | (s[1] & 0x3f);
    }
    if (c < 0xf0 || n < 4) {
        *len = n < 3 ? (int)n : 3;
        return n < 3 ? 0 : ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
    }
    *len = 4;
    return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) | ((uint32_t)(s[2] & 0x3f) << 6) |
           (s[3] & 0x3f);
}

/* Python's str.strip() on UTF-8 text. */
static text_t strip(text_t t) {
    const unsigned char *s = (const unsigned char *)t.p;
    Py_ssize_t a = 0, b = t.n;
    while (a < b) {
        int len;
        uint32_t cp = utf8_at(s + a, b - a, &len);
        if (!is_space_cp(cp)) break;
        a += len;
    }
    while (b > a) {
        Py_ssize_t start = b - 1;
        while (start > a && (s[start] & 0xc0) == 0x80) start--;
        int len;
        uint32_t cp = utf8_at(s + start, b - start, &len);
        if (!is_space_cp(cp)) break;
        b = start;
    }
    text_t out = {t.p + a, b - a};
    return out;
}

/* ------------------------------------------------------------------ tag lookup */

#define TAB_SIZE 128
typedef struct {
    char *name[TAB_SIZE];
    int slot[TAB_SIZE];
} tagtab_t;

enum { NS_NONE = 0, NS_G = 1, NS_ATOM = 2, NS_OTHER = 3 };

static inline uint32_t fnv1a(const unsigned char *s) {
    uint32_t h = 2166136261u;
    while (*s) {
        h ^= *s++;
        h *= 16777619u;
    }
    return h;
}

static int tab_lookup(const tagtab_t *t, const xmlChar *name) {
    uint32_t i = fnv1a(name) & (TAB_SIZE - 1);
    while (t->name[i]) {
        if (strcmp(t->name[i], (const char *)name) == 0) return t->slot[i];
        i = (i + 1) & (TAB_SIZE - 1);
    }
    return SLOT_NONE;
}

static int tab_insert(tagtab_t *t, const char *name, int slot) {
    uint32_t i = fnv1a((const unsigned char *)name) & (TAB_SIZE - 1);
    int probes = 0;
    while (t->name[i]) {
        if (strcmp(t->name[i], name) == 0) return 0; /* first entry wins, as in a dict built once */
        i = (i + 1) & (TAB_SIZE - 1);
        if (++probes >= TAB_SIZE) {
            PyErr_SetString(PyExc_ValueError, "too many feed tags");
            return -1;
        }
    }
    size_t n = strlen(name) + 1;
    t->name[i] = PyMem_Malloc(n);
    if (!t->name[i]) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(t->name[i], name, n);
    t->slot[i] = slot;
    return 0;
}

static void tab_free(tagtab_t *t) {
    int i;
    for (i = 0; i < TAB_SIZE; i++) {
        PyMem_Free(t->name[i]);
        t->name[i] = NULL;
    }
}

static const char HEX[] = "0123456789abcdef";

/* ------------------------------------------------------------------ indexes keyed by text */

/* A hash table from byte strings to a fixed-size payload: the slots hold entry numbers (4 bytes), the
 * entries the key's hash, where its bytes are and the payload, the keys' bytes sit in one buffer. Exact:
 * keys are compared byte for byte. Nothing is ever removed. */
typedef struct {
    uint32_t *slots; /* entry number + 1; 0 = empty */
    Py_ssize_t cap;  /* slots, a power of two */
    char *entries;
    Py_ssize_t count, entry_cap, entry_size; /* entry: uint64 hash, uint32 key offset, payload */
    buf_t keys;                              /* each key: uint32 length, then its bytes */
} table_t;

#define ENTRY_HEAD 12

static inline uint64_t hash_bytes(const char *p, Py_ssize_t n) {
    uint64_t h = 14695981039346656037ULL;
    Py_ssize_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33; /* spread the low bits the slots are chosen by */
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static inline char *entry_at(const table_t *t, Py_ssize_t i) { return t->entries + i * t->entry_size; }

static inline uint64_t entry_hash(const char *e) {
    uint64_t h;
    memcpy(&h, e, 8);
    return h;
}

static inline const char *entry_key(const table_t *t, const char *e, Py_ssize_t *n) {
    uint32_t at, len;
    memcpy(&at, e + 8, 4);
    memcpy(&len, t->keys.p + at, 4);
    *n = len;
    return t->keys.p + at + 4;
}

/* The slot where key p[:n] is or would go. */
static uint32_t *table_slot(const table_t *t, const char *p, Py_ssize_t n, uint64_t h) {
    Py_ssize_t mask = t->cap - 1, i = (Py_ssize_t)(h & (uint64_t)mask);
    for (;; i = (i + 1) & mask) {
        uint32_t *s = &t->slots[i];
        if (*s == 0) return s;
        const char *e = entry_at(t, *s - 1);
        if (entry_hash(e) == h) {
            Py_ssize_t len;
            const char *key = entry_key(t, e, &len);
            if (len == n && memcmp(key, p, (size_t)n) == 0) return s;
        }
    }
}

/* The payload of key p[:n], or NULL. */
static char *table_get(const table_t *t, const char *p, Py_ssize_t n) {
    if (!t->count) return NULL;
    uint32_t *s = table_slot(t, p, n, hash_bytes(p, n));
    return *s ? entry_at(t, *s - 1) + ENTRY_HEAD : NULL;
}

static int table_grow(table_t *t) {
    Py_ssize_t cap = t->cap ? t->cap * 2 : 1024, i;
    uint32_t *slots = PyMem_Calloc((size_t)cap, sizeof(uint32_t));
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    for (i = 0; i < t->count; i++) {
        Py_ssize_t j = (Py_ssize_t)(entry_hash(entry_at(t, i)) & (uint64_t)(cap - 1));
        while (slots[j]) j = (j + 1) & (cap - 1);
        slots[j] = (uint32_t)(i + 1);
    }
    PyMem_Free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

/* The payload of key p[:n], added (zeroed) if it is new; *added says which. NULL on error. */
static char *table_put(table_t *t, const char *p, Py_ssize_t n, int *added) {
    if (n > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "key too long");
        return NULL;
    }
    if (t->count * 2 >= t->cap && table_grow(t) < 0) return NULL; /* at most half full */
    uint64_t h = hash_bytes(p, n);
    uint32_t *s = table_slot(t, p, n, h);
    *added = !*s;
    if (*s) return entry_at(t, *s - 1) + ENTRY_HEAD;
    if (t->count >= UINT32_MAX - 1 || t->keys.len + 4 + n >= UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "index full");
        return NULL;
    }
    if (t->count == t->entry_cap) {
        Py_ssize_t cap = t->entry_cap ? t->entry_cap * 2 : 1024;
        char *entries = PyMem_Realloc(t->entries, (size_t)(cap * t->entry_size));
        if (!entries) {
            PyErr_NoMemory();
            return NULL;
        }
        t->entries = entries;
        t->entry_cap = cap;
    }
    uint32_t at = (uint32_t)t->keys.len, len = (uint32_t)n;
    if (buf_put(&t->keys, &len, 4) < 0 || buf_put(&t->keys, p, n) < 0) return NULL;
    char *e = entry_at(t, t->count);
    memcpy(e, &h, 8);
    memcpy(e + 8, &at, 4);
    memset(e + ENTRY_HEAD, 0, (size_t)(t->entry_size - ENTRY_HEAD));
    *s = (uint32_t)(++t->count);
    return e + ENTRY_HEAD;
}

static void table_free(table_t *t) {
    PyMem_Free(t->slots);
    PyMem_Free(t->entries);
    buf_free(&t->keys);
    t->slots = NULL;
    t->entries = NULL;
    t->cap = t->count = t->entry_cap = 0;
}

static Py_ssize_t table_bytes(const table_t *t) {
    return t->cap * (Py_ssize_t)sizeof(uint32_t) + t->entry_cap * t->entry_size + t->keys.cap;
}

/* ------------------------------------------------------------------ the seen-SKU index */

/* The SKUs read so far, each with the line it was first seen at: what FeedParser keeps in a dict
 * (`_seen`), in ~35 bytes per SKU instead of ~130. */
typedef struct {
    PyObject_HEAD
    table_t t; /* payload: int32 line */
} SkuIndex;

static long index_get(SkuIndex *ix, const char *p, Py_ssize_t n) {
    const char *payload = table_get(&ix->t, p, n);
    if (!payload) return -1;
    int32_t line;
    memcpy(&line, payload, 4);
    return line;
}

static int index_put(SkuIndex *ix, const char *p, Py_ssize_t n, long line) {
    if (line < 0 || line > INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "line out of range");
        return -1;
    }
    int added;
    char *payload = table_put(&ix->t, p, n, &added);
    if (!payload) return -1;
    int32_t v = (int32_t)line;
    memcpy(payload, &v, 4);
    return 0;
}

static int SkuIndex_init(SkuIndex *ix, PyObject *args, PyObject *kwargs) {
    if (!PyArg_ParseTuple(args, "")) return -1;
    table_free(&ix->t);
    ix->t.entry_size = ENTRY_HEAD + 4;
    return 0;
}

static void SkuIndex_dealloc(SkuIndex *ix) {
    table_free(&ix->t);
    Py_TYPE(ix)->tp_free((PyObject *)ix);
}

static PyObject *SkuIndex_get(SkuIndex *ix, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get(sku, default=None)");
        return NULL;
    }
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(args[0], &n);
    if (!p) return NULL;
    long line = index_get(ix, p, n);
    if (line >= 0) return PyLong_FromLong(line);
    PyObject *dflt = nargs == 2 ? args[1] : Py_None;
    Py_INCREF(dflt);
    return dflt;
}

static int SkuIndex_ass(SkuIndex *ix, PyObject *key, PyObject *value) {
    if (value == NULL) {
        PyErr_SetString(PyExc_TypeError, "SKUs are never removed from the index");
        return -1;
    }
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(key, &n);
    if (!p) return -1;
    long line = PyLong_AsLong(value);
    if (line == -1 && PyErr_Occurred()) return -1;
    return index_put(ix, p, n, line);
}

static PyObject *SkuIndex_subscript(SkuIndex *ix, PyObject *key) {
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(key, &n);
    if (!p) return NULL;
    long line = index_get(ix, p, n);
    if (line < 0) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return PyLong_FromLong(line);
}

static int SkuIndex_contains(SkuIndex *ix, PyObject *key) {
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(key, &n);
    if (!p) return -1;
    return index_get(ix, p, n) >= 0;
}

static Py_ssize_t SkuIndex_len(SkuIndex *ix) { return ix->t.count; }

static PyObject *SkuIndex_sizeof(SkuIndex *ix, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromSsize_t((Py_ssize_t)sizeof(SkuIndex) + table_bytes(&ix->t));
}

static PyMethodDef SkuIndex_methods[] = {
    {"get", (PyCFunction)(void (*)(void))SkuIndex_get, METH_FASTCALL, "get(sku, default=None) -> line"},
    {"__sizeof__", (PyCFunction)SkuIndex_sizeof, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods SkuIndex_as_mapping = {
    .mp_length = (lenfunc)SkuIndex_len,
    .mp_subscript = (binaryfunc)SkuIndex_subscript,
    .mp_ass_subscript = (objobjargproc)SkuIndex_ass,
};

static PySequenceMethods SkuIndex_as_sequence = {
    .sq_contains = (objobjproc)SkuIndex_contains,
};

static PyTypeObject SkuIndexType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tiktok_pipelines.core._feed_rows.SkuIndex",
    .tp_basicsize = sizeof(SkuIndex),
    .tp_dealloc = (destructor)SkuIndex_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "SKU -> the line it was first seen at (index[sku] = line, index.get(sku), sku in index).",
    .tp_methods = SkuIndex_methods,
    .tp_as_mapping = &SkuIndex_as_mapping,
    .tp_as_sequence = &SkuIndex_as_sequence,
    .tp_init = (initproc)SkuIndex_init,
    .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------------ product hashes */

/* catalog_diff.ProductHashes in C: product key -> the sum (mod 2**128) of its SKUs' content hashes. */
typedef struct {
    PyObject_HEAD
    table_t t; /* payload: unsigned __int128 sum */
} ProductSums;

static int sums_add(ProductSums *ps, const char *key, Py_ssize_t n, const unsigned char digest[16]) {
    int added, i;
    char *payload = table_put(&ps->t, key, n, &added);
    if (!payload) return -1;
    unsigned __int128 sum, h = 0;
    memcpy(&sum, payload + 4, 16); /* after 4 bytes of padding */
    for (i = 0; i < 16; i++) h = (h << 8) | digest[i];
    sum += h;
    memcpy(payload + 4, &sum, 16);
    return 0;
}

static int ProductSums_init(ProductSums *ps, PyObject *args, PyObject *kwargs) {
    if (!PyArg_ParseTuple(args, "")) return -1;
    table_free(&ps->t);
    ps->t.entry_size = ENTRY_HEAD + 4 + 16; /* 4 bytes of padding, the sum (always copied, never aligned) */
    return 0;
}

static void ProductSums_dealloc(ProductSums *ps) {
    table_free(&ps->t);
    Py_TYPE(ps)->tp_free((PyObject *)ps);
}

static int hex_digest(PyObject *hex, unsigned char digest[16]) {
    Py_ssize_t n, i;
    const char *p = PyUnicode_AsUTF8AndSize(hex, &n);
    if (!p) return -1;
    if (n != 32) goto bad;
    for (i = 0; i < 32; i++) {
        char c = p[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0) goto bad;
        if (i % 2 == 0)
            digest[i / 2] = (unsigned char)(v << 4);
        else
            digest[i / 2] |= (unsigned char)v;
    }
    return 0;
bad:
    PyErr_SetString(PyExc_ValueError, "a content hash is 32 hex digits");
    return -1;
}

/* add(seller_sku, item_group_id, content_hash), as ProductHashes.add */
static PyObject *ProductSums_add(ProductSums *ps, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "add(seller_sku, item_group_id, content_hash)");
        return NULL;
    }
    PyObject *key = args[1];
    if (key == Py_None || (PyUnicode_Check(key) && PyUnicode_GET_LENGTH(key) == 0)) key = args[0];
    unsigned char digest[16];
    if (hex_digest(args[2], digest) < 0) return NULL;
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(key, &n);
    if (!p || sums_add(ps, p, n, digest) < 0) return NULL;
    Py_RETURN_NONE;
}

/* Entry i's key and its hash as 32 hex digits. */
static PyObject *sums_key(ProductSums *ps, Py_ssize_t i) {
    Py_ssize_t n;
    const char *key = entry_key(&ps->t, entry_at(&ps->t, i), &n);
    return PyUnicode_DecodeUTF8(key, n, NULL);
}

static PyObject *sums_hex(const char *payload) {
    unsigned __int128 sum;
    memcpy(&sum, payload + 4, 16);
    char hex[32];
    int k;
    for (k = 31; k >= 0; k--, sum >>= 4) hex[k] = HEX[(unsigned)(sum & 15)];
    return PyUnicode_FromStringAndSize(hex, 32);
}

/* hexdigests() -> {product key: hash as 32 hex digits}, as ProductHashes.hexdigests */
static PyObject *ProductSums_hexdigests(ProductSums *ps, PyObject *Py_UNUSED(ignored)) {
    PyObject *out = PyDict_New();
    Py_ssize_t i;
    if (!out) return NULL;
    for (i = 0; i < ps->t.count; i++) {
        PyObject *k_obj = sums_key(ps, i), *v_obj = sums_hex(entry_at(&ps->t, i) + ENTRY_HEAD);
        int err = !k_obj || !v_obj || PyDict_SetItem(out, k_obj, v_obj) < 0;
        Py_XDECREF(k_obj);
        Py_XDECREF(v_obj);
        if (err) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

/* Read as a mapping, it is what hexdigests() returns, each hash made when it is asked for. */
static PyObject *ProductSums_subscript(ProductSums *ps, PyObject *key) {
    Py_ssize_t n;
    const char *p = PyUnicode_Check(key) ? PyUnicode_AsUTF8AndSize(key, &n) : NULL;
    if (!p && PyErr_Occurred()) return NULL;
    const char *payload = p ? table_get(&ps->t, p, n) : NULL;
    if (!payload) {
        PyErr_SetObject(PyExc_KeyError, key);
        return NULL;
    }
    return sums_hex(payload);
}

static int ProductSums_contains(ProductSums *ps, PyObject *key) {
    if (!PyUnicode_Check(key)) return 0;
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(key, &n);
    if (!p) return -1;
    return table_get(&ps->t, p, n) != NULL;
}

typedef struct {
    PyObject_HEAD
    ProductSums *ps;
    Py_ssize_t i;
    int items; /* 0: keys; 1: (key, hash) pairs */
} SumsIter;

static void SumsIter_dealloc(SumsIter *it) {
    Py_XDECREF(it->ps);
    PyObject_Free(it);
}

static PyObject *SumsIter_next(SumsIter *it) {
    if (it->i >= it->ps->t.count) return NULL;
    Py_ssize_t i = it->i++;
    PyObject *key = sums_key(it->ps, i);
    if (!key || !it->items) return key;
    PyObject *hex = sums_hex(entry_at(&it->ps->t, i) + ENTRY_HEAD);
    if (!hex) {
        Py_DECREF(key);
        return NULL;
    }
    return Py_BuildValue("(NN)", key, hex);
}

static PyTypeObject SumsIterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tiktok_pipelines.core._feed_rows.ProductSumsIterator",
    .tp_basicsize = sizeof(SumsIter),
    .tp_dealloc = (destructor)SumsIter_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)SumsIter_next,
};

static PyObject *sums_iter(ProductSums *ps, int items) {
    SumsIter *it = PyObject_New(SumsIter, &SumsIterType);
    if (!it) return NULL;
    Py_INCREF(ps);
    it->ps = ps;
    it->i = 0;
    it->items = items;
    return (PyObject *)it;
}

static PyObject *ProductSums_iter(ProductSums *ps) { return sums_iter(ps, 0); }
static PyObject *ProductSums_items(ProductSums *ps, PyObject *Py_UNUSED(ignored)) { return sums_iter(ps, 1); }
static PyObject *ProductSums_keys(ProductSums *ps, PyObject *Py_UNUSED(ignored)) { return sums_iter(ps, 0); }

static Py_ssize_t ProductSums_len(ProductSums *ps) { return ps->t.count; }

static PyObject *ProductSums_sizeof(ProductSums *ps, PyObject *Py_UNUSED(ignored)) {
    return PyLong_FromSsize_t((Py_ssize_t)sizeof(ProductSums) + table_bytes(&ps->t));
}

static PyMethodDef ProductSums_methods[] = {
    {"add", (PyCFunction)(void (*)(void))ProductSums_add, METH_FASTCALL,
     "add(seller_sku, item_group_id, content_hash)"},
    {"hexdigests", (PyCFunction)ProductSums_hexdigests, METH_NOARGS, "{product key: product hash}"},
    {"items", (PyCFunction)ProductSums_items, METH_NOARGS, "(product key, product hash) pairs, one at a time"},
    {"keys", (PyCFunction)ProductSums_keys, METH_NOARGS, "the product keys, one at a time"},
    {"__sizeof__", (PyCFunction)ProductSums_sizeof, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods ProductSums_as_sequence = {
    .sq_length = (lenfunc)ProductSums_len,
    .sq_contains = (objobjproc)ProductSums_contains,
};

static PyMappingMethods ProductSums_as_mapping = {
    .mp_length = (lenfunc)ProductSums_len,
    .mp_subscript = (binaryfunc)ProductSums_subscript,
};

static PyTypeObject ProductSumsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tiktok_pipelines.core._feed_rows.ProductSums",
    .tp_basicsize = sizeof(ProductSums),
    .tp_dealloc = (destructor)ProductSums_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "catalog_diff.ProductHashes kept in C: add(sku, group, content_hash), len(), hexdigests(); "
              "read as a mapping, product key -> product hash (what hexdigests() holds).",
    .tp_methods = ProductSums_methods,
    .tp_as_sequence = &ProductSums_as_sequence,
    .tp_as_mapping = &ProductSums_as_mapping,
    .tp_iter = (getiterfunc)ProductSums_iter,
    .tp_init = (initproc)ProductSums_init,
    .tp_new = PyType_GenericNew,
};

/* ------------------------------------------------------------------ the Rows type */

typedef struct {
    text_t key, value;
} pair_t;

#define MAX_OWNED 32
#define MAX_AVAILABILITY 64
#define MAX_STOCK_EXTRA 16

typedef struct {
    PyObject_HEAD
    PyTypeObject *element_type;
    char *g_ns, *atom_ns;
    tagtab_t tabs[3]; /* NS_NONE, NS_G, NS_ATOM */
    int navailability;
    char *availability_from[MAX_AVAILABILITY], *availability_to[MAX_AVAILABILITY];
    int nstock_extra;
    char *stock_extra[MAX_STOCK_EXTRA];
    column_t cols[NCOLS];
    Py_ssize_t rows, items;
    unsigned __int128 catalog_sum;
    /* one item's values while it is read */
    text_t fields[NFIELDS];
    unsigned char set[NFIELDS];
    text_t *images;
    Py_ssize_t nimages, cap_images;
    pair_t *extra;
    Py_ssize_t nextra, cap_extra;
    char *owned[MAX_OWNED];
    int nowned;
    buf_t head, stock, tail, scratch;
} Rows;

static void release_owned(Rows *r) {
    int i;
    for (i = 0; i < r->nowned; i++) PyMem_Free(r->owned[i]);
    r->nowned = 0;
}

static int reset_columns(Rows *r) {
    int i;
    for (i = 0; i < NCOLS; i++) {
        if (column_reset(&r->cols[i]) < 0) return -1;
    }
    r->rows = 0;
    return 0;
}

static void Rows_dealloc(Rows *r) {
    int i;
    Py_XDECREF(r->element_type);
    PyMem_Free(r->g_ns);
    PyMem_Free(r->atom_ns);
    for (i = 0; i < 3; i++) tab_free(&r->tabs[i]);
    for (i = 0; i < r->navailability; i++) {
        PyMem_Free(r->availability_from[i]);
        PyMem_Free(r->availability_to[i]);
    }
    for (i = 0; i < r->nstock_extra; i++) PyMem_Free(r->stock_extra[i]);
    for (i = 0; i < NCOLS; i++) column_free(&r->cols[i]);
    PyMem_Free(r->images);
    PyMem_Free(r->extra);
    release_owned(r);
    buf_free(&r->head);
    buf_free(&r->stock);
    buf_free(&r->tail);
    buf_free(&r->scratch);
    Py_TYPE(r)->tp_free((PyObject *)r);
}

static char *copy_utf8(PyObject *s) {
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    if (!p) return NULL;
    char *out = PyMem_Malloc((size_t)n + 1);
    if (!out) {
        PyErr_NoMemory();
        return NULL;
    }
    memcpy(out, p, (size_t)n + 1);
    return out;
}

/* Rows(element_type, g_ns, atom_ns, tags, availability, stock_extra)
 *   tags: (namespace or None, local name, slot) — slot: a RECORD_FIELDS index, 100 additional images,
 *         101 Atom link, 102 read and ignored;
 *   availability: (lowercased feed value, normalized value) pairs; stock_extra: extra names that make
 *   an item's catalog hash differ from the usual split (left to Python). */
static int Rows_init(Rows *r, PyObject *args, PyObject *kwargs) {
    PyObject *element_type, *g_ns, *atom_ns, *tags, *availability, *stock_extra;
    Py_ssize_t i;
    if (!PyArg_ParseTuple(args, "O!UUO!O!O!", &PyType_Type, &element_type, &g_ns, &atom_ns, &PyList_Type,
                          &tags, &PyList_Type, &availability, &PyList_Type, &stock_extra))
        return -1;
    if (((PyTypeObject *)element_type)->tp_basicsize != (Py_ssize_t)sizeof(LxmlElementView)) {
        PyErr_SetString(PyExc_TypeError, "lxml's _Element is not laid out as this module was built for");
        return -1;
    }
    Py_INCREF(element_type);
    r->element_type = (PyTypeObject *)element_type;
    if (!(r->g_ns = copy_utf8(g_ns)) || !(r->atom_ns = copy_utf8(atom_ns))) return -1;
    for (i = 0; i < PyList_GET_SIZE(tags); i++) {
        PyObject *ns, *local;
        int slot;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(tags, i), "OUi", &ns, &local, &slot)) return -1;
        int cls = NS_NONE;
        if (ns != Py_None) {
            const char *href = PyUnicode_AsUTF8(ns);
            if (!href) return -1;
            if (strcmp(href, r->g_ns) == 0)
                cls = NS_G;
            else if (strcmp(href, r->atom_ns) == 0)
                cls = NS_ATOM;
            else {
                PyErr_Format(PyExc_ValueError, "tag namespace %s is neither Google's nor Atom's", href);
                return -1;
            }
        }
        if (!((slot >= 0 && slot < NFIELDS) || slot == SLOT_IMAGES || slot == SLOT_ATOM_LINK ||
              slot == SLOT_IGNORE)) {
            PyErr_Format(PyExc_ValueError, "unknown tag slot %d", slot);
            return -1;
        }
        const char *name = PyUnicode_AsUTF8(local);
        if (!name || tab_insert(&r->tabs[cls], name, slot) < 0) return -1;
    }
    for (i = 0; i < PyList_GET_SIZE(availability); i++) {
        PyObject *from, *to;
        if (r->navailability >= MAX_AVAILABILITY) {
            PyErr_SetString(PyExc_ValueError, "too many availability values");
            return -1;
        }
        if (!PyArg_ParseTuple(PyList_GET_ITEM(availability, i), "UU", &from, &to)) return -1;
        char *f = copy_utf8(from), *t = f ? copy_utf8(to) : NULL;
        if (!t) {
            PyMem_Free(f);
            return -1;
        }
        r->availability_from[r->navailability] = f;
        r->availability_to[r->navailability++] = t;
    }
    for (i = 0; i < PyList_GET_SIZE(stock_extra); i++) {
        PyObject *name = PyList_GET_ITEM(stock_extra, i);
        if (r->nstock_extra >= MAX_STOCK_EXTRA || !PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_ValueError, "stock_extra: a short list of names");
            return -1;
        }
        if (!(r->stock_extra[r->nstock_extra] = copy_utf8(name))) return -1;
        r->nstock_extra++;
    }
    for (i = 0; i < NCOLS; i++) r->cols[i].kind = KINDS[i];
    return reset_columns(r);
}

static int own(Rows *r, char *p) {
    if (r->nowned >= MAX_OWNED) {
        PyMem_Free(p);
        return -1;
    }
    r->owned[r->nowned++] = p;
    return 0;
}

/* What lxml reads as the text of an element that holds no markup: its text and CDATA children joined.
 * 1: text (maybe empty); 0: no text at all; 2: the element holds markup (elements, comments...);
 * -1: anything else, left to Python (a Python error is set only when memory ran out). */
static int element_text(Rows *r, xmlNode *el, text_t *out) {
    xmlNode *c = el->children;
    int count = 0;
    Py_ssize_t total = 0;
    for (; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            count++;
            if (c->content) total += (Py_ssize_t)strlen((const char *)c->content);
        } else if (c->type == XML_ELEMENT_NODE || c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE ||
                   c->type == XML_ENTITY_REF_NODE) {
            return 2;
        } else {
            return -1;
        }
    }
    if (count == 0) return 0;
    c = el->children;
    if (count == 1) {
        out->p = c->content ? (const char *)c->content : "";
        out->n = total;
        return 1;
    }
    char *joined = PyMem_Malloc((size_t)total + 1);
    if (!joined) {
        PyErr_NoMemory();
        return -1;
    }
    if (own(r, joined) < 0) return -1;
    Py_ssize_t at = 0;
    for (; c; c = c->next) {
        if (c->content) {
            size_t n = strlen((const char *)c->content);
            memcpy(joined + at, c->content, n);
            at += (Py_ssize_t)n;
        }
    }
    out->p = joined;
    out->n = total;
    return 1;
}

/* The value of an attribute without namespace: 1 found, 0 absent, -1 left to Python. */
static int attribute(Rows *r, xmlNode *el, const char *name, text_t *out) {
    xmlAttr *a;
    for (a = el->properties; a; a = a->next) {
        if (a->ns == NULL && strcmp((const char *)a->name, name) == 0) {
            xmlNode *c = a->children;
            if (c == NULL) {
                out->p = "";
                out->n = 0;
                return 1;
            }
            if (c->next != NULL || c->type != XML_TEXT_NODE) return -1;
            out->p = c->content ? (const char *)c->content : "";
            out->n = (Py_ssize_t)strlen(out->p);
            return 1;
        }
    }
    (void)r;
    return 0;
}

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* parse_price's first test: '199.90 BRL' (1 to 8 whole digits, exactly 2 decimals, a space, 3 letters),
 * not zero. 1 and the price in cents and the currency upper-cased; 0 for anything else. */
static int plain_price(text_t t, int64_t *cents, char currency[3]) {
    const char *space = memchr(t.p, ' ', (size_t)t.n);
    if (!space) return 0;
    Py_ssize_t nlen = space - t.p, clen = t.n - nlen - 1;
    if (clen != 3) return 0;
    int i;
    for (i = 0; i < 3; i++) {
        char c = space[1 + i];
        if (!is_alpha(c)) return 0;
        currency[i] = (char)(c >= 'a' ? c - 32 : c);
    }
    const char *dot = memchr(t.p, '.', (size_t)nlen);
    if (!dot) return 0;
    Py_ssize_t whole = dot - t.p;
    if (whole < 1 || whole > 8 || nlen - whole - 1 != 2) return 0;
    int64_t v = 0;
    for (i = 0; i < whole; i++) {
        if (!is_digit(t.p[i])) return 0;
        v = v * 10 + (t.p[i] - '0');
    }
    if (!is_digit(dot[1]) || !is_digit(dot[2])) return 0;
    v = v * 100 + (dot[1] - '0') * 10 + (dot[2] - '0');
    if (v == 0) return 0;
    *cents = v;
    return 1;
}

/* A weight in kilograms as parse_weight_kg reads '6 kg', '6.6 kg' or '6.602 kg' (ASCII digits, at most 3
 * decimals: read exactly, so its regular expression and its first test give the same value), within
 * 0 to 1000 kg. 1 and the weight in grams; 0 for anything else. */
static int plain_weight(text_t t, int64_t *grams) {
    if (t.n < 4 || memcmp(t.p + t.n - 3, " kg", 3) != 0) return 0;
    Py_ssize_t nlen = t.n - 3;
    if (memchr(t.p, ' ', (size_t)nlen)) return 0;
    const char *dot = memchr(t.p, '.', (size_t)nlen);
    Py_ssize_t whole = dot ? dot - t.p : nlen, decimals = dot ? nlen - whole - 1 : 0;
    if (whole < 1 || (dot && (decimals < 1 || decimals > 3))) return 0;
    int64_t v = 0;
    Py_ssize_t i;
    for (i = 0; i < whole; i++) {
        if (!is_digit(t.p[i])) return 0;
        v = v * 10 + (t.p[i] - '0');
        if (v > 1000) return 0;
    }
    int64_t scale = 100;
    v *= 1000;
    for (i = 1; i <= decimals; i++, scale /= 10) {
        if (!is_digit(dot[i])) return 0;
        v += (dot[i] - '0') * scale;
    }
    if (v > 1000000) return 0;
    *grams = v;
    return 1;
}

/* ASCII text lower-cased into `out` (at most 63 bytes): 0 when it is longer or not ASCII. */
static int ascii_lower(text_t t, char *out) {
    Py_ssize_t i;
    if (t.n > 63) return 0;
    for (i = 0; i < t.n; i++) {
        unsigned char c = (unsigned char)t.p[i];
        if (c >= 0x80) return 0;
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[t.n] = 0;
    return 1;
}

static int put_field(buf_t *b, const Rows *r, int f) {
    return r->set[f] ? buf_put(b, r->fields[f].p, r->fields[f].n) : 0;
}

static int text_cmp(text_t a, text_t b) {
    Py_ssize_t n = a.n < b.n ? a.n : b.n;
    int c = memcmp(a.p, b.p, (size_t)n);
    if (c) return c;
    return a.n < b.n ? -1 : a.n > b.n;
}

/* The record parts of feed.py's _record_parts: head, stock and price part, tail. */
static int build_record(Rows *r) {
    int f;
    Py_ssize_t i, j;
    r->head.len = r->stock.len = r->tail.len = 0;
    for (f = 0; f < NFIELDS; f++) {
        buf_t *b = f < HEAD_END ? &r->head : f < STOCK_END ? &r->stock : &r->tail;
        if (f != 0 && f != HEAD_END && f != STOCK_END && buf_byte(b, '\x1f') < 0) return -1;
        if (put_field(b, r, f) < 0) return -1;
    }
    for (i = 0; i < r->nimages; i++) {
        if (buf_byte(&r->tail, '\x1e') < 0 || buf_put(&r->tail, r->images[i].p, r->images[i].n) < 0) return -1;
    }
    if (r->nextra) {
        /* sorted by name: code point order is UTF-8 byte order (a few names: insertion sort) */
        Py_ssize_t order[64];
        if (r->nextra > 64) return 1;
        for (i = 0; i < r->nextra; i++) {
            Py_ssize_t k = i;
            while (k > 0 && text_cmp(r->extra[order[k - 1]].key, r->extra[i].key) > 0) {
                order[k] = order[k - 1];
                k--;
            }
            order[k] = i;
        }
        if (buf_byte(&r->tail, '\x1d') < 0) return -1;
        for (j = 0; j < r->nextra; j++) {
            pair_t *p = &r->extra[order[j]];
            if ((j && buf_byte(&r->tail, '\x1e') < 0) || buf_put(&r->tail, p->key.p, p->key.n) < 0 ||
                buf_byte(&r->tail, '=') < 0 || buf_put(&r->tail, p->value.p, p->value.n) < 0)
                return -1;
        }
    }
    return 0;
}

static int push_image(Rows *r, text_t t) {
    text_t *images = array_room(r->images, r->nimages, &r->cap_images, sizeof(text_t));
    if (!images) return -1;
    r->images = images;
    r->images[r->nimages++] = t;
    return 0;
}

static int push_extra(Rows *r, text_t key, text_t value) {
    Py_ssize_t i;
    for (i = 0; i < r->nextra; i++) {
        if (text_cmp(r->extra[i].key, key) == 0) return 0; /* the first one counts */
    }
    pair_t *extra = array_room(r->extra, r->nextra, &r->cap_extra, sizeof(pair_t));
    if (!extra) return -1;
    r->extra = extra;
    r->extra[r->nextra].key = key;
    r->extra[r->nextra++].value = value;
    return 0;
}

static inline int ns_class(const Rows *r, const xmlNode *el) {
    if (el->ns == NULL || el->ns->href == NULL) return NS_NONE;
    const char *href = (const char *)el->ns->href;
    if (strcmp(href, r->g_ns) == 0) return NS_G;
    if (strcmp(href, r->atom_ns) == 0) return NS_ATOM;
    return NS_OTHER;
}

/* Reads one item's fields the way FeedParser._item does. 1: read; 0: left to Python; -1: error. */
static int read_fields(Rows *r, xmlNode *item) {
    xmlNode *c;
    memset(r->set, 0, sizeof(r->set));
    r->nimages = r->nextra = 0;
    for (c = item->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) continue;
        if (c->type != XML_ELEMENT_NODE) return 0;
        int cls = ns_class(r, c);
        if (cls == NS_OTHER) continue;
        int slot = tab_lookup(&r->tabs[cls], c->name);
        text_t t;
        int got;
        if (slot == SLOT_NONE) {
            if (cls != NS_G) continue;
            got = element_text(r, c, &t); /* an unknown g: element is kept as `extra` */
            if (got < 0) return PyErr_Occurred() ? -1 : 0;
            if (got != 1) continue;
            t = strip(t);
            if (t.n == 0) continue;
            text_t key = {(const char *)c->name, (Py_ssize_t)strlen((const char *)c->name)};
            if (push_extra(r, key, t) < 0) return -1;
            continue;
        }
        if (slot == SLOT_IGNORE) continue;
        if (slot == SLOT_ATOM_LINK) {
            text_t rel, href;
            int has_rel = attribute(r, c, "rel", &rel), has_href = attribute(r, c, "href", &href);
            if (has_rel < 0 || has_href < 0) return 0;
            if (has_rel && !(rel.n == 9 && memcmp(rel.p, "alternate", 9) == 0)) continue;
            if (!has_href || href.n == 0 || r->set[F_LINK]) continue;
            r->fields[F_LINK] = strip(href);
            r->set[F_LINK] = 1;
            continue;
        }
        got = element_text(r, c, &t);
        if (got < 0) return PyErr_Occurred() ? -1 : 0;
        if (got == 2) return 0; /* inline markup: its text is read by Python */
        if (got == 0) continue;
        t = strip(t);
        if (t.n == 0) continue;
        if (slot == SLOT_IMAGES) {
            if (push_image(r, t) < 0) return -1;
        } else if (!r->set[slot]) {
            r->fields[slot] = t;
            r->set[slot] = 1;
        }
    }
    return 1;
}

static int append_text_field(column_t *col, const Rows *r, int f) {
    return r->set[f] ? col_str(col, r->fields[f].p, r->fields[f].n) : col_null(col);
}

static PyObject *long_from_digest(const unsigned char *digest) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyLong_FromUnsignedNativeBytes(digest, 16, Py_ASNATIVEBYTES_BIG_ENDIAN);
#else
    return _PyLong_FromByteArray(digest, 16, 0, 0);
#endif
}

/* Rows.read(item, line, seen, sums) -> bool */
static PyObject *Rows_read(Rows *r, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4 || !PyObject_TypeCheck(args[2], &SkuIndexType) || !PyObject_TypeCheck(args[3], &ProductSumsType)) {
        PyErr_SetString(PyExc_TypeError, "read(item, line, seen: SkuIndex, sums: ProductSums)");
        return NULL;
    }
    PyObject *elem = args[0];
    SkuIndex *seen = (SkuIndex *)args[2];
    ProductSums *sums = (ProductSums *)args[3];
    if (!PyObject_TypeCheck(elem, r->element_type)) {
        PyErr_SetString(PyExc_TypeError, "read() takes an lxml element");
        return NULL;
    }
    long line = 0;
    if (args[1] != Py_None) {
        line = PyLong_AsLong(args[1]);
        if (line == -1 && PyErr_Occurred()) return NULL;
    }
    xmlNode *item = ((LxmlElementView *)elem)->c_node;
    if (item == NULL) Py_RETURN_FALSE;
    PyObject *result = NULL;
    int status = read_fields(r, item);
    if (status <= 0) goto done;
    status = 0;

    /* the checks of FeedParser._item, in its order: any item they would report goes to Python */
    if (!r->set[F_ID] || !r->set[F_TITLE] || !r->set[F_PRICE]) goto done;
    int64_t price, sale = 0, grams = 0;
    char currency[3], sale_currency[3], availability[64], condition[64];
    const char *normalized = NULL;
    if (!plain_price(r->fields[F_PRICE], &price, currency)) goto done;
    if (r->set[F_SALE]) {
        if (!plain_price(r->fields[F_SALE], &sale, sale_currency) || memcmp(currency, sale_currency, 3) != 0)
            goto done;
    }
    if (r->set[F_WEIGHT] && !plain_weight(r->fields[F_WEIGHT], &grams)) goto done;
    if (r->set[F_AVAILABILITY]) {
        int i;
        if (!ascii_lower(r->fields[F_AVAILABILITY], availability)) goto done;
        for (i = 0; i < r->navailability && !normalized; i++) {
            if (strcmp(r->availability_from[i], availability) == 0) normalized = r->availability_to[i];
        }
        if (!normalized) goto done;
    }
    if (r->set[F_CONDITION] && !ascii_lower(r->fields[F_CONDITION], condition)) goto done;
    Py_ssize_t i;
    for (i = 0; i < r->nextra; i++) {
        int k;
        for (k = 0; k < r->nstock_extra; k++) {
            const char *name = r->stock_extra[k];
            if ((Py_ssize_t)strlen(name) == r->extra[i].key.n && memcmp(name, r->extra[i].key.p, r->extra[i].key.n) == 0)
                goto done;
        }
    }
    if (index_get(seen, r->fields[F_ID].p, r->fields[F_ID].n) >= 0) goto done; /* a duplicate: Python reports it */
    int built = build_record(r);
    if (built != 0) {
        status = built < 0 ? -1 : 0;
        goto done;
    }

    /* the item is taken: hashes, row, totals */
    unsigned char content[16], catalog[16];
    b2b_state hc, hk;
    b2b_init(&hc, 16);
    b2b_update(&hc, r->head.p, (size_t)r->head.len);
    hk = hc;
    b2b_update(&hc, "\x1f", 1);
    b2b_update(&hc, r->stock.p, (size_t)r->stock.len);
    b2b_update(&hc, "\x1f", 1);
    b2b_update(&hc, r->tail.p, (size_t)r->tail.len);
    b2b_update(&hk, "\x1f", 1);
    b2b_update(&hk, r->tail.p, (size_t)r->tail.len);
    b2b_final(&hc, content);
    b2b_final(&hk, catalog);
    char hex[32];
    unsigned __int128 catalog_value = 0;
    for (i = 0; i < 16; i++) {
        hex[2 * i] = HEX[content[i] >> 4];
        hex[2 * i + 1] = HEX[content[i] & 15];
        catalog_value = (catalog_value << 8) | catalog[i];
    }

    column_t *cols = r->cols;
    int f;
    for (f = 0; f < 6; f++) {
        if (append_text_field(&cols[f], r, f) < 0) goto fail;
    }
    column_t *images = &cols[C_IMAGES];
    for (i = 0; i < r->nimages; i++) {
        if (buf_put(&images->data2, r->images[i].p, r->images[i].n) < 0 ||
            put_offset(&images->off2, images->data2.len) < 0)
            goto fail;
    }
    if (put_offset(&images->offsets, (images->off2.len / 4) - 1) < 0) goto fail;
    if (col_dec(&cols[C_PRICE], price) < 0) goto fail;
    if ((r->set[F_SALE] ? col_dec(&cols[C_SALE], sale) : col_null(&cols[C_SALE])) < 0) goto fail;
    if (col_str(&cols[C_CURRENCY], currency, 3) < 0) goto fail;
    if (append_text_field(&cols[C_SALE_DATE], r, F_SALE_DATE) < 0) goto fail;
    if ((normalized ? col_str(&cols[C_AVAILABILITY], normalized, (Py_ssize_t)strlen(normalized))
                    : col_null(&cols[C_AVAILABILITY])) < 0)
        goto fail;
    if ((r->set[F_CONDITION] ? col_str(&cols[C_CONDITION], condition, r->fields[F_CONDITION].n)
                             : col_null(&cols[C_CONDITION])) < 0)
        goto fail;
    for (f = F_BRAND; f <= F_PRODUCT_TYPE; f++) {
        if (append_text_field(&cols[C_BRAND + f - F_BRAND], r, f) < 0) goto fail;
    }
    if ((r->set[F_WEIGHT] ? col_dec(&cols[C_WEIGHT], grams) : col_null(&cols[C_WEIGHT])) < 0) goto fail;
    column_t *extra = &cols[C_EXTRA];
    for (i = 0; i < r->nextra; i++) {
        if (buf_put(&extra->data2, r->extra[i].key.p, r->extra[i].key.n) < 0 ||
            put_offset(&extra->off2, extra->data2.len) < 0 ||
            buf_put(&extra->data3, r->extra[i].value.p, r->extra[i].value.n) < 0 ||
            put_offset(&extra->off3, extra->data3.len) < 0)
            goto fail;
    }
    if (put_offset(&extra->offsets, (extra->off2.len / 4) - 1) < 0) goto fail;
    if (col_i32(&cols[C_LINE], line) < 0) goto fail;
    if (col_str(&cols[C_HASH], hex, 32) < 0) goto fail;
    r->rows++;

    if (index_put(seen, r->fields[F_ID].p, r->fields[F_ID].n, line) < 0) goto fail;
    int f_key = r->set[F_GROUP] ? F_GROUP : F_ID;
    if (sums_add(sums, r->fields[f_key].p, r->fields[f_key].n, content) < 0) goto fail;
    r->items++;
    r->catalog_sum += catalog_value;
    status = 1;
    goto done;
fail:
    status = -1;
done:
    release_owned(r);
    if (status < 0) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "feed row could not be read");
        return NULL;
    }
    result = status ? Py_True : Py_False;
    Py_INCREF(result);
    return result;
}

/* ------------------------------------------------------------------ rows read by Python */

static int add_str(column_t *c, PyObject *v) {
    if (v == Py_None) return col_null(c);
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(v, &n);
    if (!p) return -1;
    return col_str(c, p, n);
}

static int add_dec(column_t *c, PyObject *v) {
    if (v == Py_None) return col_null(c);
    if (!PyLong_Check(v)) {
        PyErr_SetString(PyExc_TypeError, "a decimal column takes its unscaled int");
        return -1;
    }
    unsigned char bytes[16];
#if PY_VERSION_HEX >= 0x030D0000
    if (PyLong_AsNativeBytes(v, bytes, 16, Py_ASNATIVEBYTES_LITTLE_ENDIAN) > 16) {
        PyErr_SetString(PyExc_OverflowError, "decimal out of range");
        return -1;
    }
#else
    if (_PyLong_AsByteArray((PyLongObject *)v, bytes, 16, 1, 1) < 0) return -1;
#endif
    if (buf_put(&c->data, bytes, 16) < 0) return -1;
    return buf_byte(&c->valid, 1);
}

static int add_strings(buf_t *data, buf_t *offsets, PyObject *v) {
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(v, &n);
    if (!p) return -1;
    if (buf_put(data, p, n) < 0) return -1;
    return put_offset(offsets, data->len);
}

/* Rows.add(row): a row that FeedParser._item read, as a tuple in COLUMNS order (decimals as their
 * unscaled ints, `extra` as (name, value) pairs). */
static PyObject *Rows_add(Rows *r, PyObject *row) {
    if (!PyTuple_Check(row) || PyTuple_GET_SIZE(row) != NCOLS) {
        PyErr_Format(PyExc_TypeError, "add() takes a tuple of %d values", NCOLS);
        return NULL;
    }
    int i;
    for (i = 0; i < NCOLS; i++) {
        PyObject *v = PyTuple_GET_ITEM(row, i);
        column_t *c = &r->cols[i];
        int err = 0;
        Py_ssize_t k;
        switch (c->kind) {
            case K_STR:
                err = add_str(c, v);
                break;
            case K_DEC:
                err = add_dec(c, v);
                break;
            case K_I32: {
                long x = PyLong_AsLong(v);
                err = (x == -1 && PyErr_Occurred()) ? -1 : col_i32(c, x);
                break;
            }
            case K_LIST:
                if (!PyList_Check(v)) {
                    PyErr_SetString(PyExc_TypeError, "a list column takes a list of str");
                    return NULL;
                }
                for (k = 0; k < PyList_GET_SIZE(v) && !err; k++) err = add_strings(&c->data2, &c->off2, PyList_GET_ITEM(v, k));
                if (!err) err = put_offset(&c->offsets, (c->off2.len / 4) - 1);
                break;
            case K_MAP:
                if (!PyList_Check(v)) {
                    PyErr_SetString(PyExc_TypeError, "a map column takes a list of (name, value) pairs");
                    return NULL;
                }
                for (k = 0; k < PyList_GET_SIZE(v) && !err; k++) {
                    PyObject *pair = PyList_GET_ITEM(v, k);
                    if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                        PyErr_SetString(PyExc_TypeError, "a map column takes a list of (name, value) pairs");
                        return NULL;
                    }
                    err = add_strings(&c->data2, &c->off2, PyTuple_GET_ITEM(pair, 0));
                    if (!err) err = add_strings(&c->data3, &c->off3, PyTuple_GET_ITEM(pair, 1));
                }
                if (!err) err = put_offset(&c->offsets, (c->off2.len / 4) - 1);
                break;
        }
        if (err < 0) return NULL; /* a half-added row: the caller drops the batch (the parse fails) */
    }
    r->rows++;
    Py_RETURN_NONE;
}

/* ------------------------------------------------------------------ handing the columns over */

static PyObject *bytes_of(buf_t *b) { return buf_take(b); }

static PyObject *bitmap_of(const column_t *c, Py_ssize_t rows) {
    if (c->nulls == 0) Py_RETURN_NONE;
    PyObject *out = PyBytes_FromStringAndSize(NULL, (rows + 7) / 8);
    if (!out) return NULL;
    unsigned char *bits = (unsigned char *)PyBytes_AS_STRING(out);
    memset(bits, 0, (size_t)(rows + 7) / 8);
    Py_ssize_t i;
    for (i = 0; i < rows; i++) {
        if (c->valid.p[i]) bits[i >> 3] |= (unsigned char)(1 << (i & 7));
    }
    return out;
}

/* Rows.take() -> (rows, [column, ...]) and the buffers start over. A column is
 *   ("s", validity bitmap or None, null count, offsets, data)   strings
 *   ("d", validity bitmap or None, null count, data)             decimal128
 *   ("i", data)                                                  int32
 *   ("l", offsets, string offsets, string data)                  list of strings
 *   ("m", offsets, key offsets, key data, value offsets, value data)  map of strings */
static PyObject *Rows_take(Rows *r, PyObject *Py_UNUSED(ignored)) {
    PyObject *columns = PyList_New(NCOLS);
    if (!columns) return NULL;
    int i;
    for (i = 0; i < NCOLS; i++) {
        column_t *c = &r->cols[i];
        PyObject *spec = NULL;
        switch (c->kind) {
            case K_STR:
                spec = Py_BuildValue("(sNnNN)", "s", bitmap_of(c, r->rows), c->nulls, bytes_of(&c->offsets),
                                     bytes_of(&c->data));
                break;
            case K_DEC:
                spec = Py_BuildValue("(sNnN)", "d", bitmap_of(c, r->rows), c->nulls, bytes_of(&c->data));
                break;
            case K_I32:
                spec = Py_BuildValue("(sN)", "i", bytes_of(&c->data));
                break;
            case K_LIST:
                spec = Py_BuildValue("(sNNN)", "l", bytes_of(&c->offsets), bytes_of(&c->off2), bytes_of(&c->data2));
                break;
            case K_MAP:
                spec = Py_BuildValue("(sNNNNN)", "m", bytes_of(&c->offsets), bytes_of(&c->off2),
                                     bytes_of(&c->data2), bytes_of(&c->off3), bytes_of(&c->data3));
                break;
        }
        if (!spec) {
            Py_DECREF(columns);
            return NULL;
        }
        PyList_SET_ITEM(columns, i, spec);
    }
    Py_ssize_t rows = r->rows;
    if (reset_columns(r) < 0) {
        Py_DECREF(columns);
        return NULL;
    }
    return Py_BuildValue("(nN)", rows, columns);
}

static Py_ssize_t Rows_len(Rows *r) { return r->rows; }

static PyObject *Rows_get_items(Rows *r, void *closure) { return PyLong_FromSsize_t(r->items); }

static PyObject *Rows_get_catalog_sum(Rows *r, void *closure) {
    unsigned char bytes[16];
    int i;
    for (i = 0; i < 16; i++) bytes[i] = (unsigned char)(r->catalog_sum >> (8 * (15 - i)));
    return long_from_digest(bytes);
}

static PyObject *Rows_get_nbytes(Rows *r, void *closure) {
    Py_ssize_t n = 0;
    int i;
    for (i = 0; i < NCOLS; i++) n += r->cols[i].data.len + r->cols[i].data2.len + r->cols[i].data3.len;
    return PyLong_FromSsize_t(n);
}

static PyMethodDef Rows_methods[] = {
    {"read", (PyCFunction)(void (*)(void))Rows_read, METH_FASTCALL,
     "read(item, line, seen, sums) -> bool: the item appended when it is plain, else False and nothing changed"},
    {"add", (PyCFunction)Rows_add, METH_O, "add(row): a row read by Python, in COLUMNS order"},
    {"take", (PyCFunction)Rows_take, METH_NOARGS, "take() -> (rows, columns): the pending rows' buffers"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Rows_getset[] = {
    {"items", (getter)Rows_get_items, NULL, "items read here (not through add)", NULL},
    {"catalog_sum", (getter)Rows_get_catalog_sum, NULL, "their catalog hashes summed (mod 2**128)", NULL},
    {"nbytes", (getter)Rows_get_nbytes, NULL, "bytes of text held by the pending rows", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PySequenceMethods Rows_as_sequence = {
    .sq_length = (lenfunc)Rows_len,
};

static PyTypeObject RowsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tiktok_pipelines.core._feed_rows.Rows",
    .tp_basicsize = sizeof(Rows),
    .tp_dealloc = (destructor)Rows_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Plain feed items read into feed_products columns (see the module's source).",
    .tp_methods = Rows_methods,
    .tp_getset = Rows_getset,
    .tp_as_sequence = &Rows_as_sequence,
    .tp_init = (initproc)Rows_init,
    .tp_new = PyType_GenericNew,
};

/* blake2b_16(data) -> bytes: the 16-byte BLAKE2b digest the reader uses, for the tests. */
static PyObject *blake2b_16(PyObject *self, PyObject *arg) {
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    b2b_state s;
    unsigned char out[16];
    b2b_init(&s, 16);
    b2b_update(&s, view.buf, (size_t)view.len);
    b2b_final(&s, out);
    PyBuffer_Release(&view);
    return PyBytes_FromStringAndSize((const char *)out, 16);
}

static PyMethodDef module_methods[] = {
    {"blake2b_16", blake2b_16, METH_O, "16-byte BLAKE2b digest of a bytes-like object"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_feed_rows", "Compiled reader of plain feed items (see feed_table.py).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__feed_rows(void) {
    if (PyType_Ready(&RowsType) < 0 || PyType_Ready(&SkuIndexType) < 0 || PyType_Ready(&ProductSumsType) < 0 ||
        PyType_Ready(&SumsIterType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    PyObject *fields = PyTuple_New(NFIELDS), *columns = PyTuple_New(NCOLS);
    int i;
    if (!fields || !columns) goto error;
    for (i = 0; i < NFIELDS; i++) PyTuple_SET_ITEM(fields, i, PyUnicode_FromString(RECORD_FIELDS[i]));
    for (i = 0; i < NCOLS; i++) PyTuple_SET_ITEM(columns, i, PyUnicode_FromString(COLUMNS[i]));
    if (PyModule_AddObject(m, "RECORD_FIELDS", fields) < 0) goto error;
    fields = NULL;
    if (PyModule_AddObject(m, "COLUMNS", columns) < 0) goto error;
    columns = NULL;
    Py_INCREF(&RowsType);
    if (PyModule_AddObject(m, "Rows", (PyObject *)&RowsType) < 0) {
        Py_DECREF(&RowsType);
        goto error;
    }
    Py_INCREF(&SkuIndexType);
    if (PyModule_AddObject(m, "SkuIndex", (PyObject *)&SkuIndexType) < 0) {
        Py_DECREF(&SkuIndexType);
        goto error;
    }
    Py_INCREF(&ProductSumsType);
    if (PyModule_AddObject(m, "ProductSums", (PyObject *)&ProductSumsType) < 0) {
        Py_DECREF(&ProductSumsType);
        goto error;
    }
    if (PyModule_AddIntConstant(m, "SLOT_IMAGES", SLOT_IMAGES) < 0 ||
        PyModule_AddIntConstant(m, "SLOT_ATOM_LINK", SLOT_ATOM_LINK) < 0 ||
        PyModule_AddIntConstant(m, "SLOT_IGNORE", SLOT_IGNORE) < 0)
        goto error;
    return m;
error:
    Py_XDECREF(fields);
    Py_XDECREF(columns);
    Py_DECREF(m);
    return NULL;
}
