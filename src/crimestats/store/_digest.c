/*
 * crimestats.store._digest: the content digest a store records of each file it ingested.
 *
 * XXH64 (Yann Collet's xxHash, 64-bit; test vectors in tests/store/test_digest.py) with two
 * seeds, over each 4 MiB chunk of a file and then over the chunks' digests (the chunking is
 * crimestats.store.manifest.content_digest's): 128 bits at several GB/s, where SHA-256 runs at
 * about 1 GB/s here and was a fifth of a refresh. Not cryptographic: a local store's files are
 * not chosen to collide. Built at install, like the street scanner; optional (the store then
 * records SHA-256).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint64_t X1 = 11400714785074694791ULL, X2 = 14029467366897019727ULL, X3 = 1609587929392839161ULL,
                      X4 = 9650029242287828579ULL, X5 = 2870177450012600261ULL;

static inline uint64_t rotl64(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t xxh_round(uint64_t acc, uint64_t input) {
    acc += input * X2;
    acc = rotl64(acc, 31);
    return acc * X1;
}

static inline uint64_t xxh_merge(uint64_t acc, uint64_t value) {
    acc ^= xxh_round(0, value);
    return acc * X1 + X4;
}

static inline uint64_t load64le(const unsigned char *p) {
    uint64_t word;
    memcpy(&word, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap64(word);
#endif
    return word;
}

static inline uint32_t load32le(const unsigned char *p) {
    uint32_t word;
    memcpy(&word, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    word = __builtin_bswap32(word);
#endif
    return word;
}

/* The part of XXH64 after the 32-byte stripes: ``p`` at the first byte no stripe took. */
static uint64_t xxh64_end(uint64_t h, const unsigned char *p, const unsigned char *end, size_t n) {
    h += (uint64_t)n;
    for (; p + 8 <= end; p += 8) h = rotl64(h ^ xxh_round(0, load64le(p)), 27) * X1 + X4;
    if (p + 4 <= end) {
        h = rotl64(h ^ ((uint64_t)load32le(p) * X1), 23) * X2 + X3;
        p += 4;
    }
    for (; p < end; p++) h = rotl64(h ^ ((uint64_t)*p * X5), 11) * X1;
    h ^= h >> 33;
    h *= X2;
    h ^= h >> 29;
    h *= X3;
    h ^= h >> 32;
    return h;
}

static inline uint64_t xxh64_lanes(const uint64_t v[4]) {
    uint64_t h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
    for (int i = 0; i < 4; i++) h = xxh_merge(h, v[i]);
    return h;
}

/* XXH64 of p[0:n] with ``count`` seeds (1 or 2) at once: the stripes are read once for both. */
static void xxh64_seeds(const unsigned char *p, size_t n, const uint64_t *seeds, int count, uint64_t *out) {
    const unsigned char *end = p + n;
    uint64_t v[2][4], h[2];
    for (int k = 0; k < count; k++) {
        v[k][0] = seeds[k] + X1 + X2;
        v[k][1] = seeds[k] + X2;
        v[k][2] = seeds[k];
        v[k][3] = seeds[k] - X1;
    }
    if (n >= 32) {
        const unsigned char *limit = end - 32;
        do {
            for (int i = 0; i < 4; i++) {
                uint64_t word = load64le(p + 8 * i);
                v[0][i] = xxh_round(v[0][i], word);
                if (count > 1) v[1][i] = xxh_round(v[1][i], word);
            }
            p += 32;
        } while (p <= limit);
        for (int k = 0; k < count; k++) h[k] = xxh64_lanes(v[k]);
    } else {
        for (int k = 0; k < count; k++) h[k] = seeds[k] + X5;
    }
    for (int k = 0; k < count; k++) out[k] = xxh64_end(h[k], p, end, n);
}

static uint64_t xxh64(const unsigned char *p, size_t n, uint64_t seed) {
    uint64_t h;
    xxh64_seeds(p, n, &seed, 1, &h);
    return h;
}

PyDoc_STRVAR(xxh64_doc, "xxh64(data, seed=0, /)\n--\n\nXXH64 of a bytes-like object (without the GIL).");

static PyObject *py_xxh64(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "xxh64(data, seed=0) takes one or two arguments");
        return NULL;
    }
    uint64_t seed = 0;
    if (nargs == 2) {
        seed = PyLong_AsUnsignedLongLongMask(args[1]);
        if (PyErr_Occurred()) return NULL;
    }
    Py_buffer data;
    if (PyObject_GetBuffer(args[0], &data, PyBUF_SIMPLE) < 0) return NULL;
    uint64_t h;
    Py_BEGIN_ALLOW_THREADS
    h = xxh64((const unsigned char *)data.buf, (size_t)data.len, seed);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    return PyLong_FromUnsignedLongLong(h);
}

