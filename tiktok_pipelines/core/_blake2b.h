/* BLAKE2b (RFC 7693), unkeyed, any digest length up to 64 bytes: the same digests as Python's
 * hashlib.blake2b(data, digest_size=n). Written after the RFC's reference description. */
#ifndef TTP_BLAKE2B_H
#define TTP_BLAKE2B_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    uint64_t h[8];
    uint64_t t[2];
    uint8_t buf[128];
    size_t buflen;
    size_t outlen;
} b2b_state;

static const uint64_t b2b_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL,
};

/* The message schedule: round i takes row i mod 10 (RFC 7693, 3.2), so rounds 10 and 11 take rows 0 and 1. */
static const uint8_t b2b_sigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

static inline uint64_t b2b_load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t b2b_rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

#define B2B_G(a, b, c, d, x, y)           \
    do {                                  \
        a = a + b + (x);                  \
        d = b2b_rotr(d ^ a, 32);          \
        c = c + d;                        \
        b = b2b_rotr(b ^ c, 24);          \
        a = a + b + (y);                  \
        d = b2b_rotr(d ^ a, 16);          \
        c = c + d;                        \
        b = b2b_rotr(b ^ c, 63);          \
    } while (0)

/* One round: the columns, then the diagonals, mixing the message words in the order `z` gives. */
#define B2B_ROUND(z)                                            \
    do {                                                        \
        const uint8_t *r_ = (z);                                \
        B2B_G(v[0], v[4], v[8], v[12], m[r_[0]], m[r_[1]]);     \
        B2B_G(v[1], v[5], v[9], v[13], m[r_[2]], m[r_[3]]);     \
        B2B_G(v[2], v[6], v[10], v[14], m[r_[4]], m[r_[5]]);    \
        B2B_G(v[3], v[7], v[11], v[15], m[r_[6]], m[r_[7]]);    \
        B2B_G(v[0], v[5], v[10], v[15], m[r_[8]], m[r_[9]]);    \
        B2B_G(v[1], v[6], v[11], v[12], m[r_[10]], m[r_[11]]);  \
        B2B_G(v[2], v[7], v[8], v[13], m[r_[12]], m[r_[13]]);   \
        B2B_G(v[3], v[4], v[9], v[14], m[r_[14]], m[r_[15]]);   \
    } while (0)

static void b2b_compress(b2b_state *s, const uint8_t *block, int last) {
    uint64_t m[16], v[16];
    int i;
    for (i = 0; i < 16; i++) m[i] = b2b_load64(block + 8 * i);
    for (i = 0; i < 8; i++) {
        v[i] = s->h[i];
        v[i + 8] = b2b_iv[i];
    }
    v[12] ^= s->t[0];
    v[13] ^= s->t[1];
    if (last) v[14] = ~v[14];
    for (i = 0; i < 10; i++) B2B_ROUND(b2b_sigma[i]);
    B2B_ROUND(b2b_sigma[0]);
    B2B_ROUND(b2b_sigma[1]);
    for (i = 0; i < 8; i++) s->h[i] ^= v[i] ^ v[i + 8];
}

static void b2b_init(b2b_state *s, size_t outlen) {
    int i;
    for (i = 0; i < 8; i++) s->h[i] = b2b_iv[i];
    s->h[0] ^= 0x01010000ULL ^ (uint64_t)outlen;
    s->t[0] = s->t[1] = 0;
    s->buflen = 0;
    s->outlen = outlen;
}

static inline void b2b_count(b2b_state *s, uint64_t n) {
    s->t[0] += n;
    if (s->t[0] < n) s->t[1]++;
}

static void b2b_update(b2b_state *s, const void *data, size_t n) {
    const uint8_t *in = (const uint8_t *)data;
    while (n > 0) {
        if (s->buflen == 128) { /* a full block is compressed only once more input follows it */
            b2b_count(s, 128);
            b2b_compress(s, s->buf, 0);
            s->buflen = 0;
        }
        if (s->buflen == 0) {
            while (n > 128) {
                b2b_count(s, 128);
                b2b_compress(s, in, 0);
                in += 128;
                n -= 128;
            }
        }
        size_t take = 128 - s->buflen;
        if (take > n) take = n;
        memcpy(s->buf + s->buflen, in, take);
        s->buflen += take;
        in += take;
        n -= take;
    }
}

static void b2b_final(b2b_state *s, uint8_t *out) {
    uint8_t full[64];
    int i;
    b2b_count(s, s->buflen);
    memset(s->buf + s->buflen, 0, 128 - s->buflen);
    b2b_compress(s, s->buf, 1);
    for (i = 0; i < 8; i++) {
        uint64_t v = s->h[i];
        int j;
        for (j = 0; j < 8; j++) full[8 * i + j] = (uint8_t)(v >> (8 * j));
    }
    memcpy(out, full, s->outlen);
}

#endif
