/*
 * crimestats.io._streetscan: one pass over a block of data.police.uk street-file lines.
 *
 * The compiled half of the street-file ingest path (issue 15; the Python half is
 * crimestats/io/street_blocks.py). pyarrow's CSV reader tokenises every field of every line and
 * builds columns for the ones asked for; counting needs four short columns, the crime-ID hashes
 * and a yes/no on the coordinates. This scanner walks a block of whole lines once, without the
 * GIL, and returns exactly that:
 *
 *   - the row count and whether the last line has no line break;
 *   - for each "dictionary" column: an int32 code per row and the distinct values in order of
 *     first appearance (what pyarrow's dictionary-encoded column holds);
 *   - for the crime-ID column: the 64-bit hash of each ID (crime_ids._mix64 of its 64 bytes) and
 *     whether the row has one;
 *   - nothing for the coordinate columns: they are only checked to be plain decimal numbers.
 *
 * It serves only the plain case. Anything else -- a NUL byte, text that is not UTF-8, a blank
 * line, a row with a field too many or too few, a quote inside an unquoted field or a quoted
 * field over a line end, a lone carriage return, a byte-order mark at the start of the block, an
 * escaped quote in a column it returns, a coordinate that is not a plain number, a crime ID that is
 * neither blank nor 64 visible bytes --
 * makes it decline: it returns a short string saying why, and the caller parses the block with
 * pyarrow and checks it exactly as before, so every error and quality note is unchanged.
 *
 * Given a Digest (XXH3-128, the store's content digest: crimestats/digests.py), the scan also
 * feeds it the block's bytes a few kilobytes behind where it reads, while they are in the core's
 * cache: a store refresh digests every file it reads without a second pass over its bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* xxHash 0.8.4, vendored unchanged (xxhash/README.md): the algorithm the xxhash package computes. */
#define XXH_INLINE_ALL
#include "xxhash/xxhash.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* What the scanner does with a field (street_blocks.py names them too: exported, and a test checks). */
enum role { SKIP = 0, DICT = 1, CRIME_ID = 2, NUMBER = 3 };

/* Why a block is declined (the caller falls back to the exact path). */
static const char *const NUL_BYTE = "NUL byte";
static const char *const NOT_UTF8 = "not UTF-8";
static const char *const FIELDS = "a line whose field count is not the header's";
static const char *const QUOTE = "a quote the plain path does not read";
static const char *const CARRIAGE = "a carriage return not before a line feed";
static const char *const COORDINATE = "a coordinate that is not a plain number";
static const char *const CRIME_ID_SHAPE = "a crime ID that is not 64 visible bytes";
static const char *const BOM = "a byte-order mark at the start of the block";
static const char *const NO_MEMORY = "out of memory";

/* ---- distinct values of a column ------------------------------------------------------------ */

typedef struct {
    const char *start;
    Py_ssize_t length;
} Span;

/* Copies of a dictionary's values, end to end: compared there, not where they first appeared in
 * the block (a cache miss per look-up). Pages are never moved, so pointers into them hold. */
typedef struct Page {
    struct Page *next;
    size_t used, size;
    char data[];
} Page;

typedef struct {
    uint32_t hash; /* the high bits of the value's hash (its slot is the low bits): skips most comparisons */
    int32_t code;  /* index into values, -1 empty */
} Slot;

typedef struct {
    Span *values; /* distinct values (copies in pages), in order of first appearance */
    Py_ssize_t count, capacity;
    Slot *slots; /* open addressing */
    Py_ssize_t mask;
    Page *page;       /* the page being filled; earlier ones follow its next */
    int32_t *codes;   /* one per row */
    Py_ssize_t last;  /* the code of the previous row (months and forces rarely change) */
} Dictionary;

static inline uint64_t load64(const char *p) {
    uint64_t word;
    memcpy(&word, p, 8);
    return word;
}

/* A hash of a short value: its first and last eight bytes (overlapping when shorter than 16)
 * and, between them, eight bytes at a time, then MurmurHash3's 64-bit finaliser. Tables take
 * their slot from the low bits: a multiply carries a difference only upwards, and values that
 * differ in their last bytes (LSOA codes: "E01000001", "E01000002", ...) differ in the high bits
 * of each word, so without the finaliser they clustered (7.6 probes per look-up among the 36,778
 * codes of an LSOA table, 1.2 with it). */
static inline uint64_t hash_bytes(const char *s, Py_ssize_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    if (n >= 8) {
        h = (h ^ load64(s)) * 0xBF58476D1CE4E5B9ULL;
        for (Py_ssize_t i = 8; i + 8 < n; i += 8) h = (h ^ (h >> 31) ^ load64(s + i)) * 0xBF58476D1CE4E5B9ULL;
        h = h ^ (h >> 31) ^ load64(s + n - 8);
    } else {
        uint64_t word = 0;
        for (Py_ssize_t i = 0; i < n; i++) word = (word << 8) | (unsigned char)s[i];
        h ^= word;
    }
    h = (h ^ (h >> 33)) * 0xFF51AFD7ED558CCDULL;
    h = (h ^ (h >> 33)) * 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 33);
}

