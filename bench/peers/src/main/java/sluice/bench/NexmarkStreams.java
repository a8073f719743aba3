/*
 * NexmarkStreams: the Kafka Streams peer of bench/kafka/run.sh.
 *
 * Does: the benchmark's queries over Nexmark bids (JSON values, topic
 * "bid"), written as an ordinary Kafka Streams application would write
 * them, with the DSL and Jackson:
 *   q1     every bid with price * 0.908 (an exact decimal)
 *   q2     (auction, price) of the bids whose auction is a multiple of 123
 *   count  bids per bidder in 10 s tumbling event-time windows (record
 *          timestamps), no grace, one result per window when it closes
 * It runs until it has read --records input records and then closes
 * (which commits and flushes), or until no record came for --idle-ms once
 * records came (a failure when --records was given), or fails when none
 * came within --start-timeout-ms.
 * Prints "read N, wrote M" to stderr at the end.
 * Does not: create topics (the output topic must exist; Kafka Streams
 * creates its own repartition and changelog topics), or check results.
 *
 * Usage: NexmarkStreams --bootstrap-servers B --query q1|q2|count
 *            --application-id ID --output TOPIC [--input bid]
 *            [--records N] [--idle-ms 5000] [--start-timeout-ms 120000]
 *            [--state-dir DIR]
 */
package sluice.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.EmitStrategy;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;

public final class NexmarkStreams {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN, true);
    private static final BigDecimal EURO = new BigDecimal("0.908");

    private static final AtomicLong READ = new AtomicLong();
    private static final AtomicLong WRITTEN = new AtomicLong();

    private NexmarkStreams() {}

    public static void main(String[] argv) throws Exception {
        // Kafka's INFO lines (every configuration, every state change) cost
        // CPU that an application in production would not spend either
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Map<String, String> a = parseArgs(argv);
        String bootstrap = need(a, "--bootstrap-servers");
        String query = need(a, "--query");
        String appId = need(a, "--application-id");
        String output = need(a, "--output");
        String input = a.getOrDefault("--input", "bid");
        long records = Long.parseLong(a.getOrDefault("--records", "0"));
        long idleMs = Long.parseLong(a.getOrDefault("--idle-ms", "5000"));
        long startMs = Long.parseLong(a.getOrDefault("--start-timeout-ms", "120000"));
        String stateDir = a.get("--state-dir");
        if (stateDir == null) {
            stateDir = Files.createTempDirectory("nexmark-streams").toString();
        }

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");

        StreamsBuilder b = new StreamsBuilder();
        KStream<String, String> bids = b.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .peek((k, v) -> READ.incrementAndGet());
        switch (query) {
            case "q1" -> q1(bids, output);
            case "q2" -> q2(bids, output);
            case "count" -> count(bids, output);
            default -> usage("unknown query " + query);
        }

        KafkaStreams streams = new KafkaStreams(b.build(), p);
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println("NexmarkStreams: " + e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        boolean ok = waitForEnd(streams, records, idleMs, startMs);
        streams.close(Duration.ofSeconds(60));
        System.err.printf("NexmarkStreams: %s read %d, wrote %d%n", query, READ.get(), WRITTEN.get());
        System.exit(ok ? 0 : 1);
    }

    /* price * 0.908, every other field as it was */
    private static void q1(KStream<String, String> bids, String output) {
        bids.mapValues(v -> {
            ObjectNode bid = (ObjectNode) read(v);
            bid.put("price", BigDecimal.valueOf(bid.get("price").asLong()).multiply(EURO));
            return write(bid);
        }).peek((k, v) -> WRITTEN.incrementAndGet())
          .to(output, Produced.with(Serdes.String(), Serdes.String()));
    }

    /* (auction, price) of bids on an auction whose id is a multiple of 123 */
    private static void q2(KStream<String, String> bids, String output) {
        bids.flatMapValues(v -> {
            JsonNode bid = read(v);
            long auction = bid.get("auction").asLong();
            if (auction % 123 != 0) {
                return List.<String>of();
            }
            ObjectNode out = JSON.createObjectNode();
            out.put("auction", auction);
            out.put("price", bid.get("price").asLong());
            return List.of(write(out));
        }).peek((k, v) -> WRITTEN.incrementAndGet())
          .to(output, Produced.with(Serdes.String(), Serdes.String()));
    }

    /* bids per bidder per 10 s tumbling window, emitted when the window
     * closes. Only the bidder goes through the repartition topic. */
    private static void count(KStream<String, String> bids, String output) {
        bids.map((k, v) -> KeyValue.pair(read(v).get("bidder").asLong(), ""))
            .groupByKey(Grouped.with(Serdes.Long(), Serdes.String()))
            .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofSeconds(10)))
            .emitStrategy(EmitStrategy.onWindowClose())
            .count(Materialized.with(Serdes.Long(), Serdes.Long()))
            .toStream()
            .map((w, n) -> {
                ObjectNode out = JSON.createObjectNode();
                out.put("bidder", w.key());
                out.put("window_start", w.window().start());
                out.put("window_end", w.window().end());
                out.put("n", n);
                return KeyValue.pair(Long.toString(w.key()), write(out));
            })
            .peek((k, v) -> WRITTEN.incrementAndGet())
            .to(output, Produced.with(Serdes.String(), Serdes.String()));
    }

    /* true once `records` were read (or, with records 0, once input stopped
     * coming for idleMs); false on an error or when nothing came at all */
    private static boolean waitForEnd(KafkaStreams s, long records, long idleMs, long startMs)
            throws InterruptedException {
        long start = System.currentTimeMillis();
        long last = start;
        long seen = 0;
        while (true) {
            Thread.sleep(20);
            KafkaStreams.State st = s.state();
            if (st == KafkaStreams.State.ERROR || st == KafkaStreams.State.PENDING_ERROR
                    || st == KafkaStreams.State.NOT_RUNNING) {
                System.err.println("NexmarkStreams: stopped in state " + st);
                return false;
            }
            long now = System.currentTimeMillis();
            long n = READ.get();
            if (records > 0 && n >= records) {
                return true;
            }
            if (n != seen) {
                seen = n;
                last = now;
            } else if (seen > 0 && now - last >= idleMs) {
                if (records > 0) {
                    System.err.printf("NexmarkStreams: idle after %d of %d records%n", seen, records);
                }
                return records == 0;
            } else if (seen == 0 && now - start >= startMs) {
                System.err.println("NexmarkStreams: no record within " + startMs + " ms");
                return false;
            }
        }
    }

    private static JsonNode read(String v) {
        try {
            return JSON.readTree(v);
        } catch (Exception e) {
            throw new IllegalArgumentException("not JSON: " + v, e);
        }
    }

    private static String write(JsonNode n) {
        try {
            return JSON.writeValueAsString(n);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> parseArgs(String[] argv) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < argv.length; i += 2) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                usage("bad argument " + argv[i]);
            }
            a.put(argv[i], argv[i + 1]);
        }
        return a;
    }

    private static String need(Map<String, String> a, String name) {
        String v = a.get(name);
        if (v == null) {
            usage("missing " + name);
        }
        return v;
    }

    private static void usage(String why) {
        System.err.println("NexmarkStreams: " + why);
        System.err.println("usage: NexmarkStreams --bootstrap-servers B --query q1|q2|count"
                + " --application-id ID --output TOPIC [--input bid] [--records N]"
                + " [--idle-ms MS] [--start-timeout-ms MS] [--state-dir DIR]");
        System.exit(2);
    }
}
