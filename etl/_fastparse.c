/* A compiled fast path for the dominant result-file shapes (etl/parse_fast.py).

   parse(data, names, max_depth, max_entries) reads a current-layout result file (a top-level
   object with `scores`: an object of splits, each a list of entry objects) whose entries hold
   `hf_subset` (string), `languages` (list of strings), an optional `mteb_version` (string or
   null), numbers (integers, floats, NaN, Infinity, -Infinity), and objects and lists as
   etl/parse.py _emit reads them (see emit_value below: `v_measures`, `scores_per_experiment`),
   and returns
       (top, (splits, subsets, languages, main_scores, versions, keys, starts, ends, spots),
        codes, values, (array_entries, array_names, array_values, has_objects))
   top: the top-level keys other than `scores` whose values are scalars, as the json module
        decodes them (str, int, float, bool, None);
   then a list per field of the entries, in file order: split, hf_subset, languages,
        main_score as float, mteb_version (Ellipsis when absent), the tuple of the entry's keys,
        start and end, where values[start:end] are the entry's metric values (its numbers and
        those of its objects, named key.member) in the order of the file, and spots: None when
        every key but hf_subset, languages and mteb_version holds a number, else the tuple of
        each key's position in values[start:end] (-1: no number of its own);
   codes, values: bytes of int32 name codes (from `names`, a dict name -> code that new names
        are added to, as etl/parse.py MetricBuffer.names) and of float64 values;
   then the `metric_arrays` rows (number of the entry in the file, metric name, list of float
        or None) and whether an entry key holds an object.
   It returns None for anything else: another layout, a string with a backslash escape or a
   control character, invalid UTF-8, a string or bool or null as a metric, a duplicate key, an
   integer of more than 18 digits, a float token longer than 64 bytes or out of range, nesting
   deeper than max_depth, max_entries or more entries, invalid JSON, a memory error, and the
   objects and lists _emit would keep as JSON text. The caller then runs the Python parser,
   which decides (and quarantines what it rejects). It never raises for any input, and never
   reads outside `data`.

   checks(...) (below) then picks the entries of such a file that etl/parse.py entry_checks may
   give a row, so that Python looks at those only.

   listing(folder, prefix) (at the end) lists a results/ folder as etl/nochange.py listing does,
   without a Python object per file, for the rerun that finds nothing to build. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static double NAN_VALUE, POS_INF, NEG_INF;

/* A key met in the objects of a list of objects (emit_rows): under the key `parent` (-1: the
   row itself), holding a number or null (`leaf`) or an object; `twin`: the node of the same key
   of the other kind (-1: none), `row`: the last row that set it (a duplicate key). */
typedef struct {
    Py_ssize_t parent, twin, row;
    const char *ptr;
    Py_ssize_t len;
    int leaf, high;
} Node;

typedef struct {       /* one value of a list of objects: its node, row and value (or null) */
    Py_ssize_t node, row;
    double value;
    int null;
} Cell;

typedef struct {
    const char *p;
    const char *end;
    int max_depth;
    /* growable output buffers */
    int32_t *codes;
    double *values;
    Py_ssize_t n, cap;
    PyObject *names;
    /* the `metric_arrays` rows: entry number in the file, metric name, list of float or None */
    PyObject *arr_entries, *arr_names, *arr_values;
    Py_ssize_t entry;  /* number in the file of the entry being read */
    int has_dicts;     /* an entry key holds an object */
    /* scratch of emit_rows */
    Node *nodes;
    Py_ssize_t n_nodes, cap_nodes;
    Cell *cells;
    Py_ssize_t n_cells, cap_cells;
} Parser;

typedef struct {       /* one key position of the previous entry: its bytes, str and code */
    const char *ptr;
    Py_ssize_t len;
    PyObject *str;
    long code;         /* -1: not a metric */
    int kind;          /* 0 metric, 1 hf_subset, 2 languages, 3 mteb_version */
} Slot;

static inline void skip_ws(Parser *ps) {
    const char *p = ps->p, *end = ps->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

/* `c` next (after white space): taken, 1; else 0 (with `close`: whether the container just
   opened is empty). */
static int expect(Parser *ps, char c) {
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return 1;
    }
    return 0;
}

/* After a member of an object or an item of a list: a comma (MORE: another one follows) or
   `close` (END: the container ends), taken; BAD for anything else. The tail of every object and
   list loop of the parser:
       int next;
       do { <one member> } while ((next = next_member(ps, close)) == MORE);
       if (next == BAD) <fail>; */
enum { BAD = -1, END = 0, MORE = 1 };

static inline int next_member(Parser *ps, char close) {
    skip_ws(ps);
    if (ps->p < ps->end) {
        if (*ps->p == ',') {
            ps->p++;
            return MORE;
        }
        if (*ps->p == close) {
            ps->p++;
            return END;
        }
    }
    return BAD;
}

/* The bytes of a string at ps->p (at its opening quote): *s, *len; *high: a byte >= 0x80.
   0 for a backslash, a control character or no closing quote. */
static int scan_string(Parser *ps, const char **s, Py_ssize_t *len, int *high) {
    const unsigned char *p = (const unsigned char *)ps->p + 1;
    const unsigned char *end = (const unsigned char *)ps->end;
    const unsigned char *start = p;
    int h = 0;
    while (p < end) {
        unsigned char c = *p;
        if (c == '"') {
            *s = (const char *)start;
            *len = (Py_ssize_t)(p - start);
            *high = h;
            ps->p = (const char *)p + 1;
            return 1;
        }
        if (c == '\\' || c < 0x20)
            return 0;
        h |= c & 0x80;
        p++;
    }
    return 0;
}

/* A new str of UTF-8 bytes, or NULL (error cleared) when they are not valid UTF-8. */
static PyObject *make_str(const char *s, Py_ssize_t len, int high) {
    PyObject *o = high ? PyUnicode_DecodeUTF8(s, len, "strict")
                       : PyUnicode_FromStringAndSize(s, len);
    if (o == NULL)
        PyErr_Clear();
    return o;
}

/* A string at ps->p as a new str, or NULL. */
static PyObject *parse_string(Parser *ps) {
    const char *s;
    Py_ssize_t len;
    int high;
    if (ps->p >= ps->end || *ps->p != '"' || !scan_string(ps, &s, &len, &high))
        return NULL;
    return make_str(s, len, high);
}

/* An object's key (after white space) as a new str, added to `seen`, the object's keys so far;
   NULL for anything else (not a string, a duplicate key: left to the Python parser). */
static PyObject *unique_key(Parser *ps, PyObject *seen) {
    skip_ws(ps);
    PyObject *key = parse_string(ps);
    if (key != NULL && (PySet_Contains(seen, key) != 0 || PySet_Add(seen, key) < 0))
        Py_CLEAR(key);
    return key;
}

/* The correctly rounded double of a validated JSON float token [s, end) (no NaN/Infinity), as
   float() gives it, when it can be had exactly without big numbers: at most 19 significant
   digits w and a decimal exponent q with w * 10^q computed by one IEEE operation on exact
   operands (Clinger's fast path) or, for w beyond 2^53, the quotient (double)w / 10^-q checked
   against the two rounding boundaries in 128-bit integers. 0 (the caller then asks
   PyOS_string_to_double) for anything else: more digits, ties, a power of two, large exponents. */