/* Whether two values of the same length are equal (short values: no call to memcmp). */
static inline int same(const char *a, const char *b, Py_ssize_t n) {
    if (n >= 8) {
        for (Py_ssize_t i = 0; i + 8 < n; i += 8)
            if (load64(a + i) != load64(b + i)) return 0;
        return load64(a + n - 8) == load64(b + n - 8);
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static int dictionary_init(Dictionary *d, Py_ssize_t rows) { /* rows > 0: the initial capacity */
    d->count = 0;
    d->capacity = 64;
    d->mask = 127;
    d->last = -1;
    d->page = NULL;
    d->values = malloc(sizeof(Span) * d->capacity);
    d->slots = malloc(sizeof(Slot) * (d->mask + 1));
    d->codes = malloc(sizeof(int32_t) * rows);
    if (!d->values || !d->slots || !d->codes) return -1;
    for (Py_ssize_t j = 0; j <= d->mask; j++) d->slots[j].code = -1;
    return 0;
}

static void dictionary_free(Dictionary *d) {
    free(d->values);
    free(d->slots);
    free(d->codes);
    while (d->page) {
        Page *next = d->page->next;
        free(d->page);
        d->page = next;
    }
    d->values = NULL;
    d->slots = NULL;
    d->codes = NULL;
}

/* A copy of a value in the dictionary's pages; NULL when out of memory. */
static const char *dictionary_copy(Dictionary *d, const char *start, Py_ssize_t length) {
    if (!d->page || d->page->used + (size_t)length > d->page->size) {
        size_t size = (size_t)length > 65536 ? (size_t)length : 65536;
        Page *page = malloc(sizeof(Page) + size);
        if (!page) return NULL;
        page->next = d->page;
        page->used = 0;
        page->size = size;
        d->page = page;
    }
    char *copy = d->page->data + d->page->used;
    memcpy(copy, start, (size_t)length);
    d->page->used += (size_t)length;
    return copy;
}

static int dictionary_grow(Dictionary *d) {
    Py_ssize_t size = (d->mask + 1) * 2;
    Slot *slots = malloc(sizeof(Slot) * size);
    if (!slots) return -1;
    for (Py_ssize_t j = 0; j < size; j++) slots[j].code = -1;
    for (Py_ssize_t i = 0; i <= d->mask; i++) {
        if (d->slots[i].code < 0) continue;
        /* The slot is the low bits of the value's hash (the tag is its high bits): hashed again. */
        const Span *v = &d->values[d->slots[i].code];
        Py_ssize_t j = (Py_ssize_t)(hash_bytes(v->start, v->length) & (uint64_t)(size - 1));
        while (slots[j].code >= 0) j = (j + 1) & (size - 1);
        slots[j] = d->slots[i];
    }
    free(d->slots);
    d->slots = slots;
    d->mask = size - 1;
    return 0;
}

/* The code of a value, added at the end when new. Returns -1 when out of memory. */
static inline int32_t dictionary_code(Dictionary *d, const char *start, Py_ssize_t length) {
    if (d->last >= 0) {
        const Span *v = &d->values[d->last];
        if (v->length == length && same(v->start, start, length)) return (int32_t)d->last;
    }
    uint64_t h = hash_bytes(start, length);
    uint32_t hash = (uint32_t)(h >> 32);
    Py_ssize_t j = (Py_ssize_t)(h & (uint64_t)d->mask);
    while (d->slots[j].code >= 0) {
        if (d->slots[j].hash == hash) {
            const Span *v = &d->values[d->slots[j].code];
            if (v->length == length && same(v->start, start, length)) {
                d->last = d->slots[j].code;
                return (int32_t)d->last;
            }
        }
        j = (j + 1) & d->mask;
    }
    if (d->count == d->capacity) {
        Span *values = realloc(d->values, sizeof(Span) * d->capacity * 2);
        if (!values) return -1;
        d->values = values;
        d->capacity *= 2;
    }
    const char *copy = dictionary_copy(d, start, length);
    if (!copy) return -1;
    int32_t code = (int32_t)d->count;
    d->values[d->count].start = copy;
    d->values[d->count].length = length;
    d->count++;
    d->slots[j].hash = hash;
    d->slots[j].code = code;
    d->last = code;
    if (d->count * 2 > d->mask + 1 && dictionary_grow(d) < 0) return -1;
    return code;
}

/* ---- crime IDs: the hash of crimestats.io.crime_ids._mix64 ------------------------------------- */

static const uint64_t MULTIPLIERS[8] = {
    0x9E3779B97F4A7C15ULL, 0xBF58476D1CE4E5B9ULL, 0x94D049BB133111EBULL, 0xD6E8FEB86659FD93ULL,
    0xA0761D6478BD642FULL, 0xE7037ED1A0B428DBULL, 0x8EBC6AF09C88C6E3ULL, 0x589965CC75374CC3ULL,
};

static uint64_t mix64(const char *id) {
    uint64_t h = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t word;
        memcpy(&word, id + 8 * i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        word = __builtin_bswap64(word);
#endif
        h += word * MULTIPLIERS[i];
    }
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 27;
    return h;
}

/* Whether every byte of an ID is above 0x20 (no space or control character), as crime_id_hashes asks. */
static int visible(const char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        __m128i chunk = _mm_loadu_si128((const __m128i *)(s + i));
        /* max(chunk, 0x20) == 0x20 exactly where a byte is <= 0x20 (unsigned) */
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(chunk, space), space))) return 0;
    }
#endif
    for (; i < n; i++)
        if ((unsigned char)s[i] <= 0x20) return 0;
    return 1;
}

/* ---- plain decimal numbers ------------------------------------------------------------------ */

/* -?digits(.digits)? : what pyarrow reads as a float64 and pandas as a number alike. */
static int plain_number(const char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    if (i < n && s[i] == '-') i++;
    Py_ssize_t digits = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == digits) return 0;
    if (i < n && s[i] == '.') {
        Py_ssize_t fraction = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == fraction) return 0;
    }
    return i == n;
}

/* ---- UTF-8 ---------------------------------------------------------------------------------- */

/* Whether s[0:n] is valid UTF-8 as Python's strict decoder has it (no overlongs, surrogates or
 * code points past U+10FFFF). */
static int valid_utf8(const unsigned char *s, Py_ssize_t n) {
    Py_ssize_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        while (i + 16 <= n && !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(s + i)))) i += 16;
        if (i >= n) break;
#endif
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        Py_ssize_t need;
        unsigned char low = 0x80, high = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0) low = 0xA0;
            if (c == 0xED) high = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0) low = 0x90;
            if (c == 0xF4) high = 0x8F;
        } else {
            return 0;
        }
        if (i + need >= n) return 0; /* cut off at the end */
        if (s[i + 1] < low || s[i + 1] > high) return 0;
        for (Py_ssize_t k = 2; k <= need; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return 0;
        i += need + 1;
    }
    return 1;
}

/* ---- where the special bytes are, 64 bytes at a time -------------------------------------- */

typedef struct {
    uint64_t quote, comma, lf, cr, nul, high; /* bit i: byte i of the chunk is one */
} Masks;

#if defined(__SSE2__)
static inline void masks16(const char *p, int shift, Masks *m) {
    const __m128i chunk = _mm_loadu_si128((const __m128i *)p);
    m->quote |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('"'))) << shift;
    m->comma |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8(','))) << shift;
    m->lf |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('\n'))) << shift;
    m->cr |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('\r'))) << shift;
    m->nul |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, _mm_setzero_si128())) << shift;
    m->high |= (uint64_t)(uint16_t)_mm_movemask_epi8(chunk) << shift;
}
#endif

/* The masks of the 64 bytes at p (all readable). */
static inline void masks64(const char *p, Masks *m) {
    memset(m, 0, sizeof(*m));
#if defined(__SSE2__)
    masks16(p, 0, m);
    masks16(p + 16, 16, m);
    masks16(p + 32, 32, m);
    masks16(p + 48, 48, m);
#else
    for (int i = 0; i < 64; i++) {
        unsigned char c = (unsigned char)p[i];
        uint64_t bit = 1ULL << i;
        if (c == '"') m->quote |= bit;
        else if (c == ',') m->comma |= bit;
        else if (c == '\n') m->lf |= bit;
        else if (c == '\r') m->cr |= bit;
        else if (c == 0) m->nul |= bit;
        else if (c >= 0x80) m->high |= bit;
    }
#endif
}