PyDoc_STRVAR(digest_doc,
             "digest(data, /)\n--\n\n"
             "A 128-bit content digest of a bytes-like object (without the GIL): XXH64 with seed 0, then\n"
             "with seed 0x9E3779B97F4A7C15, as 32 hexadecimal digits.");

static PyObject *py_digest(PyObject *module, PyObject *data_object) {
    (void)module;
    Py_buffer data;
    if (PyObject_GetBuffer(data_object, &data, PyBUF_SIMPLE) < 0) return NULL;
    const uint64_t seeds[2] = {0, 0x9E3779B97F4A7C15ULL};
    uint64_t h[2];
    Py_BEGIN_ALLOW_THREADS
    xxh64_seeds((const unsigned char *)data.buf, (size_t)data.len, seeds, 2, h);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    char hex[33];
    snprintf(hex, sizeof(hex), "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
    return PyUnicode_FromString(hex);
}

#if defined(__unix__) || defined(__APPLE__)
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#define HAVE_FILE_DIGEST 1

/* The digest of a file as crimestats.store.manifest.content_digest computes it: the digests of its
 * ``chunk``-byte chunks (32 hexadecimal digits each, end to end), digested. Read with read(2) into
 * one buffer, not mapped: a file cut short while it is read gives a short read, not a SIGBUS.
 * Returns 0, or an errno. */
static int file_digest(const char *path, size_t chunk, char *out /* 33 bytes */) {
    const uint64_t seeds[2] = {0, 0x9E3779B97F4A7C15ULL};
    uint64_t h[2];
    int fd = open(path, O_RDONLY);
    if (fd < 0) return errno;
    unsigned char *buffer = malloc(chunk);
    size_t hex_size = 1024, done = 0;
    char *hex = malloc(hex_size);
    if (!buffer || !hex) {
        free(buffer);
        free(hex);
        close(fd);
        return ENOMEM;
    }
    int error = 0;
    for (;;) {
        size_t filled = 0; /* a whole chunk, unless the file ends first */
        while (filled < chunk) {
            ssize_t got = read(fd, buffer + filled, chunk - filled);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) {
                error = errno;
                break;
            }
            if (got == 0) break;
            filled += (size_t)got;
        }
        if (error || filled == 0) break;
        if (32 * (done + 1) + 1 > hex_size) {
            char *grown = realloc(hex, hex_size * 2);
            if (!grown) {
                error = ENOMEM;
                break;
            }
            hex = grown;
            hex_size *= 2;
        }
        xxh64_seeds(buffer, filled, seeds, 2, h);
        snprintf(hex + 32 * done++, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
        if (filled < chunk) break;
    }
    close(fd);
    free(buffer);
    if (!error) {
        xxh64_seeds((const unsigned char *)hex, 32 * done, seeds, 2, h);
        snprintf(out, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
    }
    free(hex);
    return error;
}

PyDoc_STRVAR(file_digest_doc,
             "file_digest(path, chunk, /)\n--\n\n"
             "The digest of a file's content in one call without the GIL: :func:`digest` of each\n"
             "``chunk`` bytes, then of those digests end to end (crimestats.store.manifest).");

static PyObject *py_file_digest(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "file_digest(path, chunk) takes two arguments");
        return NULL;
    }
    PyObject *encoded;
    if (!PyUnicode_FSConverter(args[0], &encoded)) return NULL;
    Py_ssize_t chunk = PyLong_AsSsize_t(args[1]);
    if (chunk <= 0) {
        Py_DECREF(encoded);
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "chunk must be positive");
        return NULL;
    }
    char out[33];
    int error;
    const char *path = PyBytes_AS_STRING(encoded);
    Py_BEGIN_ALLOW_THREADS
    error = file_digest(path, (size_t)chunk, out);
    Py_END_ALLOW_THREADS
    if (error) {
        errno = error;
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, args[0]);
        Py_DECREF(encoded);
        return NULL;
    }
    Py_DECREF(encoded);
    return PyUnicode_FromString(out);
}
#endif

static PyMethodDef methods[] = {
    {"xxh64", (PyCFunction)(void (*)(void))py_xxh64, METH_FASTCALL, xxh64_doc},
    {"digest", (PyCFunction)py_digest, METH_O, digest_doc},
#ifdef HAVE_FILE_DIGEST
    {"file_digest", (PyCFunction)(void (*)(void))py_file_digest, METH_FASTCALL, file_digest_doc},
#endif
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "crimestats.store._digest",
    "The content digest a store records of each file (see crimestats.store.manifest).", -1, methods, NULL, NULL,
    NULL, NULL,
};

PyMODINIT_FUNC PyInit__digest(void) { return PyModule_Create(&module); }