static const double POW10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                 1e22};

static int exact_decimal(const char *s, const char *end, double *out) {
#ifdef __SIZEOF_INT128__
    int neg = 0, nd = 0;
    uint64_t w = 0;
    long q = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; s < end && *s >= '0' && *s <= '9'; s++) {  /* integer part */
        if (nd == 0 && *s == '0')
            continue;
        if (++nd > 19)
            return 0;
        w = w * 10 + (uint64_t)(*s - '0');
    }
    if (s < end && *s == '.') {
        for (s++; s < end && *s >= '0' && *s <= '9'; s++) {
            q--;
            if (nd == 0 && *s == '0')
                continue;
            if (++nd > 19)
                return 0;
            w = w * 10 + (uint64_t)(*s - '0');
        }
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        int eneg = 0;
        long e = 0;
        s++;
        if (*s == '+' || *s == '-')
            eneg = *s++ == '-';
        if (end - s > 4)
            return 0;
        for (; s < end; s++)
            e = e * 10 + (*s - '0');
        q += eneg ? -e : e;
    }
    double d;
    if (w == 0) {
        d = 0.0;
    } else if (q == 0) {
        d = (double)w;  /* one correctly rounded conversion */
    } else if (w <= ((uint64_t)1 << 53) && q > 0 && q <= 22) {
        d = (double)w * POW10[q];
    } else if (w <= ((uint64_t)1 << 53) && q < 0 && q >= -22) {
        d = (double)w / POW10[-q];
    } else if (q < 0 && q >= -19) {
        d = (double)w / POW10[-q];  /* within an ulp or two: checked */
        int ex;
        double m = frexp(d, &ex);   /* d = M * 2^e, M in [2^52, 2^53) */
        uint64_t M = (uint64_t)ldexp(m, 53);
        int e = ex - 53, shift = 1 - e;
        int bits = 64 - __builtin_clzll(w);
        if (M == ((uint64_t)1 << 52) || shift <= 0 || bits + shift > 127)
            return 0;
        uint64_t p10 = 1;
        for (long i = 0; i < -q; i++)
            p10 *= 10;
        /* w / 10^k strictly between (2M - 1) 2^(e-1) and (2M + 1) 2^(e-1) */
        unsigned __int128 v = (unsigned __int128)w << shift;
        unsigned __int128 lo = (unsigned __int128)(2 * M - 1) * p10;
        unsigned __int128 hi = (unsigned __int128)(2 * M + 1) * p10;
        if (!(lo < v && v < hi))
            return 0;
    } else {
        return 0;
    }
    *out = neg ? -d : d;
    return 1;
#else
    (void)s;
    (void)end;
    (void)out;
    return 0;
#endif
}

#define NUM_NONE 0
#define NUM_INT 1
#define NUM_FLOAT 2

/* A number token at ps->p: NUM_INT (*ival; at most 18 digits) or NUM_FLOAT (*dval; NaN and
   the infinities from their tokens only), NUM_NONE when it is not one this parser takes. */
static int parse_number(Parser *ps, long long *ival, double *dval) {
    const char *p = ps->p, *end = ps->end, *start = p;
    int neg = 0, is_float = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p < end && *p == 'I') {
        if (end - p >= 8 && memcmp(p, "Infinity", 8) == 0) {
            ps->p = p + 8;
            *dval = neg ? NEG_INF : POS_INF;
            return NUM_FLOAT;
        }
        return NUM_NONE;
    }
    if (!neg && p < end && *p == 'N') {
        if (end - p >= 3 && memcmp(p, "NaN", 3) == 0) {
            ps->p = p + 3;
            *dval = NAN_VALUE;
            return NUM_FLOAT;
        }
        return NUM_NONE;
    }
    const char *digits = p;
    if (p < end && *p == '0') {
        p++;
    } else if (p < end && *p >= '1' && *p <= '9') {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return NUM_NONE;
    }
    Py_ssize_t n_int = p - digits;
    if (p < end && *p == '.') {
        p++;
        const char *f = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == f)
            return NUM_NONE;
        is_float = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const char *e = p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == e)
            return NUM_NONE;
        is_float = 1;
    }
    if (!is_float) {
        if (n_int > 18)
            return NUM_NONE;
        long long v = 0;
        for (const char *q = digits; q < p; q++)
            v = v * 10 + (*q - '0');
        *ival = neg ? -v : v;
        ps->p = p;
        return NUM_INT;
    }
    if (exact_decimal(start, p, dval)) {
        ps->p = p;
        return NUM_FLOAT;
    }
    char buf[72];
    Py_ssize_t len = p - start;
    if (len > 64)
        return NUM_NONE;
    memcpy(buf, start, len);
    buf[len] = '\0';
    char *stop = NULL;
    double d = PyOS_string_to_double(buf, &stop, NULL);  /* float()'s (glibc strtod_l: slower) */
    if (d == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return NUM_NONE;
    }
    if (stop != buf + len || d == POS_INF || d == NEG_INF)
        return NUM_NONE;  /* out of range: the Python parser decides */
    *dval = d;
    ps->p = p;
    return NUM_FLOAT;
}

/* Skip one JSON value of any kind, validating it (strings as above), nested at `depth` (the
   depth of the container holding it). 0 when it is not taken. */
static int skip_value(Parser *ps, int depth) {
    skip_ws(ps);
    if (ps->p >= ps->end)
        return 0;
    char c = *ps->p;
    if (c == '"') {
        const char *s;
        Py_ssize_t len;
        int high;
        if (!scan_string(ps, &s, &len, &high))
            return 0;
        if (high) {
            PyObject *o = make_str(s, len, high);
            if (o == NULL)
                return 0;
            Py_DECREF(o);
        }
        return 1;
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        if (depth + 1 > ps->max_depth)
            return 0;
        ps->p++;
        if (expect(ps, close))
            return 1;
        int next;
        do {
            if (c == '{') {
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != '"' || !skip_value(ps, depth + 1))
                    return 0;
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != ':')
                    return 0;
                ps->p++;
            }
            if (!skip_value(ps, depth + 1))
                return 0;
        } while ((next = next_member(ps, close)) == MORE);
        return next == END;
    }
    if (c == 't') {
        if (ps->end - ps->p >= 4 && memcmp(ps->p, "true", 4) == 0) {
            ps->p += 4;
            return 1;
        }
        return 0;
    }
    if (c == 'f') {
        if (ps->end - ps->p >= 5 && memcmp(ps->p, "false", 5) == 0) {
            ps->p += 5;
            return 1;
        }
        return 0;
    }
    if (c == 'n') {
        if (ps->end - ps->p >= 4 && memcmp(ps->p, "null", 4) == 0) {
            ps->p += 4;
            return 1;
        }
        return 0;
    }
    long long i;
    double d;
    return parse_number(ps, &i, &d) != NUM_NONE;
}