/* Bit i set where an odd number of the bits 0..i of x are set: inside quotes, given the quote bits. */
static inline uint64_t prefix_xor(uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* Whether a field holding a quote is a well-formed quoted field: a quote first and last, and
 * quotes between them only doubled. Sets *escaped when there is a doubled quote. */
static int quoted_field(const char *start, const char *stop, int *escaped) {
    if (stop - start < 2 || *start != '"' || stop[-1] != '"') return 0;
    for (const char *p = start + 1; p < stop - 1; p++) {
        if (*p != '"') continue;
        if (p + 1 >= stop - 1 || p[1] != '"') return 0;
        *escaped = 1;
        p++;
    }
    return 1;
}

/* ---- the scan ------------------------------------------------------------------------------- */

typedef struct {
    const char *data;
    Py_ssize_t size;
    Py_ssize_t fields;
    const unsigned char *roles; /* one per field */
    Py_ssize_t *slot;           /* field -> index of its dictionary (DICT) */
    Dictionary *dictionaries;
    uint64_t *hashes; /* CRIME_ID: the hash of each ID, rows without one left out */
    uint8_t *present; /* CRIME_ID: 1 where the row has an ID */
    Py_ssize_t ids;   /* CRIME_ID: rows with an ID */
    Py_ssize_t ndict;
    Py_ssize_t rows, capacity; /* rows scanned, rows the arrays hold */
    int unterminated;
    XXH3_state_t *digest; /* fed the block's bytes as they are scanned, or NULL */
    const char *hashed;   /* the bytes before this have been fed to it */
} Scan;

/* Bytes the digest is fed at a time, just behind the scan: they are still in the core's L1/L2 cache. */
#define DIGEST_STRIDE (16 * 1024)

/* Room for twice the rows in every per-row array. */
static int grow(Scan *s) {
    Py_ssize_t capacity = s->capacity * 2;
    for (Py_ssize_t k = 0; k < s->ndict; k++) {
        int32_t *codes = realloc(s->dictionaries[k].codes, sizeof(int32_t) * capacity);
        if (!codes) return -1;
        s->dictionaries[k].codes = codes;
    }
    if (s->hashes) {
        uint64_t *hashes = realloc(s->hashes, sizeof(uint64_t) * capacity);
        if (!hashes) return -1;
        s->hashes = hashes;
        uint8_t *present = realloc(s->present, (size_t)capacity);
        if (!present) return -1;
        s->present = present;
    }
    s->capacity = capacity;
    return 0;
}

/* The work of one field's value; NULL when done, else why the block is declined. */
static inline __attribute__((always_inline)) const char *take(Scan *s, Py_ssize_t field, const char *start, Py_ssize_t length, int escaped) {
    switch (s->roles[field]) {
    case DICT: {
        if (escaped) return QUOTE;
        int32_t code = dictionary_code(&s->dictionaries[s->slot[field]], start, length);
        if (code < 0) return NO_MEMORY;
        s->dictionaries[s->slot[field]].codes[s->rows] = code;
        return NULL;
    }
    case CRIME_ID:
        if (length == 0) {
            s->present[s->rows] = 0;
            return NULL;
        }
        if (escaped || length != 64 || !visible(start, length)) return CRIME_ID_SHAPE;
        s->hashes[s->ids++] = mix64(start);
        s->present[s->rows] = 1;
        return NULL;
    case NUMBER:
        if (length == 0) return NULL; /* no coordinate: null, not an error */
        return (!escaped && plain_number(start, length)) ? NULL : COORDINATE;
    default:
        return NULL;
    }
}

/* One field ends at ``stop`` (a comma or line feed, or the end of the data). */
static inline __attribute__((always_inline)) const char *field_end(Scan *s, Py_ssize_t field, const char *start, const char *stop, int line_end,
                                    int has_quote) {
    if (line_end && stop > start && stop[-1] == '\r') stop--; /* CRLF */
    int escaped = 0;
    if (has_quote) {
        if (!quoted_field(start, stop, &escaped)) return QUOTE;
        start++;
        stop--;
    }
    return s->roles[field] == SKIP ? NULL : take(s, field, start, stop - start, escaped);
}

/* The scan: each 64-byte chunk's special bytes found with SIMD compares, the quoted stretches by a
 * prefix XOR of the quote bits, and the separators (commas and line feeds outside quotes) visited
 * bit by bit: no branch per byte, and one per field. */
static const char *scan(Scan *s) {
    const char *data = s->data, *end = s->data + s->size;
    /* pyarrow skips a UTF-8 byte-order mark at the start of what it parses (a block), and the
     * whole-file check reads it as text: the exact path decides. */
    if (s->size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) return BOM;
    const char *field_start = data;
    Py_ssize_t field = 0;
    uint64_t inside_carry = 0; /* all ones when a chunk starts inside quotes */
    int quote_carry = 0;       /* the field running into this chunk holds a quote */
    int cr_carry = 0;          /* the previous chunk ended with a CR */
    int high = 0;
    char tail[64];
    for (const char *chunk = data; chunk < end; chunk += 64) {
        Masks m;
        uint64_t valid = ~0ULL;
        if (s->digest && chunk - s->hashed >= DIGEST_STRIDE) {
            XXH3_128bits_update(s->digest, s->hashed, (size_t)(chunk - s->hashed));
            s->hashed = chunk;
        }
        if (end - chunk >= 64) {
            masks64(chunk, &m);
        } else {
            memset(tail, ' ', sizeof(tail));
            memcpy(tail, chunk, (size_t)(end - chunk));
            masks64(tail, &m);
            valid = (1ULL << (end - chunk)) - 1;
            m.quote &= valid;
            m.comma &= valid;
            m.lf &= valid;
            m.cr &= valid;
            m.nul &= valid;
            m.high &= valid;
        }
        if (m.nul) return NUL_BYTE;
        high |= m.high != 0;
        uint64_t inside = prefix_xor(m.quote) ^ inside_carry;
        inside_carry = (uint64_t)((int64_t)inside >> 63);
        if ((m.lf | m.cr) & inside) return QUOTE; /* a quoted field over a line end */
        if (cr_carry && !(m.lf & 1)) return CARRIAGE;
        if (m.cr & ~(m.lf >> 1) & (valid >> 1)) return CARRIAGE; /* a CR not before an LF */
        cr_carry = (int)((m.cr >> 63) & 1); /* a full chunk's last byte (the tail's bit 63 is never set) */
        uint64_t seps = (m.comma | m.lf) & ~inside;
        const uint64_t lfs = m.lf & ~inside;
        uint64_t consumed = 0; /* bits up to the last separator visited */
        while (seps) {
            int at = __builtin_ctzll(seps);
            seps &= seps - 1;
            const uint64_t upto = (2ULL << at) - 1; /* bits 0..at (all 64 at 63: the shift wraps to 0) */
            int has_quote = quote_carry || (m.quote & upto & ~consumed) != 0;
            consumed = upto;
            quote_carry = 0;
            const char *stop = chunk + at;
            const int line_end = (int)((lfs >> at) & 1);
            if (line_end && field == 0 && (stop == field_start || (stop - field_start == 1 && *field_start == '\r')))
                return FIELDS; /* a blank line (pyarrow skips it): even with a single column */
            if (field >= s->fields) return FIELDS;
            if (s->roles[field] != SKIP || has_quote || line_end) {
                const char *why = field_end(s, field, field_start, stop, line_end, has_quote);
                if (why) return why;
            }
            field_start = stop + 1;
            if (!line_end) {
                if (++field == s->fields) return FIELDS;
                continue;
            }
            if (field != s->fields - 1) return FIELDS; /* also a blank line */
            field = 0;
            if (++s->rows == s->capacity && grow(s) < 0) return NO_MEMORY;
        }
        quote_carry = quote_carry || (m.quote & ~consumed) != 0;
    }
    if (inside_carry) return QUOTE; /* a quote never closed */
    if (s->size > 0 && end[-1] == '\r') return CARRIAGE;
    if (field > 0 || field_start < end) { /* the last line, with no line break */
        if (field != s->fields - 1) return FIELDS;
        const char *why = field_end(s, field, field_start, end, 0, quote_carry);
        if (why) return why;
        s->rows++;
        s->unterminated = 1;
    }
    if (high && !valid_utf8((const unsigned char *)s->data, s->size)) return NOT_UTF8;
    return NULL;
}

/* ---- an interner: distinct values of a column across blocks and files ----------------------- */

/* The values are Python str objects kept in a list of the interner's own (never handed out: a
 * caller gets copies, by index or slice), numbered in order of first appearance; the table
 * points into their UTF-8 bytes, which live as long as the list holds them (or, for values
 * given as lines, into the bytes object ``lines``, their str made only when first asked for). A block's own
 * distinct values are looked up here once each, with the GIL held, so the codes a scan returns
 * are the interner's: a reader maps each value (an LSOA code) once per read, not once per file. */
typedef struct {
    PyObject_HEAD
    PyObject *values; /* list of str, private; behind count when made from lines (decoded when asked for) */
    PyObject *lines;  /* the bytes the spans of values given as lines point into (Interner.from_lines), or NULL */
    Py_ssize_t count; /* values numbered so far */
    Span *spans;      /* UTF-8 of each value */
    Py_ssize_t capacity;
    int32_t *slots;
    Py_ssize_t mask;
} Interner;

/* The slot a value goes in (or is in): -1 empty slots are where a new value would go. */
static Py_ssize_t interner_slot(const Interner *self, const char *start, Py_ssize_t length) {
    Py_ssize_t j = (Py_ssize_t)(hash_bytes(start, length) & (uint64_t)self->mask);
    while (self->slots[j] >= 0) {
        const Span *v = &self->spans[self->slots[j]];
        if (v->length == length && same(v->start, start, length)) return j;
        j = (j + 1) & self->mask;
    }
    return j;
}

/* Room for one more value (spans and slots), before anything is added: a failure changes nothing. */
static int interner_room(Interner *self) {
    if (self->count == self->capacity) {
        Span *spans = PyMem_Realloc(self->spans, sizeof(Span) * self->capacity * 2);
        if (!spans) return -1;
        self->spans = spans;
        self->capacity *= 2;
    }
    if ((self->count + 1) * 2 > self->mask + 1) {
        Py_ssize_t size = (self->mask + 1) * 2;
        int32_t *slots = PyMem_Malloc(sizeof(int32_t) * size);
        if (!slots) return -1;
        memset(slots, 0xff, sizeof(int32_t) * size);
        for (Py_ssize_t i = 0; i < self->count; i++) {
            Py_ssize_t j = (Py_ssize_t)(hash_bytes(self->spans[i].start, self->spans[i].length) & (uint64_t)(size - 1));
            while (slots[j] >= 0) j = (j + 1) & (size - 1);
            slots[j] = (int32_t)i;
        }
        PyMem_Free(self->slots);
        self->slots = slots;
        self->mask = size - 1;
    }
    return 0;
}

/* Number a str the interner does not hold yet (``j``: its empty slot, made with room for it);
 * the list keeps the object, and with it the UTF-8 bytes the span points to. -1 with an
 * exception set on failure. */
static int interner_decoded(Interner *self);

static int32_t interner_add(Interner *self, PyObject *text, const char *utf8, Py_ssize_t size, Py_ssize_t j) {
    if (interner_decoded(self) < 0 || PyList_Append(self->values, text) < 0) return -1;
    int32_t code = (int32_t)self->count;
    self->spans[code].start = utf8;
    self->spans[code].length = size;
    self->slots[j] = code;
    self->count++;
    return code;
}

/* Room for one more value, or -1 with an exception set. */
static int interner_make_room(Interner *self) {
    if (self->count >= INT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "more distinct values than an int32 code can number");
        return -1;
    }
    if (interner_room(self) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The interner's code of a value (added when new); -1 with an exception set on failure. */
static int32_t interner_code(Interner *self, const char *start, Py_ssize_t length) {
    Py_ssize_t j = interner_slot(self, start, length);
    if (self->slots[j] >= 0) return self->slots[j];
    if (interner_make_room(self) < 0) return -1;
    j = interner_slot(self, start, length); /* the table may have grown */
    PyObject *text = PyUnicode_DecodeUTF8(start, length, "strict");
    if (!text) return -1;
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &size);
    int32_t code = utf8 ? interner_add(self, text, utf8, size, j) : -1;
    Py_DECREF(text);
    return code;
}

/* Room for ``n`` values in an empty interner, the table sized once (no rehash while they are added);
 * -1 with an exception set when out of memory. */
static int interner_reserve(Interner *self, Py_ssize_t n) {
    if (n <= self->capacity || n >= INT32_MAX || self->count > 0) return 0;
    Py_ssize_t slots = 2 * (self->mask + 1);
    while (slots < 2 * (n + 1)) slots *= 2;
    Span *spans = PyMem_Realloc(self->spans, sizeof(Span) * n);
    if (spans) self->spans = spans;
    int32_t *table = spans ? PyMem_Realloc(self->slots, sizeof(int32_t) * slots) : NULL;
    if (table) self->slots = table;
    if (!spans || !table) {
        PyErr_NoMemory();
        return -1;
    }
    memset(self->slots, 0xff, sizeof(int32_t) * slots);
    self->capacity = n;
    self->mask = slots - 1;
    return 0;
}

/* Interner(values=()): the given values (distinct str) numbered 0, 1, ... in order. */
static PyObject *interner_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"values", NULL};
    PyObject *given = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:Interner", keywords, &given)) return NULL;
    Interner *self = (Interner *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    self->values = PyList_New(0);
    self->count = 0;
    self->capacity = 1024;
    self->mask = 2047;
    self->spans = PyMem_Malloc(sizeof(Span) * self->capacity);
    self->slots = PyMem_Malloc(sizeof(int32_t) * (self->mask + 1));
    if (!self->values || !self->spans || !self->slots) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    memset(self->slots, 0xff, sizeof(int32_t) * (self->mask + 1));
    if (given && PyUnicode_Check(given)) {
        PyErr_SetString(PyExc_TypeError, "Interner(values): values must be a sequence of str, not a str");
        goto fail;
    }
    if (given) {
        PyObject *sequence = PySequence_Fast(given, "Interner(values): values must be a sequence of str");
        if (!sequence) goto fail;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(sequence);
        PyObject **items = PySequence_Fast_ITEMS(sequence);
        if (interner_reserve(self, n) < 0) { /* sized once for what is given (an LSOA table: 36,778) */
            Py_DECREF(sequence);
            goto fail;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            if (!PyUnicode_Check(items[i])) {
                PyErr_Format(PyExc_TypeError, "Interner(values): item %zd is not a str", i);
                break;
            }
            Py_ssize_t size;
            const char *utf8 = PyUnicode_AsUTF8AndSize(items[i], &size);
            if (!utf8 || interner_make_room(self) < 0) break;
            Py_ssize_t j = interner_slot(self, utf8, size);
            if (self->slots[j] >= 0) {
                PyErr_Format(PyExc_ValueError, "Interner(values): item %zd repeats item %d", i, self->slots[j]);
                break;
            }
            if (interner_add(self, items[i], utf8, size, j) < 0) break;
        }
        Py_DECREF(sequence);
        if (PyErr_Occurred()) goto fail;
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static void interner_dealloc(Interner *self) {
    Py_XDECREF(self->values);
    Py_XDECREF(self->lines);
    PyMem_Free(self->spans);
    PyMem_Free(self->slots);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The values list made whole: those given as lines are decoded the first time any value is asked for. */
static int interner_decoded(Interner *self) {
    for (Py_ssize_t i = PyList_GET_SIZE(self->values); i < self->count; i++) {
        PyObject *text = PyUnicode_DecodeUTF8(self->spans[i].start, self->spans[i].length, "strict");
        if (!text) return -1;
        int failed = PyList_Append(self->values, text);
        Py_DECREF(text);
        if (failed < 0) return -1;
    }
    return 0;
}

/* Interner.from_lines(lines): the values of a bytes object of UTF-8 lines, each ended by a line
 * feed, numbered 0, 1, ... in order, as Interner(values) numbers a list of str; no str is made
 * until a value is asked for (a table of 36,778 LSOA codes is only looked up in). */
static PyObject *interner_from_lines(PyObject *type, PyObject *lines) {
    if (!PyBytes_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "Interner.from_lines takes bytes");
        return NULL;
    }
    const char *data = PyBytes_AS_STRING(lines);
    Py_ssize_t size = PyBytes_GET_SIZE(lines);
    if (size > 0 && data[size - 1] != '\n') {
        PyErr_SetString(PyExc_ValueError, "Interner.from_lines: each value must end with a line feed");
        return NULL;
    }
    if (!valid_utf8((const unsigned char *)data, size)) {
        PyErr_SetString(PyExc_ValueError, "Interner.from_lines: the lines are not UTF-8");
        return NULL;
    }
    Interner *self = (Interner *)PyObject_CallNoArgs(type);
    if (!self) return NULL;
    Py_INCREF(lines);
    self->lines = lines;
    Py_ssize_t n = 0;
    for (const char *p = data; (p = memchr(p, '\n', (size_t)(data + size - p))) != NULL; p++) n++;
    if (interner_reserve(self, n) < 0) goto fail;
    const char *end = data + size;
    for (const char *start = data; start < end;) {
        const char *stop = memchr(start, '\n', (size_t)(end - start));
        if (interner_make_room(self) < 0) goto fail;
        Py_ssize_t j = interner_slot(self, start, stop - start);
        if (self->slots[j] >= 0) {
            PyErr_Format(PyExc_ValueError, "Interner.from_lines: line %zd repeats line %d", self->count, self->slots[j]);
            goto fail;
        }
        self->spans[self->count].start = start;
        self->spans[self->count].length = stop - start;
        self->slots[j] = (int32_t)self->count++;
        start = stop + 1;
    }
    return (PyObject *)self;
fail:
    Py_DECREF(self);
    return NULL;
}

static Py_ssize_t interner_length(Interner *self) { return self->count; }

/* interner[i]: the value of code i; interner[a:b]: a new list of those values. */
static PyObject *interner_subscript(Interner *self, PyObject *key) {
    if (PySlice_Check(key)) {
        Py_ssize_t start, stop, step;
        if (PySlice_Unpack(key, &start, &stop, &step) < 0) return NULL;
        if (step != 1) {
            PyErr_SetString(PyExc_ValueError, "an Interner slice takes no step");
            return NULL;
        }
        PySlice_AdjustIndices(self->count, &start, &stop, step);
        if (interner_decoded(self) < 0) return NULL;
        return PyList_GetSlice(self->values, start, stop);
    }
    Py_ssize_t i = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (i == -1 && PyErr_Occurred()) return NULL;
    if (i < 0) i += self->count;
    if (i < 0 || i >= self->count) {
        PyErr_SetString(PyExc_IndexError, "Interner index out of range");
        return NULL;
    }
    if (interner_decoded(self) < 0) return NULL;
    PyObject *value = PyList_GET_ITEM(self->values, i);
    Py_INCREF(value);
    return value;
}

/* interner.get(value): the code of a str, -1 when the interner does not hold it. */
static PyObject *interner_get(Interner *self, PyObject *value) {
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "Interner.get takes a str");
        return NULL;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(value, &size);
    if (!utf8) return NULL;
    return PyLong_FromLong(self->slots[interner_slot(self, utf8, size)]);
}

/* interner.find(other, start, stop): this interner's code of each of other[start:stop] (-1 where
 * it does not hold the value), as int32 bytes. */
static PyObject *interner_find(Interner *self, PyObject *args) {
    PyObject *other;
    Py_ssize_t start, stop;
    if (!PyArg_ParseTuple(args, "O!nn:find", Py_TYPE(self), &other, &start, &stop)) return NULL;
    const Interner *from = (const Interner *)other;
    if (start < 0 || stop < start || stop > from->count) {
        PyErr_SetString(PyExc_IndexError, "Interner.find: start and stop must satisfy 0 <= start <= stop <= len(other)");
        return NULL;
    }
    PyObject *found = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int32_t) * (stop - start));
    if (!found) return NULL;
    int32_t *codes = (int32_t *)PyBytes_AS_STRING(found);
    for (Py_ssize_t i = start; i < stop; i++)
        codes[i - start] = self->slots[interner_slot(self, from->spans[i].start, from->spans[i].length)];
    return found;
}

