-- The test runner itself: windowed keys of a windowed source are written
-- from an input's "window" and read back as "key" plus "window" (time
-- windows: key + 8-byte start; sessions: key + 8-byte end + 8-byte start).
CREATE STREAM tw (k VARCHAR KEY, v INT)
  WITH (KAFKA_TOPIC='tw', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING',
        WINDOW_SIZE='30 SECONDS');
CREATE STREAM sw (k BIGINT KEY, v INT)
  WITH (KAFKA_TOPIC='sw', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='SESSION');