/* A scalar value as the json module decodes it (new reference), NULL when it is not one. */
static PyObject *parse_scalar(Parser *ps) {
    skip_ws(ps);
    if (ps->p >= ps->end)
        return NULL;
    char c = *ps->p;
    if (c == '"')
        return parse_string(ps);
    if (c == 't' && ps->end - ps->p >= 4 && memcmp(ps->p, "true", 4) == 0) {
        ps->p += 4;
        Py_RETURN_TRUE;
    }
    if (c == 'f' && ps->end - ps->p >= 5 && memcmp(ps->p, "false", 5) == 0) {
        ps->p += 5;
        Py_RETURN_FALSE;
    }
    if (c == 'n' && ps->end - ps->p >= 4 && memcmp(ps->p, "null", 4) == 0) {
        ps->p += 4;
        Py_RETURN_NONE;
    }
    long long i;
    double d;
    int kind = parse_number(ps, &i, &d);
    if (kind == NUM_INT)
        return PyLong_FromLongLong(i);
    if (kind == NUM_FLOAT)
        return PyFloat_FromDouble(d);
    return NULL;
}

static int push(Parser *ps, int32_t code, double value) {
    if (ps->n == ps->cap) {
        Py_ssize_t cap = ps->cap ? ps->cap * 2 : 1024;
        int32_t *codes = PyMem_Realloc(ps->codes, cap * sizeof(int32_t));
        if (codes == NULL)
            return 0;
        ps->codes = codes;
        double *values = PyMem_Realloc(ps->values, cap * sizeof(double));
        if (values == NULL)
            return 0;
        ps->values = values;
        ps->cap = cap;
    }
    ps->codes[ps->n] = code;
    ps->values[ps->n] = value;
    ps->n++;
    return 1;
}

typedef struct {
    Slot *slots;
    Py_ssize_t n_slots, cap_slots;
    PyObject *prev_keys;  /* tuple of the previous entry's keys */
    PyObject *names;
    Py_ssize_t *spots;    /* of the entry being read, per key (cap_slots of them) */
    PyObject *prev_spots; /* the last tuple of spots made */
} Keys;

/* The code of metric name `str` in `names` (added with the next code when new). 0 on failure. */
static int name_code(PyObject *names, PyObject *str, long *out) {
    PyObject *code = PyDict_GetItemWithError(names, str);
    if (code == NULL) {
        if (PyErr_Occurred())
            return 0;
        Py_ssize_t next = PyDict_Size(names);
        if (next > INT32_MAX)
            return 0;
        code = PyLong_FromSsize_t(next);
        if (code == NULL)
            return 0;
        int err = PyDict_SetItem(names, str, code);
        Py_DECREF(code);
        if (err < 0)
            return 0;
        *out = (long)next;
        return 1;
    }
    long c = PyLong_AsLong(code);
    if (c < 0 || c > INT32_MAX) {
        PyErr_Clear();
        return 0;
    }
    *out = c;
    return 1;
}

/* The slot of key number `i` of the entry being read, its bytes `s`/`len`. 0 on failure. */
static int key_slot(Keys *k, Py_ssize_t i, const char *s, Py_ssize_t len, int high,
                    int *same) {
    if (i < k->n_slots) {
        Slot *sl = &k->slots[i];
        if (sl->len == len && memcmp(sl->ptr, s, len) == 0) {
            sl->ptr = s;  /* the same bytes, in this entry */
            return 1;
        }
    }
    *same = 0;
    if (i >= k->cap_slots) {
        Py_ssize_t cap = k->cap_slots ? k->cap_slots * 2 : 64;
        Slot *slots = PyMem_Realloc(k->slots, cap * sizeof(Slot));
        if (slots == NULL)
            return 0;
        k->slots = slots;
        Py_ssize_t *spots = PyMem_Realloc(k->spots, cap * sizeof(Py_ssize_t));
        if (spots == NULL)
            return 0;
        k->spots = spots;
        k->cap_slots = cap;
    }
    if (i >= k->n_slots) {
        k->slots[i].str = NULL;
        k->n_slots = i + 1;
    }
    Slot *sl = &k->slots[i];
    PyObject *str = make_str(s, len, high);
    if (str == NULL)
        return 0;
    Py_XSETREF(sl->str, str);
    sl->ptr = s;
    sl->len = len;
    sl->code = -1;
    if (len == 9 && memcmp(s, "hf_subset", 9) == 0) {
        sl->kind = 1;
    } else if (len == 9 && memcmp(s, "languages", 9) == 0) {
        sl->kind = 2;
    } else if (len == 12 && memcmp(s, "mteb_version", 12) == 0) {
        sl->kind = 3;
    } else {
        sl->kind = 0;
        if (!name_code(k->names, str, &sl->code))
            return 0;
    }
    return 1;
}

/* The per-entry columns parse() returns. */
#define N_COLUMNS 9
enum { C_SPLIT, C_SUBSET, C_LANGUAGES, C_SCORE, C_VERSION, C_KEYS, C_START, C_END, C_SPOTS };

static int append_new(PyObject *list, PyObject *item) {  /* steals `item` */
    if (item == NULL)
        return 0;
    int err = PyList_Append(list, item);
    Py_DECREF(item);
    return err == 0;
}

/* ---- Objects and lists in entries, as etl/parse.py _emit reads them: an object's members are
   metrics named <name>.<key> (numbers: `metrics` values; objects and lists: in turn), a list of
   numbers and nulls is a `metric_arrays` row, a list of objects one row per key of its objects
   (flattened, <name>.<key>[.<key>...]), with the values of each object (None where it has
   none). Anything else there (a string, boolean or null member, a list mixing kinds, a list in
   an object of a list, a duplicate key, a key with a dot in a list of objects, more than
   MAX_ROW_NODES keys there) is left to the Python parser. ---- */

#define MAX_ROW_NODES 1024

static PyObject *join_name(PyObject *prefix, PyObject *key) {  /* prefix.key, a new str */
    return PyUnicode_FromFormat("%U.%U", prefix, key);
}

/* A `metric_arrays` row of the entry being read; steals `values`. */
static int add_array(Parser *ps, PyObject *name, PyObject *values) {
    if (values == NULL)
        return 0;
    if (!append_new(ps->arr_entries, PyLong_FromSsize_t(ps->entry))
            || PyList_Append(ps->arr_names, name) < 0) {
        Py_DECREF(values);
        return 0;
    }
    return append_new(ps->arr_values, values);
}

/* A number or null at ps->p, as a float or None (new reference); NULL for anything else. */
static PyObject *array_item(Parser *ps) {
    if (ps->p < ps->end && *ps->p == 'n') {
        if (ps->end - ps->p >= 4 && memcmp(ps->p, "null", 4) == 0) {
            ps->p += 4;
            Py_RETURN_NONE;
        }
        return NULL;
    }
    long long i;
    double d;
    int kind = parse_number(ps, &i, &d);
    if (kind == NUM_NONE)
        return NULL;
    return PyFloat_FromDouble(kind == NUM_INT ? (double)i : d);
}

static int emit_value(Parser *ps, PyObject *name, int depth);

/* An object at ps->p, at nesting `depth`: each member in turn, named name.key. */
static int emit_object(Parser *ps, PyObject *name, int depth) {
    if (depth > ps->max_depth || !expect(ps, '{'))
        return 0;
    if (expect(ps, '}'))
        return 1;
    PyObject *seen = PySet_New(NULL);
    if (seen == NULL)
        return 0;
    int next;
    do {
        PyObject *key = unique_key(ps, seen);
        if (key == NULL)
            goto fail;
        PyObject *full = join_name(name, key);
        Py_DECREF(key);
        if (full == NULL)
            goto fail;
        int ok = expect(ps, ':') && emit_value(ps, full, depth + 1);
        Py_DECREF(full);
        if (!ok)
            goto fail;
    } while ((next = next_member(ps, '}')) == MORE);
    Py_DECREF(seen);
    return next == END;
fail:
    Py_DECREF(seen);
    return 0;
}