static PyMethodDef interner_methods[] = {
    {"get", (PyCFunction)interner_get, METH_O, "get(value)\n--\n\nThe code of a str, -1 when not held."},
    {"from_lines", (PyCFunction)interner_from_lines, METH_O | METH_CLASS,
     "from_lines(lines)\n--\n\nAn interner of the values of UTF-8 lines, each ended by a line feed (bytes), "
     "numbered in order;\nno str is made until a value is asked for."},
    {"find", (PyCFunction)interner_find, METH_VARARGS,
     "find(other, start, stop)\n--\n\nThis interner's code of each of other[start:stop] (-1 where not held), as "
     "int32 bytes."},
    {NULL, NULL, 0, NULL},
};

static PyMappingMethods interner_mapping = {
    .mp_length = (lenfunc)interner_length,
    .mp_subscript = (binaryfunc)interner_subscript,
};

static PyTypeObject InternerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "crimestats.io._streetscan.Interner",
    .tp_doc = PyDoc_STR("Interner(values=())\n--\n\nNumbers the distinct values of a column across the blocks "
                        "scanned with it\n(after the distinct str values given, numbered 0, 1, ... in order);\n"
                        "interner[i] is the value of code i, interner[a:b] a list of those values."),
    .tp_basicsize = sizeof(Interner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = interner_new,
    .tp_dealloc = (destructor)interner_dealloc,
    .tp_as_mapping = &interner_mapping,
    .tp_methods = interner_methods,
};

