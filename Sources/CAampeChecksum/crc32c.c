// CRC-32C with the CPU's instruction where there is one (SSE 4.2 on x86-64, the CRC extension on
// AArch64), and a slicing-by-8 table otherwise.
//
// Why hand-written: no package available to this project computes CRC-32C, and segment readers check
// every RAW column on first use, so the checksum runs at memory speed or it becomes the start-up cost.
#include "aampe_crc32c.h"

#include <string.h>

static uint32_t table[8][256];
static int table_ready = 0;

static void build_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t crc = i;
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
        table[0][i] = crc;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int slice = 1; slice < 8; slice++) table[slice][i] = (table[slice - 1][i] >> 8) ^ table[0][table[slice - 1][i] & 0xFF];
    }
    __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

static uint32_t extend_software(uint32_t crc, const uint8_t *p, size_t n) {
    if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;
        crc = table[7][word & 0xFF] ^ table[6][(word >> 8) & 0xFF] ^ table[5][(word >> 16) & 0xFF] ^
              table[4][(word >> 24) & 0xFF] ^ table[3][(word >> 32) & 0xFF] ^ table[2][(word >> 40) & 0xFF] ^
              table[1][(word >> 48) & 0xFF] ^ table[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xFF];
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

// The instruction's latency is three cycles and its throughput one per cycle, so one dependent chain
// runs at a third of the core's speed. Long inputs go in blocks of three interleaved streams of
// `STREAM` bytes each; the three CRCs are then joined by the linear map "append n zero bytes" (the CRC
// register after n zero bytes is a GF(2)-linear function of the register before), applied through
// tables of its values on each byte of the register.
#define STREAM 4096

// shift_tables[0]: append STREAM zero bytes; [1]: append 2 × STREAM. Each: one table per register byte.
static uint32_t shift_tables[2][4][256];
static int shift_ready = 0;

__attribute__((target("sse4.2"))) static uint32_t append_zeros(uint32_t c, size_t n) {
    uint64_t wide = c;
    for (size_t i = 0; i < n / 8; i++) wide = _mm_crc32_u64(wide, 0);
    return (uint32_t)wide;
}

static void build_shift_tables(void) {
    for (int which = 0; which < 2; which++) {
        size_t zeros = STREAM * (size_t)(which + 1);
        uint32_t basis[32];
        for (int bit = 0; bit < 32; bit++) basis[bit] = append_zeros(1u << bit, zeros);
        for (int byte = 0; byte < 4; byte++) {
            for (uint32_t value = 0; value < 256; value++) {
                uint32_t image = 0;
                for (int bit = 0; bit < 8; bit++) {
                    if (value & (1u << bit)) image ^= basis[byte * 8 + bit];
                }
                shift_tables[which][byte][value] = image;
            }
        }
    }
    __atomic_store_n(&shift_ready, 1, __ATOMIC_RELEASE);
}

static inline uint32_t shift(int which, uint32_t c) {
    return shift_tables[which][0][c & 0xFF] ^ shift_tables[which][1][(c >> 8) & 0xFF] ^
           shift_tables[which][2][(c >> 16) & 0xFF] ^ shift_tables[which][3][c >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t extend_hardware(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    if (n >= 3 * STREAM) {
        // Built twice at worst, by racing first callers, with the same values.
        if (!__atomic_load_n(&shift_ready, __ATOMIC_ACQUIRE)) build_shift_tables();
        while (n >= 3 * STREAM) {
            uint64_t c1 = 0, c2 = 0;
            for (size_t at = 0; at < STREAM; at += 8) {
                uint64_t w0, w1, w2;
                memcpy(&w0, p + at, 8);
                memcpy(&w1, p + STREAM + at, 8);
                memcpy(&w2, p + 2 * STREAM + at, 8);
                c = _mm_crc32_u64(c, w0);
                c1 = _mm_crc32_u64(c1, w1);
                c2 = _mm_crc32_u64(c2, w2);
            }
            c = shift(1, (uint32_t)c) ^ shift(0, (uint32_t)c1) ^ (uint32_t)c2;
            p += 3 * STREAM;
            n -= 3 * STREAM;
        }
    }
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

int aampe_crc32c_is_hardware_accelerated(void) { return __builtin_cpu_supports("sse4.2") ? 1 : 0; }

#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>

static uint32_t extend_hardware(uint32_t crc, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        crc = __crc32cd(crc, word);
        p += 8;
        n -= 8;
    }
    while (n--) crc = __crc32cb(crc, *p++);
    return crc;
}

int aampe_crc32c_is_hardware_accelerated(void) { return 1; }

#else
static uint32_t extend_hardware(uint32_t crc, const uint8_t *p, size_t n) { return extend_software(crc, p, n); }

int aampe_crc32c_is_hardware_accelerated(void) { return 0; }
#endif

uint32_t aampe_crc32c_extend(uint32_t crc, const void *data, size_t length) {
    static int use_hardware = -1;
    int hardware = __atomic_load_n(&use_hardware, __ATOMIC_RELAXED);
    if (hardware < 0) {
        hardware = aampe_crc32c_is_hardware_accelerated();
        __atomic_store_n(&use_hardware, hardware, __ATOMIC_RELAXED);
    }
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    crc = hardware ? extend_hardware(crc, p, length) : extend_software(crc, p, length);
    return ~crc;
}