/* The node of key [s, s + len) under `parent` in row `row`, of kind `leaf`: looked for at
   *cursor first (the rows of a list mostly repeat their keys in order), then among all;
   made when new. -1 on failure (a duplicate key in the row, too many keys). */
static Py_ssize_t row_node(Parser *ps, Py_ssize_t parent, int leaf, const char *s,
                           Py_ssize_t len, int high, Py_ssize_t row, Py_ssize_t *cursor) {
    Node *nodes = ps->nodes;
    Py_ssize_t found = -1, twin = -1, c = *cursor;
    if (c < ps->n_nodes && nodes[c].parent == parent && nodes[c].leaf == leaf
            && nodes[c].len == len && memcmp(nodes[c].ptr, s, len) == 0) {
        found = c;
        twin = nodes[c].twin;
    } else {
        for (Py_ssize_t j = 0; j < ps->n_nodes; j++) {
            if (nodes[j].parent == parent && nodes[j].len == len
                    && memcmp(nodes[j].ptr, s, len) == 0) {
                if (nodes[j].leaf == leaf)
                    found = j;
                else
                    twin = j;
            }
        }
    }
    if (twin >= 0 && nodes[twin].row == row)
        return -1;  /* the key twice in an object */
    if (found < 0) {
        if (ps->n_nodes >= MAX_ROW_NODES)
            return -1;
        if (high) {  /* valid UTF-8 */
            PyObject *o = make_str(s, len, high);
            if (o == NULL)
                return -1;
            Py_DECREF(o);
        }
        if (ps->n_nodes == ps->cap_nodes) {
            Py_ssize_t cap = ps->cap_nodes ? ps->cap_nodes * 2 : 32;
            nodes = PyMem_Realloc(ps->nodes, cap * sizeof(Node));
            if (nodes == NULL)
                return -1;
            ps->nodes = nodes;
            ps->cap_nodes = cap;
        }
        found = ps->n_nodes++;
        nodes[found] = (Node){parent, twin, -1, s, len, leaf, high};
        if (twin >= 0)
            nodes[twin].twin = found;
    }
    if (nodes[found].row == row)
        return -1;  /* the key twice in an object */
    nodes[found].row = row;
    *cursor = found + 1;
    return found;
}

/* An object of a list of objects at ps->p (row `row`), or one nested in it under node
   `parent`, at nesting `depth`: its values into ps->cells. */
static int read_row(Parser *ps, Py_ssize_t parent, Py_ssize_t row, int depth,
                    Py_ssize_t *cursor) {
    if (depth > ps->max_depth || !expect(ps, '{'))
        return 0;
    if (expect(ps, '}'))
        return 1;
    int next;
    do {
        skip_ws(ps);
        const char *s;
        Py_ssize_t len;
        int high;
        if (ps->p >= ps->end || *ps->p != '"' || !scan_string(ps, &s, &len, &high))
            return 0;
        if (memchr(s, '.', len) != NULL || !expect(ps, ':'))
            return 0;  /* a dot: flattened names could meet (a.b and a: {b}) */
        skip_ws(ps);
        if (ps->p >= ps->end)
            return 0;
        int leaf = *ps->p != '{';
        Py_ssize_t node = row_node(ps, parent, leaf, s, len, high, row, cursor);
        if (node < 0)
            return 0;
        if (leaf) {
            Cell cell = {node, row, 0.0, 0};
            if (*ps->p == 'n') {
                if (ps->end - ps->p < 4 || memcmp(ps->p, "null", 4) != 0)
                    return 0;
                ps->p += 4;
                cell.null = 1;
            } else {
                long long i;
                int kind = parse_number(ps, &i, &cell.value);
                if (kind == NUM_NONE)
                    return 0;
                if (kind == NUM_INT)
                    cell.value = (double)i;
            }
            if (ps->n_cells == ps->cap_cells) {
                Py_ssize_t cap = ps->cap_cells ? ps->cap_cells * 2 : 256;
                Cell *cells = PyMem_Realloc(ps->cells, cap * sizeof(Cell));
                if (cells == NULL)
                    return 0;
                ps->cells = cells;
                ps->cap_cells = cap;
            }
            ps->cells[ps->n_cells++] = cell;
        } else if (!read_row(ps, node, row, depth + 1, cursor)) {
            return 0;
        }
    } while ((next = next_member(ps, '}')) == MORE);
    return next == END;
}

/* The full name of node j: name.key[.key...] (a new str). */
static PyObject *node_name(Parser *ps, PyObject *name, Py_ssize_t j) {
    Node *nd = &ps->nodes[j];
    PyObject *prefix = nd->parent < 0 ? Py_NewRef(name) : node_name(ps, name, nd->parent);
    if (prefix == NULL)
        return NULL;
    PyObject *key = make_str(nd->ptr, nd->len, nd->high);
    PyObject *full = key == NULL ? NULL : join_name(prefix, key);
    Py_DECREF(prefix);
    Py_XDECREF(key);
    return full;
}

/* A list of objects at ps->p (at its first object), the objects at nesting `depth`: a
   `metric_arrays` row per key, in order of first appearance (etl/parse.py _transpose). */
static int emit_rows(Parser *ps, PyObject *name, int depth) {
    Py_ssize_t rows = 0;
    ps->n_nodes = ps->n_cells = 0;
    int next;
    do {
        skip_ws(ps);
        Py_ssize_t cursor = 0;
        if (ps->p >= ps->end || *ps->p != '{' || !read_row(ps, -1, rows, depth, &cursor))
            return 0;
        rows++;
    } while ((next = next_member(ps, ']')) == MORE);
    if (next == BAD)
        return 0;
    Py_ssize_t n = ps->n_nodes;
    PyObject **columns = PyMem_Calloc(n ? n : 1, sizeof(PyObject *));
    if (columns == NULL)
        return 0;
    int ok = 1;
    for (Py_ssize_t j = 0; j < n && ok; j++) {
        if (!ps->nodes[j].leaf)
            continue;
        PyObject *column = columns[j] = PyList_New(rows);
        if (column == NULL) {
            ok = 0;
            break;
        }
        for (Py_ssize_t r = 0; r < rows; r++)
            PyList_SET_ITEM(column, r, Py_NewRef(Py_None));
    }
    for (Py_ssize_t c = 0; c < ps->n_cells && ok; c++) {
        Cell *cell = &ps->cells[c];
        if (!cell->null) {
            PyObject *v = PyFloat_FromDouble(cell->value);
            ok = v != NULL && PyList_SetItem(columns[cell->node], cell->row, v) == 0;
        }
    }
    for (Py_ssize_t j = 0; j < n && ok; j++) {
        if (!ps->nodes[j].leaf)
            continue;
        PyObject *full = node_name(ps, name, j);
        ok = full != NULL && add_array(ps, full, Py_NewRef(columns[j]));
        Py_XDECREF(full);
    }
    for (Py_ssize_t j = 0; j < n; j++)
        Py_XDECREF(columns[j]);
    PyMem_Free(columns);
    return ok;
}