/* Replace a block's own codes by the interner's, each distinct value looked up once; the
 * interner's codes of the block's distinct values (in order of first appearance) as int32 bytes. */
static PyObject *intern_codes(Interner *interner, Dictionary *d, Py_ssize_t rows) {
    PyObject *ids = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int32_t) * d->count);
    if (!ids) return NULL;
    int32_t *remap = (int32_t *)PyBytes_AS_STRING(ids);
    for (Py_ssize_t k = 0; k < d->count; k++) {
        remap[k] = interner_code(interner, d->values[k].start, d->values[k].length);
        if (remap[k] < 0) {
            Py_DECREF(ids);
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < rows; i++) d->codes[i] = remap[d->codes[i]];
    return ids;
}

/* ---- the Python function -------------------------------------------------------------------- */

/* Rows per value and the first row of each value (int64 bytes each), from a block's own codes. */
static int tally_codes(const Dictionary *d, Py_ssize_t rows, PyObject **counts, PyObject **first) {
    *counts = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int64_t) * d->count);
    *first = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)sizeof(int64_t) * d->count);
    if (!*counts || !*first) return -1;
    int64_t *n = (int64_t *)PyBytes_AS_STRING(*counts), *at = (int64_t *)PyBytes_AS_STRING(*first);
    for (Py_ssize_t k = 0; k < d->count; k++) {
        n[k] = 0;
        at[k] = -1;
    }
    for (Py_ssize_t i = 0; i < rows; i++) {
        int32_t code = d->codes[i];
        if (n[code]++ == 0) at[code] = i;
    }
    return 0;
}

