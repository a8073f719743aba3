/*
 * test_partitioner.c: murmur2 and the default partition must equal the Java
 * client's (Kafka's UtilsTest vectors and librdkafka's rdmurmur2 vectors,
 * which were taken from the Java client), and librdkafka's own murmur2
 * partitioner on many keys and partition counts.
 */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "log/partitioner.h"

typedef struct { const char *key; int32_t java; } vec;

/* Values Java's org.apache.kafka.common.utils.Utils.murmur2 returns. */
static const vec vectors[] = {
    /* Kafka UtilsTest.testMurmur2 */
    {"21", -973932308},
    {"foobar", -790332482},
    {"a-little-bit-long-string", -985981536},
    {"a-little-bit-longer-string", -1486304829},
    {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
    {"abc", 479470107},
    /* librdkafka rdmurmur2.c unit test (java_murmur2_results) */
    {"kafka", (int32_t)0xd067cf64},
    {"giberish123456789", (int32_t)0x8f552b0c},
    {"1234", (int32_t)0x9fc97b14},
    {"234", (int32_t)0xe7c009ca},
    {"34", (int32_t)0x873930da},
    {"4", (int32_t)0x5a4b5ca1},
    {"", (int32_t)0x106e08d9},
};

Test(partitioner, java_murmur2_vectors)
{
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        int32_t h = sl_partitioner_murmur2(vectors[i].key, strlen(vectors[i].key));
        cr_expect_eq(h, vectors[i].java, "murmur2(\"%s\") = %d, Java gives %d", vectors[i].key,
                     h, vectors[i].java);
    }
}

Test(partitioner, empty_key_may_be_null_pointer)
{
    cr_expect_eq(sl_partitioner_murmur2(NULL, 0), (int32_t)0x106e08d9);
    cr_expect_eq(sl_partitioner_for_key(NULL, 0, 7), (0x106e08d9 & 0x7fffffff) % 7);
}

/* (murmur2 & 0x7fffffff) % n, computed from the Java values. */
Test(partitioner, partition_from_java_values)
{
    static const int32_t counts[] = {1, 2, 3, 6, 12, 64, 1000};
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++)
        for (size_t j = 0; j < sizeof counts / sizeof counts[0]; j++) {
            int32_t want = (int32_t)(((uint32_t)vectors[i].java & 0x7fffffffu) % (uint32_t)counts[j]);
            cr_expect_eq(sl_partitioner_for_key(vectors[i].key, strlen(vectors[i].key), counts[j]),
                         want, "key \"%s\", %d partitions", vectors[i].key, counts[j]);
        }
}

Test(partitioner, bad_partition_count)
{
    cr_expect_eq(sl_partitioner_for_key("a", 1, 0), -1);
    cr_expect_eq(sl_partitioner_for_key("a", 1, -3), -1);
}

/* Binary keys of every length 0..300 (all tail cases, bytes >= 0x80 that
 * Java sign-extends before masking), against librdkafka's partitioner. */
Test(partitioner, same_as_librdkafka)
{
    unsigned char buf[300];
    uint32_t x = 12345;
    int mismatches = 0;
    for (size_t len = 0; len <= sizeof buf; len++) {
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (unsigned char)(x >> 16);
        }
        for (int32_t n = 1; n <= 40; n += 13) {
            int32_t ours = sl_partitioner_for_key(buf, len, n);
            int32_t theirs = rd_kafka_msg_partitioner_murmur2(NULL, buf, len, n, NULL, NULL);
            if (ours != theirs)
                mismatches++;
        }
    }
    cr_expect_eq(mismatches, 0, "%d keys partitioned differently from librdkafka", mismatches);
}