/* A list at ps->p, at nesting `depth`. */
static int emit_list(Parser *ps, PyObject *name, int depth) {
    if (depth > ps->max_depth || !expect(ps, '['))
        return 0;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '{')
        return emit_rows(ps, name, depth + 1);
    PyObject *values = PyList_New(0);
    if (values == NULL)
        return 0;
    if (expect(ps, ']'))
        return add_array(ps, name, values);
    int next;
    do {
        skip_ws(ps);
        if (!append_new(values, array_item(ps)))
            goto fail;
    } while ((next = next_member(ps, ']')) == MORE);
    if (next == BAD)
        goto fail;
    return add_array(ps, name, values);
fail:
    Py_DECREF(values);
    return 0;
}

/* The value of metric `name` at ps->p, a container there at nesting `depth`. */
static int emit_value(Parser *ps, PyObject *name, int depth) {
    skip_ws(ps);
    if (ps->p >= ps->end)
        return 0;
    if (*ps->p == '{')
        return emit_object(ps, name, depth);
    if (*ps->p == '[')
        return emit_list(ps, name, depth);
    long long i;
    double d;
    long code;
    int kind = parse_number(ps, &i, &d);
    if (kind == NUM_NONE || !name_code(ps->names, name, &code))
        return 0;  /* a string, boolean or null: the Python parser */
    return push(ps, (int32_t)code, kind == NUM_INT ? (double)i : d);
}

/* One entry object at ps->p (after its '{' was checked); appends its fields to `columns`. */
static int parse_entry(Parser *ps, Keys *k, PyObject *split, PyObject **columns) {
    PyObject *subset = NULL, *languages = NULL, *version = NULL, *keys = NULL, *spots = NULL;
    double main_score = 0;
    int has_main = 0, same = 1, plain = 1;
    Py_ssize_t n_keys = 0, start = ps->n;
    ps->entry = PyList_GET_SIZE(columns[C_KEYS]);
    ps->p++;  /* '{' */
    if (expect(ps, '}'))
        goto fail;  /* no hf_subset */
    int next;
    do {
        skip_ws(ps);
        const char *s;
        Py_ssize_t len;
        int high;
        if (ps->p >= ps->end || *ps->p != '"' || !scan_string(ps, &s, &len, &high))
            goto fail;
        if (!key_slot(k, n_keys, s, len, high, &same))
            goto fail;
        Slot *sl = &k->slots[n_keys];
        k->spots[n_keys] = -1;
        n_keys++;
        if (!expect(ps, ':'))
            goto fail;
        skip_ws(ps);
        if (sl->kind == 0 && ps->p < ps->end && (*ps->p == '{' || *ps->p == '[')) {
            ps->has_dicts |= *ps->p == '{';
            plain = 0;
            if (!emit_value(ps, sl->str, 5))
                goto fail;
        } else if (sl->kind == 0) {
            k->spots[n_keys - 1] = ps->n - start;
            long long i;
            double d;
            int kind = parse_number(ps, &i, &d);
            if (kind == NUM_NONE)
                goto fail;
            if (kind == NUM_INT)
                d = (double)i;
            if (!push(ps, (int32_t)sl->code, d))
                goto fail;
            if (len == 10 && memcmp(s, "main_score", 10) == 0) {
                main_score = d;
                has_main = 1;
            }
        } else if (sl->kind == 1) {
            if (subset != NULL || (subset = parse_string(ps)) == NULL)
                goto fail;
        } else if (sl->kind == 2) {
            if (languages != NULL || ps->max_depth < 5 || !expect(ps, '['))
                goto fail;
            languages = PyList_New(0);
            if (languages == NULL)
                goto fail;
            if (!expect(ps, ']')) {
                int more;
                do {
                    skip_ws(ps);
                    PyObject *lang = parse_string(ps);
                    if (lang == NULL)
                        goto fail;
                    int err = PyList_Append(languages, lang);
                    Py_DECREF(lang);
                    if (err < 0)
                        goto fail;
                } while ((more = next_member(ps, ']')) == MORE);
                if (more == BAD)
                    goto fail;
            }
        } else {
            if (version != NULL)
                goto fail;
            if (ps->p < ps->end && *ps->p == 'n') {
                if (ps->end - ps->p < 4 || memcmp(ps->p, "null", 4) != 0)
                    goto fail;
                ps->p += 4;
                version = Py_NewRef(Py_None);
            } else if ((version = parse_string(ps)) == NULL) {
                goto fail;
            }
        }
    } while ((next = next_member(ps, '}')) == MORE);
    if (next == BAD || subset == NULL || languages == NULL || !has_main)
        goto fail;
    if (same && k->prev_keys != NULL && PyTuple_GET_SIZE(k->prev_keys) == n_keys) {
        keys = Py_NewRef(k->prev_keys);
    } else {
        keys = PyTuple_New(n_keys);
        if (keys == NULL)
            goto fail;
        for (Py_ssize_t i = 0; i < n_keys; i++)
            PyTuple_SET_ITEM(keys, i, Py_NewRef(k->slots[i].str));
        PyObject *set = PySet_New(keys);  /* a duplicate key: the Python parser decides */
        if (set == NULL)
            goto fail;
        Py_ssize_t distinct = PySet_GET_SIZE(set);
        Py_DECREF(set);
        if (distinct != n_keys)
            goto fail;
        Py_XSETREF(k->prev_keys, Py_NewRef(keys));
    }
    if (plain) {
        spots = Py_NewRef(Py_None);
    } else {  /* the last tuple of spots when equal, else a new one */
        PyObject *prev = k->prev_spots;
        int equal = prev != NULL && PyTuple_GET_SIZE(prev) == n_keys;
        for (Py_ssize_t i = 0; equal && i < n_keys; i++)
            equal = PyLong_AsSsize_t(PyTuple_GET_ITEM(prev, i)) == k->spots[i];
        if (equal) {
            spots = Py_NewRef(prev);
        } else {
            spots = PyTuple_New(n_keys);
            if (spots == NULL)
                goto fail;
            for (Py_ssize_t i = 0; i < n_keys; i++) {
                PyObject *spot = PyLong_FromSsize_t(k->spots[i]);
                if (spot == NULL)
                    goto fail;
                PyTuple_SET_ITEM(spots, i, spot);
            }
            Py_XSETREF(k->prev_spots, Py_NewRef(spots));
        }
    }
    if (version == NULL)
        version = Py_NewRef(Py_Ellipsis);
    PyObject *own[5] = {subset, languages, version, keys, spots};
    PyObject *lists[5] = {columns[C_SUBSET], columns[C_LANGUAGES], columns[C_VERSION],
                          columns[C_KEYS], columns[C_SPOTS]};
    int ok = PyList_Append(columns[C_SPLIT], split) == 0;
    for (int i = 0; i < 5; i++) {  /* each reference appended (append_new steals) or freed */
        if (ok)
            ok = append_new(lists[i], own[i]);
        else
            Py_DECREF(own[i]);
    }
    if (!ok)
        return 0;
    if (!append_new(columns[C_SCORE], PyFloat_FromDouble(main_score))
            || !append_new(columns[C_START], PyLong_FromSsize_t(start))
            || !append_new(columns[C_END], PyLong_FromSsize_t(ps->n)))
        return 0;
    return 1;
fail:
    Py_XDECREF(subset);
    Py_XDECREF(languages);
    Py_XDECREF(version);
    Py_XDECREF(keys);
    Py_XDECREF(spots);
    return 0;
}