static PyObject *values_list(const Dictionary *d) {
    PyObject *list = PyList_New(d->count);
    if (!list) return NULL;
    for (Py_ssize_t i = 0; i < d->count; i++) {
        PyObject *text = PyUnicode_DecodeUTF8(d->values[i].start, d->values[i].length, "strict");
        if (!text) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, text);
    }
    return list;
}

/* ---- a content digest fed by scans -------------------------------------------------------- */

/* XXH3-128 of the bytes fed to it, in order: what xxhash.xxh3_128 gives for the same bytes. Fed
 * by scan() (each block as it is scanned) and by update() (what is not scanned: the header line,
 * a block the caller parses the exact way). One thread at a time: the GIL is released while it
 * hashes, so a second feeder meanwhile is refused rather than let corrupt the state. */
typedef struct {
    PyObject_HEAD
    XXH3_state_t *state;
    int busy; /* being fed without the GIL */
} Digest;

static PyObject *digest_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, ":Digest", keywords)) return NULL;
    Digest *self = (Digest *)type->tp_alloc(type, 0);
    if (!self) return NULL;
    self->state = XXH3_createState();
    if (!self->state) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    XXH3_128bits_reset(self->state);
    return (PyObject *)self;
}

static void digest_dealloc(Digest *self) {
    if (self->state) XXH3_freeState(self->state);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Claim the digest for feeding (with the GIL held); -1 with an exception when another thread is. */
static int digest_claim(Digest *self) {
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "Digest: fed by two threads at once");
        return -1;
    }
    self->busy = 1;
    return 0;
}

static PyObject *digest_update(Digest *self, PyObject *data) {
    Py_buffer b;
    if (PyObject_GetBuffer(data, &b, PyBUF_SIMPLE) < 0) return NULL;
    if (digest_claim(self) < 0) {
        PyBuffer_Release(&b);
        return NULL;
    }
    if (b.len >= DIGEST_STRIDE) {
        Py_BEGIN_ALLOW_THREADS
        XXH3_128bits_update(self->state, b.buf, (size_t)b.len);
        Py_END_ALLOW_THREADS
    } else {
        XXH3_128bits_update(self->state, b.buf, (size_t)b.len);
    }
    self->busy = 0;
    PyBuffer_Release(&b);
    Py_RETURN_NONE;
}

static PyObject *digest_hexdigest(Digest *self, PyObject *unused) {
    (void)unused;
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "Digest: read while another thread feeds it");
        return NULL;
    }
    XXH128_canonical_t canonical; /* big-endian, high half first: xxhash's hexdigest() */
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(self->state));
    static const char hex[] = "0123456789abcdef";
    char text[2 * sizeof(canonical.digest)];
    for (size_t i = 0; i < sizeof(canonical.digest); i++) {
        text[2 * i] = hex[canonical.digest[i] >> 4];
        text[2 * i + 1] = hex[canonical.digest[i] & 15];
    }
    return PyUnicode_FromStringAndSize(text, (Py_ssize_t)sizeof(text));
}

