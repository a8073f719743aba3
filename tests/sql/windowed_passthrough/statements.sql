-- A stateless query over a windowed stream keeps the windows: its output
-- topic's keys are windowed as its input's (time windows: key + 8-byte
-- start; sessions: key + end + start), and WINDOWSTART / WINDOWEND read
-- the input's windows.
CREATE STREAM tw (k VARCHAR KEY, v INT)
  WITH (KAFKA_TOPIC='tw', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='TUMBLING',
        WINDOW_SIZE='30 SECONDS');
CREATE STREAM sw (k BIGINT KEY, v INT)
  WITH (KAFKA_TOPIC='sw', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='SESSION');
SET 'auto.offset.reset'='earliest';
CREATE STREAM tw2 AS SELECT k, v * 2 AS v2, WINDOWSTART AS ws FROM tw WHERE v > 0;
CREATE STREAM sw2 AS SELECT k, v + 1 AS v1, WINDOWEND AS we FROM sw;