/* `scores` at ps->p: an object of splits, each a list of entries. */
static int parse_scores(Parser *ps, Keys *k, PyObject **columns, Py_ssize_t max_entries) {
    if (ps->max_depth < 4 || !expect(ps, '{'))
        return 0;
    PyObject *splits = PySet_New(NULL);
    if (splits == NULL)
        return 0;
    if (expect(ps, '}')) {
        Py_DECREF(splits);
        return 1;
    }
    int next;
    do {
        PyObject *split = unique_key(ps, splits);
        if (split == NULL)
            goto fail;
        Py_DECREF(split);  /* the set holds it */
        if (!expect(ps, ':') || !expect(ps, '['))
            goto fail;
        if (!expect(ps, ']')) {
            int more;
            do {
                skip_ws(ps);
                if (ps->p >= ps->end || *ps->p != '{')
                    goto fail;
                if (!parse_entry(ps, k, split, columns))
                    goto fail;
                if (PyList_GET_SIZE(columns[C_KEYS]) >= max_entries)
                    goto fail;
            } while ((more = next_member(ps, ']')) == MORE);
            if (more == BAD)
                goto fail;
        }
    } while ((next = next_member(ps, '}')) == MORE);
    Py_DECREF(splits);
    return next == END;
fail:
    Py_DECREF(splits);
    return 0;
}

static int is_known_top(const char *s, Py_ssize_t len) {
    static const char *known[] = {"task_name", "mteb_version", "dataset_revision",
                                  "evaluation_time", "kg_co2_emissions", "date", NULL};
    for (int i = 0; known[i] != NULL; i++)
        if ((Py_ssize_t)strlen(known[i]) == len && memcmp(known[i], s, len) == 0)
            return 1;
    return 0;
}

static PyObject *fastparse_parse(PyObject *self, PyObject *args) {
    Py_buffer view;
    PyObject *names;
    int max_depth;
    Py_ssize_t max_entries;
    if (!PyArg_ParseTuple(args, "y*O!in", &view, &PyDict_Type, &names, &max_depth,
                          &max_entries))
        return NULL;
    Parser ps = {(const char *)view.buf, (const char *)view.buf + view.len, max_depth,
                 NULL, NULL, 0, 0, names, PyList_New(0), PyList_New(0), PyList_New(0)};
    Keys k = {NULL, 0, 0, NULL, names, NULL, NULL};
    PyObject *top = PyDict_New(), *columns[N_COLUMNS], *result = NULL;
    int has_scores = 0;
    for (int i = 0; i < N_COLUMNS; i++)
        columns[i] = PyList_New(0);
    if (top == NULL || ps.arr_entries == NULL || ps.arr_names == NULL || ps.arr_values == NULL)
        goto done;
    for (int i = 0; i < N_COLUMNS; i++)
        if (columns[i] == NULL)
            goto done;
    if (max_depth < 1 || !expect(&ps, '{'))
        goto done;
    int next;
    do {
        skip_ws(&ps);
        const char *s;
        Py_ssize_t len;
        int high;
        if (ps.p >= ps.end || *ps.p != '"' || !scan_string(&ps, &s, &len, &high))
            goto done;
        if (!expect(&ps, ':'))
            goto done;
        skip_ws(&ps);
        if (len == 6 && memcmp(s, "scores", 6) == 0) {
            if (has_scores || !parse_scores(&ps, &k, columns, max_entries))
                goto done;
            has_scores = 1;
        } else if (ps.p < ps.end && (*ps.p == '{' || *ps.p == '[')) {
            if (is_known_top(s, len) || !skip_value(&ps, 1))
                goto done;
            PyObject *key = make_str(s, len, high);  /* validates the key */
            if (key == NULL)
                goto done;
            int err = PyDict_DelItem(top, key);  /* a later value replaces an earlier one */
            Py_DECREF(key);
            if (err < 0) {
                if (!PyErr_ExceptionMatches(PyExc_KeyError))
                    goto done;
                PyErr_Clear();
            }
        } else {
            PyObject *key = make_str(s, len, high);
            if (key == NULL)
                goto done;
            PyObject *value = parse_scalar(&ps);
            if (value == NULL) {
                Py_DECREF(key);
                goto done;
            }
            int err = PyDict_SetItem(top, key, value);
            Py_DECREF(key);
            Py_DECREF(value);
            if (err < 0)
                goto done;
        }
    } while ((next = next_member(&ps, '}')) == MORE);
    skip_ws(&ps);
    if (next == BAD || ps.p != ps.end || !has_scores)
        goto done;
    PyObject *codes = PyBytes_FromStringAndSize((const char *)ps.codes,
                                                ps.n * (Py_ssize_t)sizeof(int32_t));
    PyObject *values = PyBytes_FromStringAndSize((const char *)ps.values,
                                                 ps.n * (Py_ssize_t)sizeof(double));
    PyObject *fields = PyTuple_New(N_COLUMNS);
    if (fields != NULL)
        for (int i = 0; i < N_COLUMNS; i++)
            PyTuple_SET_ITEM(fields, i, Py_NewRef(columns[i]));
    PyObject *arrays = Py_BuildValue("(OOOO)", ps.arr_entries, ps.arr_names, ps.arr_values,
                                     ps.has_dicts ? Py_True : Py_False);
    if (codes != NULL && values != NULL && fields != NULL && arrays != NULL)
        result = PyTuple_Pack(5, top, fields, codes, values, arrays);
    Py_XDECREF(arrays);
    Py_XDECREF(fields);
    Py_XDECREF(codes);
    Py_XDECREF(values);
done:
    if (result == NULL) {
        PyErr_Clear();
        result = Py_NewRef(Py_None);
    }
    Py_XDECREF(top);
    for (int i = 0; i < N_COLUMNS; i++)
        Py_XDECREF(columns[i]);
    for (Py_ssize_t i = 0; i < k.n_slots; i++)
        Py_XDECREF(k.slots[i].str);
    PyMem_Free(k.slots);
    Py_XDECREF(k.prev_keys);
    PyMem_Free(k.spots);
    Py_XDECREF(k.prev_spots);
    PyMem_Free(ps.codes);
    PyMem_Free(ps.values);
    Py_XDECREF(ps.arr_entries);
    Py_XDECREF(ps.arr_names);
    Py_XDECREF(ps.arr_values);
    PyMem_Free(ps.nodes);
    PyMem_Free(ps.cells);
    PyBuffer_Release(&view);
    return result;
}