static PyMethodDef digest_methods[] = {
    {"update", (PyCFunction)digest_update, METH_O, "update(data)\n--\n\nFeed the bytes of ``data`` (any buffer)."},
    {"hexdigest", (PyCFunction)digest_hexdigest, METH_NOARGS,
     "hexdigest()\n--\n\nThe XXH3-128 digest of the bytes fed so far, as 32 hexadecimal digits."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject DigestType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "crimestats.io._streetscan.Digest",
    .tp_doc = PyDoc_STR("Digest()\n--\n\nXXH3-128 of the bytes fed to it in order (by update() or by "
                        "scan(..., digest)),\nas xxhash.xxh3_128 gives it."),
    .tp_basicsize = sizeof(Digest),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = digest_new,
    .tp_dealloc = (destructor)digest_dealloc,
    .tp_methods = digest_methods,
};

PyDoc_STRVAR(scan_doc,
             "scan(data, roles, interners=None, digest=None, /)\n--\n\n"
             "Scan a block of whole street-file lines (no header) in one pass, without the GIL.\n\n"
             "``roles`` holds one byte per header field: 0 skip, 1 dictionary-encode, 2 crime ID\n"
             "(hash it), 3 coordinate (check it is a plain number). Returns ``(rows, unterminated,\n"
             "columns, hashes, present)``: ``columns`` a list, one ``(codes, values, counts, first)``\n"
             "per dictionary field in header order: ``codes`` int32 bytes (one per row), ``values`` a\n"
             "list of str in order of first appearance, ``counts`` and ``first`` int64 bytes (rows per\n"
             "value, first row of each value). ``hashes``: uint64 bytes, the hash of each crime ID,\n"
             "rows without one left out; ``present``: uint8 bytes, 1 per row with an ID (both None\n"
             "without a crime-ID field). ``interners``, when given, holds one entry per dictionary\n"
             "field: None, or an Interner whose codes that field's codes then are; its column is\n"
             "``(codes, n, ids, None)``, ``n`` the interner's size after this block and ``ids`` its\n"
             "codes of the block's distinct values (int32 bytes). Returns a str saying why when the\n"
             "block is not plain (the caller then parses it the exact way). ``digest``, when given (a\n"
             "Digest), is fed the whole block whatever the scan returns (unless the call raises): the\n"
             "caller never feeds it the block again.");

static PyObject *py_scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs < 2 || nargs > 4) {
        PyErr_SetString(PyExc_TypeError, "scan(data, roles, interners=None, digest=None) takes two to four arguments");
        return NULL;
    }
    PyObject *interners = nargs >= 3 && args[2] != Py_None ? args[2] : NULL;
    Digest *digest = nargs == 4 && args[3] != Py_None ? (Digest *)args[3] : NULL;
    if (digest && !PyObject_TypeCheck((PyObject *)digest, &DigestType)) {
        PyErr_SetString(PyExc_TypeError, "digest: a Digest or None");
        return NULL;
    }
    Py_buffer data, roles;
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(args[1], &roles, PyBUF_SIMPLE) < 0) {
        PyBuffer_Release(&data);
        return NULL;
    }
    PyObject *result = NULL;
    Scan s = {0};
    s.data = data.buf;
    s.size = data.len;
    s.fields = roles.len;
    s.roles = roles.buf;
    Py_ssize_t ndict = 0, id_fields = 0;
    for (Py_ssize_t i = 0; i < s.fields; i++) {
        if (s.roles[i] > NUMBER) {
            PyErr_SetString(PyExc_ValueError, "roles: each byte must be 0, 1, 2 or 3");
            goto done;
        }
        ndict += s.roles[i] == DICT;
        id_fields += s.roles[i] == CRIME_ID;
    }
    if (s.fields == 0 || id_fields > 1) {
        PyErr_SetString(PyExc_ValueError, "roles: at least one field, and at most one crime ID");
        goto done;
    }
    if (interners) {
        if (!PyTuple_Check(interners) || PyTuple_GET_SIZE(interners) != ndict) {
            PyErr_SetString(PyExc_TypeError, "interners: a tuple with one entry per dictionary field");
            goto done;
        }
        for (Py_ssize_t k = 0; k < ndict; k++) {
            PyObject *item = PyTuple_GET_ITEM(interners, k);
            if (item != Py_None && !PyObject_TypeCheck(item, &InternerType)) {
                PyErr_SetString(PyExc_TypeError, "interners: each entry None or an Interner");
                goto done;
            }
        }
    }
    if (digest && digest_claim(digest) < 0) goto done;
    s.digest = digest ? digest->state : NULL;
    s.hashed = s.data;
    const char *why = NULL;
    s.ndict = ndict;
    s.capacity = s.size / 128 + 64; /* rows are 150-300 bytes: one or two doublings at most */
    Py_BEGIN_ALLOW_THREADS
    s.slot = calloc((size_t)s.fields, sizeof(Py_ssize_t));
    s.dictionaries = calloc((size_t)(ndict > 0 ? ndict : 1), sizeof(Dictionary));
    if (id_fields) {
        s.hashes = malloc(sizeof(uint64_t) * s.capacity);
        s.present = malloc((size_t)s.capacity);
    }
    if (!s.slot || !s.dictionaries || (id_fields && (!s.hashes || !s.present))) {
        why = NO_MEMORY;
    } else {
        for (Py_ssize_t i = 0, k = 0; i < s.fields; i++)
            if (s.roles[i] == DICT) {
                s.slot[i] = k;
                if (dictionary_init(&s.dictionaries[k++], s.capacity) < 0) why = NO_MEMORY;
            }
        if (!why) why = scan(&s);
    }
    if (s.digest) /* the rest of the block, however far the scan went */
        XXH3_128bits_update(s.digest, s.hashed, (size_t)(s.data + s.size - s.hashed));
    Py_END_ALLOW_THREADS
    if (digest) digest->busy = 0;
    if (why == NO_MEMORY) {
        PyErr_NoMemory();
        goto done;
    }
    if (why) {
        result = PyUnicode_FromString(why);
        goto done;
    }
    PyObject *columns = PyList_New(ndict);
    if (!columns) goto done;
    for (Py_ssize_t k = 0; k < ndict; k++) {
        PyObject *interner = interners ? PyTuple_GET_ITEM(interners, k) : Py_None;
        Dictionary *d = &s.dictionaries[k];
        PyObject *values = NULL, *third = NULL, *fourth = NULL, *codes = NULL, *column = NULL;
        if (interner != Py_None) { /* (codes, size, ids, None) */
            third = intern_codes((Interner *)interner, d, s.rows);
            values = third ? PyLong_FromSsize_t(interner_length((Interner *)interner)) : NULL;
            fourth = Py_None;
            Py_INCREF(fourth);
        } else if (tally_codes(d, s.rows, &third, &fourth) == 0) { /* (codes, values, counts, first) */
            values = values_list(d);
        }
        if (values && third && fourth)
            codes = PyBytes_FromStringAndSize((const char *)d->codes, (Py_ssize_t)sizeof(int32_t) * s.rows);
        if (codes) column = PyTuple_Pack(4, codes, values, third, fourth);
        Py_XDECREF(codes);
        Py_XDECREF(values);
        Py_XDECREF(third);
        Py_XDECREF(fourth);
        if (!column) {
            Py_DECREF(columns);
            goto done;
        }
        PyList_SET_ITEM(columns, k, column);
    }
    PyObject *hashes = Py_None, *present = Py_None;
    Py_INCREF(Py_None);
    Py_INCREF(Py_None);
    if (id_fields) {
        Py_DECREF(hashes);
        Py_DECREF(present);
        hashes = PyBytes_FromStringAndSize((const char *)s.hashes, (Py_ssize_t)sizeof(uint64_t) * s.ids);
        present = PyBytes_FromStringAndSize((const char *)s.present, s.rows);
        if (!hashes || !present) {
            Py_XDECREF(hashes);
            Py_XDECREF(present);
            Py_DECREF(columns);
            goto done;
        }
    }
    result = Py_BuildValue("(nNNNN)", s.rows, PyBool_FromLong(s.unterminated), columns, hashes, present);
done:
    if (s.dictionaries)
        for (Py_ssize_t k = 0; k < ndict; k++) dictionary_free(&s.dictionaries[k]);
    free(s.dictionaries);
    free(s.slot);
    free(s.hashes);
    free(s.present);
    PyBuffer_Release(&data);
    PyBuffer_Release(&roles);
    return result;
}

/* ---- rows counted by their combined key ---------------------------------------------------- */

