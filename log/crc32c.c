/*
 * crc32c.c: RocksDB's CRC32C, computed with the CPU's crc32 instruction.
 *
 * RocksDB checksums every write-ahead-log record and every blob with
 * CRC32C. Debian builds RocksDB for any x86-64 (PORTABLE), so its
 * rocksdb::crc32c::Extend uses tables in software: about a fifth of the CPU
 * of a query that writes as much as it reads. The library calls Extend
 * through its PLT, so a definition in our program takes its place (ELF
 * symbol interposition); this file provides one that uses SSE4.2's crc32
 * instruction. The checksums are the same bits (CRC32C is one function,
 * whoever computes it), so stores written with and without this file read
 * back with either (tests/log/test_crc32c.c).
 *
 * Safety: the first call picks the implementation once: the instruction
 * when the CPU has SSE4.2 and this file's result matches the library's own
 * on test inputs (and the check value of the CRC32C specification);
 * otherwise, or when SLUICE_SOFTWARE_CRC32C is set in the environment, the
 * library's own Extend (found with dlsym(RTLD_NEXT)) does all the work.
 *
 * Does not: change anything on other architectures (there it only
 * answers sl_crc32c_hardware), or touch any other RocksDB function. It
 * depends on RocksDB calling Extend through its PLT (true of Debian's
 * 7.8 build): were a later build to bind the call inside the library,
 * RocksDB would simply keep its own tables (correct, only slower).
 */
#include "log/crc32c.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint32_t (*extend_fn)(uint32_t crc, const char *p, size_t n);

/* rocksdb::crc32c::Extend(unsigned int, char const*, unsigned long) */
uint32_t sl_crc32c_extend(uint32_t crc, const char *p, size_t n)
    __asm__("_ZN7rocksdb6crc32c6ExtendEjPKcm");

/* Software CRC32C (reflected polynomial 0x82F63B78), bit by bit: only for
 * the self-check when the library's own cannot be found. */
static uint32_t extend_bits(uint32_t crc, const char *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint8_t)p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

__attribute__((target("sse4.2")))
static inline uint64_t crc_u64(uint64_t c, const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_ia32_crc32di(c, v);
}

/* a * b modulo the CRC32C polynomial, both in the reflected form of the
 * CRC register (bit 31 is x^0). */
static uint32_t mulmodp(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    for (uint32_t m = 0x80000000u; m; m >>= 1) {
        if (a & m)
            r ^= b;
        b = (b >> 1) ^ (0x82F63B78u & (0u - (b & 1u)));
    }
    return r;
}

/*
 * Long inputs run as three streams over consecutive thirds of a block
 * (the crc32 instruction takes three cycles but can start one a cycle);
 * the register of a stream is then moved past the bytes that followed it
 * (multiplied by x^(8 * STREAM_BYTES)) with four table lookups, and the
 * registers are added (CRC is linear).
 */
#define STREAM_BYTES 4096
static uint32_t shift_table[4][256];     /* filled once, before extend_hw runs */

static void fill_shift_table(void)
{
    uint32_t xpow = 0x80000000u, x8 = 0x00800000u;      /* x^0, x^8 */
    for (size_t e = STREAM_BYTES; e; e >>= 1) {
        if (e & 1)
            xpow = mulmodp(xpow, x8);
        x8 = mulmodp(x8, x8);
    }
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++)
            shift_table[k][b] = mulmodp(xpow, b << (8 * k));
}

static inline uint32_t shift_stream(uint32_t c)
{
    return shift_table[0][c & 0xff] ^ shift_table[1][(c >> 8) & 0xff] ^
           shift_table[2][(c >> 16) & 0xff] ^ shift_table[3][c >> 24];
}

/* Eight bytes per instruction, three streams at a time on long inputs
 * (about 7 bytes a cycle, fifteen times the library's tables). */