/* checks(values, starts, keys_of, scores, programs, make, low, high, floor) -> [entry index]:
   the entries of a file read by parse() that `entry_checks` (etl/parse.py) may give a row,
   decided on their float64 values with the rules' own comparisons; `entry_checks` then makes
   the row of each (a few in a thousand). `programs` maps an entry's tuple of keys to a bytes
   of int32 (etl/parse_fast.py check_program): the positions among its metric values of its
   main metric, mrr_at_1 and precision_at_1 (-1: absent), the number of its recall_at_<k> then
   their positions in order of k, the number of its bounded metrics then their positions; an
   empty program: nothing to check; a program of one -1: always a candidate. A tuple of keys
   not in `programs` is passed to make(keys), which adds it. An entry is a candidate when its
   main metric differs from its main score (`scores`, floats), |mrr_at_1 - precision_at_1| is
   not <= floor, a finite bounded value is below low or above high, or, over its non-NaN
   recalls in order of k, one is lower than the one before by not <= floor (NaN compares as
   DuckDB orders it: a difference). NULL with an exception for a malformed argument. */
static PyObject *fastparse_checks(PyObject *self, PyObject *args) {
    Py_buffer view;
    PyObject *starts, *keys_of, *scores, *programs, *make;
    double low, high, floor_;
    if (!PyArg_ParseTuple(args, "y*O!O!O!O!Oddd", &view, &PyList_Type, &starts, &PyList_Type,
                          &keys_of, &PyList_Type, &scores, &PyDict_Type, &programs, &make,
                          &low, &high, &floor_))
        return NULL;
    const double *values = (const double *)view.buf;
    Py_ssize_t n_values = view.len / (Py_ssize_t)sizeof(double);
    Py_ssize_t n = PyList_GET_SIZE(keys_of);
    PyObject *out = PyList_New(0), *last_keys = NULL, *program = NULL;
    if (out == NULL)
        goto error;
    if (PyList_GET_SIZE(starts) != n || PyList_GET_SIZE(scores) != n) {
        PyErr_SetString(PyExc_ValueError, "checks: columns of different lengths");
        goto error;
    }
    const int32_t *prog = NULL;
    Py_ssize_t n_prog = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *keys = PyList_GET_ITEM(keys_of, i);
        if (keys != last_keys) {
            PyObject *got = PyDict_GetItemWithError(programs, keys);  /* borrowed */
            if (got == NULL) {
                if (PyErr_Occurred())
                    goto error;
                got = PyObject_CallOneArg(make, keys);
                if (got == NULL)
                    goto error;
                Py_DECREF(got);  /* `programs` holds it now */
                got = PyDict_GetItemWithError(programs, keys);
                if (got == NULL) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_KeyError, "checks: make() added no program");
                    goto error;
                }
            }
            if (!PyBytes_Check(got) || PyBytes_GET_SIZE(got) % sizeof(int32_t) != 0) {
                PyErr_SetString(PyExc_TypeError, "checks: a program is not int32 bytes");
                goto error;
            }
            Py_XSETREF(program, Py_NewRef(got));
            prog = (const int32_t *)PyBytes_AS_STRING(program);
            n_prog = PyBytes_GET_SIZE(program) / (Py_ssize_t)sizeof(int32_t);
            last_keys = keys;
        }
        if (n_prog == 0)
            continue;
        int candidate = 0;
        if (n_prog == 1) {
            candidate = 1;
        } else {
            Py_ssize_t start = PyLong_AsSsize_t(PyList_GET_ITEM(starts, i));
            if (start == -1 && PyErr_Occurred())
                goto error;
            PyObject *score_obj = PyList_GET_ITEM(scores, i);
            if (!PyFloat_Check(score_obj)) {
                PyErr_SetString(PyExc_TypeError, "checks: a main score is not a float");
                goto error;
            }
            double score = PyFloat_AS_DOUBLE(score_obj);
            /* every position read below is checked against the values first */
            Py_ssize_t at = 0;
            double v[3];
            int here[3];
            if (n_prog < 5)
                goto malformed;
            for (int j = 0; j < 3; j++, at++) {
                here[j] = prog[at] >= 0;
                if (here[j]) {
                    if (start < 0 || start + prog[at] >= n_values)
                        goto malformed;
                    v[j] = values[start + prog[at]];
                }
            }
            if (here[0] && !(v[0] == score))
                candidate = 1;
            if (here[1] && here[2] && !(fabs(v[1] - v[2]) <= floor_))
                candidate = 1;
            for (int part = 0; part < 2 && !candidate; part++) {
                if (at >= n_prog)
                    goto malformed;
                Py_ssize_t count = prog[at++];
                if (count < 0 || at + count > n_prog)
                    goto malformed;
                int seen = 0;
                double prev = 0;
                for (Py_ssize_t j = 0; j < count && !candidate; j++) {
                    Py_ssize_t pos = prog[at + j];
                    if (pos < 0 || start < 0 || start + pos >= n_values)
                        goto malformed;
                    double x = values[start + pos];
                    if (part == 0) {  /* recalls in order of k, NaN left out */
                        if (x != x)
                            continue;
                        if (seen && !(prev - x <= floor_))
                            candidate = 1;
                        prev = x;
                        seen = 1;
                    } else if (isfinite(x) && (x < low || x > high)) {
                        candidate = 1;
                    }
                }
                at += count;
            }
        }
        if (candidate && !append_new(out, PyLong_FromSsize_t(i)))
            goto error;
    }
    Py_XDECREF(program);
    PyBuffer_Release(&view);
    return out;
malformed:
    PyErr_SetString(PyExc_ValueError, "checks: a program reads outside the entry's values");
error:
    Py_XDECREF(out);
    Py_XDECREF(program);
    PyBuffer_Release(&view);
    return NULL;
}

/* listing(folder, prefix) -> bytes: every entry under `folder` (bytes: a results/ folder) as
   etl/nochange.py listing records it, one record `path\0size\0mtime_ns\0` per entry, sorted by
   path (bytewise, which is code point order for the UTF-8 paths). path: `prefix` (bytes, e.g.
   b"results"), then `/name` per level, each name as etl/nochange.py recorded_name gives it
   (valid UTF-8 as is; else its bytes with backslashes doubled, decoded with backslashreplace).
   Folders (by the entry's type, else its lstat) are entered unless hidden, not listed; every
   other entry (files, links, FIFOs) is listed with its lstat's size and mtime. A folder that
   cannot be opened and an entry that cannot be stat'ed are left out, as os.scandir's walk
   leaves them. Runs without the GIL (but for names that are not ASCII). Raises MemoryError
   only. */
typedef struct {
    char *buf;
    size_t len, cap;
} Grow;

typedef struct {
    Grow arena;            /* the records, one after the other */
    Grow starts;           /* size_t offsets of the records in arena */
    Grow path;             /* the path of the current folder */
    int failed;            /* a memory error */
    PyThreadState *ts;     /* the walk runs without the GIL; names that are not ASCII take it */
} Lister;

static int grow_add(Grow *g, const void *data, size_t n) {
    if (g->len + n > g->cap) {
        size_t cap = g->cap ? g->cap : 4096;
        while (cap < g->len + n)
            cap *= 2;
        char *buf = realloc(g->buf, cap);
        if (buf == NULL)
            return 0;
        g->buf = buf;
        g->cap = cap;
    }
    memcpy(g->buf + g->len, data, n);
    g->len += n;
    return 1;
}

static int add_text(Lister *ls, const char *name, size_t n);