/* A flat buffer of ``itemsize``-byte items, its item size checked (None: *buffer left empty, when allowed). */
static int items(PyObject *object, Py_buffer *buffer, Py_ssize_t itemsize, const char *name, int optional) {
    if (object == Py_None && optional) {
        buffer->obj = NULL;
        buffer->buf = NULL;
        buffer->len = 0;
        return 0;
    }
    if (PyObject_GetBuffer(object, buffer, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (buffer->itemsize != itemsize || buffer->ndim > 1) {
        PyErr_Format(PyExc_ValueError, "count_keys: %s must be a flat array of %zd-byte integers, not %zd-byte items",
                     name, itemsize, buffer->itemsize);
        PyBuffer_Release(buffer);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(count_keys_doc,
             "count_keys(month, force, kind, type, code, area, reason, sizes, keep, unknown, /)\n--\n\n"
             "Rows counted by (month, force, area + 1, type, reason), the key numbered as\n"
             "``(((month * F + force) * A + area + 1) * T + type) * R + reason`` for ``sizes`` (M, F, A, T, R).\n\n"
             "``month``, ``force``, ``type`` and ``code`` are int32 codes, one per row; ``area`` and\n"
             "``reason`` (int64) give each LSOA code's area (-1: none) and no-area reason, ``kind`` (int64)\n"
             "each force's reason of its kind (0: none; else the row has that reason and no area);\n"
             "``keep`` (uint8, one per row, or None) the rows counted. Returns ``(keys, counts)`` as int64\n"
             "bytes, the distinct keys ascending; ``counts`` None when the keys were too many to count in\n"
             "an array (then ``keys`` holds each kept row's key, to be counted by the caller). Returns None\n"
             "when any row's reason (kept or not) is ``unknown`` (its area is then found by the LSOA name,\n"
             "in Python). Runs without the GIL; raises ValueError for a code out of range of its size or\n"
             "an array of another item size.");

static PyObject *py_count_keys(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "count_keys takes ten arguments");
        return NULL;
    }
    static const char *const names[] = {"month", "force", "kind", "type", "code", "area", "reason"};
    static const Py_ssize_t sizes_of[] = {4, 4, 8, 4, 4, 8, 8};
    Py_buffer b[8];
    int held = 0;
    PyObject *result = NULL;
    Py_ssize_t dims[5];
    long long unknown = PyLong_AsLongLong(args[9]);
    if (unknown == -1 && PyErr_Occurred()) return NULL;
    if (!PyTuple_Check(args[7]) || PyTuple_GET_SIZE(args[7]) != 5) {
        PyErr_SetString(PyExc_TypeError, "count_keys: sizes must be a tuple of five ints");
        return NULL;
    }
    double total_f = 1.0;
    for (int k = 0; k < 5; k++) {
        dims[k] = PyLong_AsSsize_t(PyTuple_GET_ITEM(args[7], k));
        if (dims[k] == -1 && PyErr_Occurred()) return NULL;
        if (dims[k] < 1) {
            PyErr_SetString(PyExc_ValueError, "count_keys: each size must be at least 1");
            return NULL;
        }
        total_f *= (double)dims[k];
    }
    if (total_f >= 9.0e18) {
        PyErr_SetString(PyExc_OverflowError, "count_keys: the keys do not fit in 64 bits");
        return NULL;
    }
    for (; held < 7; held++)
        if (items(args[held], &b[held], sizes_of[held], names[held], 0) < 0) goto done;
    if (items(args[8], &b[7], 1, "keep", 1) < 0) goto done;
    held = 8;
    const int32_t *month = b[0].buf, *force = b[1].buf, *type = b[3].buf, *code = b[4].buf;
    const int64_t *kind = b[2].buf, *area = b[5].buf, *reason = b[6].buf;
    const uint8_t *keep = b[7].buf;
    const Py_ssize_t rows = b[0].len / 4, forces = b[2].len / 8, codes = b[5].len / 8;
    if (b[1].len / 4 != rows || b[3].len / 4 != rows || b[4].len / 4 != rows || (keep && b[7].len != rows) ||
        b[6].len != b[5].len) {
        PyErr_SetString(PyExc_ValueError, "count_keys: the per-row arrays (and area and reason) differ in length");
        goto done;
    }
    const int64_t total = (int64_t)total_f;
    const int dense = total <= 4 * (int64_t)rows + 1024;
    int64_t *keys = malloc(sizeof(int64_t) * (size_t)(rows > 0 ? rows : 1));
    int64_t *tally = dense ? calloc((size_t)total, sizeof(int64_t)) : NULL;
    int bad = keys == NULL || (dense && tally == NULL), found_unknown = 0;
    Py_ssize_t kept = 0, distinct = 0;
    if (!bad) {
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < rows; i++) {
            int32_t c = code[i], f = force[i];
            if (c < 0 || c >= codes || f < 0 || f >= forces || f >= dims[1]) {
                bad = 2;
                break;
            }
            int64_t r = reason[c];
            if (r == unknown) { /* any row, kept or not: the name fallback looks at every row, as numpy's path does */
                found_unknown = 1;
                break;
            }
            if (keep && !keep[i]) continue;
            int64_t a = area[c];
            if (kind[f] > 0) {
                r = kind[f];
                a = -1;
            }
            int64_t m = month[i], t = type[i];
            if (m < 0 || m >= dims[0] || a < -1 || a >= dims[2] - 1 || t < 0 || t >= dims[3] || r < 0 ||
                r >= dims[4]) {
                bad = 2;
                break;
            }
            keys[kept++] = (((m * dims[1] + f) * dims[2] + (a + 1)) * dims[3] + t) * dims[4] + r;
        }
        if (!bad && !found_unknown && dense) {
            for (Py_ssize_t i = 0; i < kept; i++) tally[keys[i]]++;
            for (int64_t k = 0; k < total; k++)
                if (tally[k]) {
                    keys[distinct] = k;
                    tally[distinct++] = tally[k]; /* distinct <= k: nothing unread is overwritten */
                }
        }
        Py_END_ALLOW_THREADS
    }
    if (bad == 1) {
        PyErr_NoMemory();
    } else if (bad == 2) {
        PyErr_SetString(PyExc_ValueError, "count_keys: a code or value out of range of its size");
    } else if (found_unknown) {
        Py_INCREF(Py_None);
        result = Py_None;
    } else if (dense) {
        result = Py_BuildValue("(y#y#)", (const char *)keys, (Py_ssize_t)(sizeof(int64_t) * distinct), (const char *)tally,
                               (Py_ssize_t)(sizeof(int64_t) * distinct));
    } else {
        result = Py_BuildValue("(y#O)", (const char *)keys, (Py_ssize_t)(sizeof(int64_t) * kept), Py_None);
    }
    free(keys);
    free(tally);
done:
    for (int k = 0; k < held; k++)
        if (b[k].obj) PyBuffer_Release(&b[k]);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", (PyCFunction)(void (*)(void))py_scan, METH_FASTCALL, scan_doc},
    {"count_keys", (PyCFunction)(void (*)(void))py_count_keys, METH_FASTCALL, count_keys_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "crimestats.io._streetscan",
    "One pass over a block of data.police.uk street-file lines (see street_blocks.py).", -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__streetscan(void) {
    if (PyType_Ready(&InternerType) < 0 || PyType_Ready(&DigestType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyModule_AddIntConstant(m, "SKIP", SKIP) < 0 || PyModule_AddIntConstant(m, "DICTIONARY", DICT) < 0 ||
        PyModule_AddIntConstant(m, "CRIME_ID", CRIME_ID) < 0 || PyModule_AddIntConstant(m, "NUMBER", NUMBER) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&InternerType);
    if (PyModule_AddObject(m, "Interner", (PyObject *)&InternerType) < 0) {
        Py_DECREF(&InternerType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&DigestType);
    if (PyModule_AddObject(m, "Digest", (PyObject *)&DigestType) < 0) {
        Py_DECREF(&DigestType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