__attribute__((target("sse4.2")))
static uint32_t extend_hw(uint32_t crc, const char *p, size_t n)
{
    uint64_t c = crc ^ 0xffffffffu;
    while (n >= 3 * STREAM_BYTES) {
        uint64_t c1 = 0, c2 = 0;
        const char *p1 = p + STREAM_BYTES, *p2 = p + 2 * STREAM_BYTES;
        for (size_t i = 0; i < STREAM_BYTES; i += 8) {
            c = crc_u64(c, p + i);
            c1 = crc_u64(c1, p1 + i);
            c2 = crc_u64(c2, p2 + i);
        }
        c = shift_stream(shift_stream((uint32_t)c) ^ (uint32_t)c1) ^ (uint32_t)c2;
        p += 3 * STREAM_BYTES;
        n -= 3 * STREAM_BYTES;
    }
    while (n >= 32) {
        c = crc_u64(c, p);
        c = crc_u64(c, p + 8);
        c = crc_u64(c, p + 16);
        c = crc_u64(c, p + 24);
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        c = crc_u64(c, p);
        p += 8;
        n -= 8;
    }
    while (n--)
        c = __builtin_ia32_crc32qi((uint32_t)c, (unsigned char)*p++);
    return (uint32_t)c ^ 0xffffffffu;
}

static _Atomic(extend_fn) chosen;
static extend_fn library_extend;    /* RocksDB's own, or NULL */

/* Whether f agrees with ref on the specification's check value and on
 * every length and alignment of a pseudo-random buffer. */
static bool agrees(extend_fn f, extend_fn ref)
{
    if (f(0, "123456789", 9) != 0xE3069283u)
        return false;
    static char buf[7 * STREAM_BYTES + 97];
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof buf; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        buf[i] = (char)s;
    }
    static const size_t lens[] = {0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 4095, 4096,
                                  3 * STREAM_BYTES - 1, 3 * STREAM_BYTES, 3 * STREAM_BYTES + 50,
                                  6 * STREAM_BYTES + 13, 7 * STREAM_BYTES};
    for (size_t a = 0; a < 8; a++)
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            size_t n = lens[k];
            if (a + n > sizeof buf)
                continue;
            if (f(0x12345678u, buf + a, n) != ref(0x12345678u, buf + a, n))
                return false;
        }
    return true;
}

static void choose(void)
{
    library_extend = (extend_fn)dlsym(RTLD_NEXT, "_ZN7rocksdb6crc32c6ExtendEjPKcm");
    extend_fn ref = library_extend ? library_extend : extend_bits, f = ref;
    __builtin_cpu_init();
    const char *env = getenv("SLUICE_SOFTWARE_CRC32C");
    fill_shift_table();
    /* against the library's own (or, without it, the bitwise one); both
     * also meet the specification's check value inside agrees() */
    if ((!env || !*env) && __builtin_cpu_supports("sse4.2") && agrees(extend_hw, ref))
        f = extend_hw;
    atomic_store_explicit(&chosen, f, memory_order_release);
}

uint32_t sl_crc32c_extend(uint32_t crc, const char *p, size_t n)
{
    extend_fn f = atomic_load_explicit(&chosen, memory_order_acquire);
    if (!f) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, choose);
        f = atomic_load_explicit(&chosen, memory_order_acquire);
    }
    return f(crc, p, n);
}

bool sl_crc32c_hardware(void)
{
    /* RocksDB resolves Extend like anyone else: to this file's only when
     * the program exports it (it does when this file is linked in) */
    void *resolved = dlsym(RTLD_DEFAULT, "_ZN7rocksdb6crc32c6ExtendEjPKcm");
    return sl_crc32c_extend(0, "", 0) == 0 && resolved == (void *)sl_crc32c_extend &&
           atomic_load_explicit(&chosen, memory_order_acquire) == extend_hw;
}

#else

bool sl_crc32c_hardware(void)
{
    return false;
}

#endif