/* Appends `/name` to ls->path as recorded_name records it. */
static int add_name(Lister *ls, const char *name) {
    size_t n = strlen(name);
    int ascii = 1;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = (unsigned char)name[i] < 0x80;
    if (!grow_add(&ls->path, "/", 1))
        return 0;
    if (ascii)
        return grow_add(&ls->path, name, n);
    PyEval_RestoreThread(ls->ts);
    int ok = add_text(ls, name, n);
    ls->ts = PyEval_SaveThread();
    return ok;
}

/* add_name for a name that is not ASCII (holds the GIL). */
static int add_text(Lister *ls, const char *name, size_t n) {
    PyObject *text = PyUnicode_DecodeUTF8(name, (Py_ssize_t)n, "strict");
    if (text == NULL) {  /* not UTF-8: backslashes doubled, the other bytes as \xNN */
        PyErr_Clear();
        Grow raw = {NULL, 0, 0};
        int ok = 1;
        for (size_t i = 0; i < n && ok; i++)
            ok = grow_add(&raw, name[i] == '\\' ? "\\\\" : name + i, name[i] == '\\' ? 2 : 1);
        text = ok ? PyUnicode_DecodeUTF8(raw.buf, (Py_ssize_t)raw.len, "backslashreplace")
                  : NULL;
        free(raw.buf);
        if (text == NULL)
            return 0;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
    int ok = utf8 != NULL && grow_add(&ls->path, utf8, (size_t)size);
    Py_DECREF(text);
    return ok;
}

static int add_record(Lister *ls, const struct stat *st) {
    char figures[64];
    int n = snprintf(figures, sizeof figures, "%c%lld%c%lld%c", 0, (long long)st->st_size, 0,
                     (long long)st->st_mtim.tv_sec * 1000000000LL
                         + (long long)st->st_mtim.tv_nsec, 0);
    size_t start = ls->arena.len;
    return n > 0 && grow_add(&ls->starts, &start, sizeof start)
        && grow_add(&ls->arena, ls->path.buf, ls->path.len)
        && grow_add(&ls->arena, figures, (size_t)n);
}

static void list_folder(Lister *ls, int fd) {   /* takes fd */
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        return;
    }
    size_t base = ls->path.len;
    struct dirent *e;
    while (!ls->failed && (e = readdir(dir)) != NULL) {
        const char *name = e->d_name;
        if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
            continue;
        struct stat st;
        int have_stat = 0, is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            have_stat = 1;
            is_dir = S_ISDIR(st.st_mode);
        }
        if (is_dir && name[0] == '.')
            continue;
        if (!is_dir && !have_stat && fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!add_name(ls, name)) {
            ls->failed = 1;
            break;
        }
        if (is_dir) {
            int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (child >= 0)
                list_folder(ls, child);
        } else if (!add_record(ls, &st)) {
            ls->failed = 1;
        }
        ls->path.len = base;
    }
    closedir(dir);
}

typedef struct {
    const char *p;
    size_t len;
} Record;

static int record_order(const void *a, const void *b) {
    return strcmp(((const Record *)a)->p, ((const Record *)b)->p);
}

static PyObject *fastparse_listing(PyObject *self, PyObject *args) {
    const char *folder, *prefix;
    Py_ssize_t prefix_len;
    if (!PyArg_ParseTuple(args, "yy#", &folder, &prefix, &prefix_len))
        return NULL;
    Lister ls = {{NULL, 0, 0}, {NULL, 0, 0}, {NULL, 0, 0}, 0, NULL};
    PyObject *out = NULL;
    Record *records = NULL;
    size_t n = 0;
    ls.ts = PyEval_SaveThread();
    if (grow_add(&ls.path, prefix, (size_t)prefix_len)) {
        int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
            list_folder(&ls, fd);
        n = ls.starts.len / sizeof(size_t);
        records = ls.failed ? NULL : malloc((n ? n : 1) * sizeof(Record));
    }
    if (records != NULL) {
        const size_t *starts = (const size_t *)ls.starts.buf;
        for (size_t i = 0; i < n; i++) {
            size_t end = i + 1 < n ? starts[i + 1] : ls.arena.len;
            records[i].p = ls.arena.buf + starts[i];
            records[i].len = end - starts[i];
        }
        qsort(records, n, sizeof(Record), record_order);
    }
    PyEval_RestoreThread(ls.ts);
    if (records == NULL)
        goto done;
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)ls.arena.len);
    if (out != NULL) {
        char *dst = PyBytes_AS_STRING(out);
        for (size_t i = 0; i < n; i++) {
            memcpy(dst, records[i].p, records[i].len);
            dst += records[i].len;
        }
    }
done:
    if (out == NULL && !PyErr_Occurred())
        PyErr_NoMemory();
    free(records);
    free(ls.arena.buf);
    free(ls.starts.buf);
    free(ls.path.buf);
    return out;
}

/* records_dict(data) -> {path: (size, mtime_ns)} of listing's records (ValueError if `data`
   is not such records). */
static PyObject *fastparse_records_dict(PyObject *self, PyObject *args) {
    const char *p;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y#", &p, &n))
        return NULL;
    const char *end = p + n;   /* bytes objects end with a NUL: strtoll stops there */
    PyObject *out = PyDict_New();
    while (out != NULL && p < end) {
        const char *path = p;
        size_t len = strnlen(p, (size_t)(end - p));
        char *stop;
        p += len + 1;
        long long size = p < end ? strtoll(p, &stop, 10) : 0;
        if (p >= end || stop == p || *stop || (p = stop + 1) >= end) {
            PyErr_SetString(PyExc_ValueError, "records_dict: malformed records");
            Py_CLEAR(out);
            break;
        }
        long long mtime = strtoll(p, &stop, 10);
        if (stop == p || *stop || stop >= end) {
            PyErr_SetString(PyExc_ValueError, "records_dict: malformed records");
            Py_CLEAR(out);
            break;
        }
        p = stop + 1;
        PyObject *key = PyUnicode_DecodeUTF8(path, (Py_ssize_t)len, "strict");
        PyObject *value = key == NULL ? NULL : Py_BuildValue("(LL)", size, mtime);
        if (value == NULL || PyDict_SetItem(out, key, value) < 0)
            Py_CLEAR(out);
        Py_XDECREF(key);
        Py_XDECREF(value);
    }
    return out;
}

static PyMethodDef methods[] = {
    {"parse", fastparse_parse, METH_VARARGS,
     "parse(data, names, max_depth, max_entries) -> (top, columns, codes, values) or None"},
    {"checks", fastparse_checks, METH_VARARGS,
     "checks(values, starts, keys_of, scores, programs, make, low, high, floor) -> [index]"},
    {"listing", fastparse_listing, METH_VARARGS,
     "listing(folder, prefix) -> bytes: sorted records path\\0size\\0mtime_ns\\0"},
    {"records_dict", fastparse_records_dict, METH_VARARGS,
     "records_dict(data) -> {path: (size, mtime_ns)} of listing's records"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fastparse", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fastparse(void) {
    /* NaN and the infinities as Python's float() makes them (the json module's constants) */
    NAN_VALUE = PyOS_string_to_double("nan", NULL, NULL);
    POS_INF = PyOS_string_to_double("inf", NULL, NULL);
    NEG_INF = PyOS_string_to_double("-inf", NULL, NULL);
    return PyModule_Create(&module);
}
