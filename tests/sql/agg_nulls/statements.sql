-- NULLs in aggregates, ksqlDB's rules: COUNT(*) counts rows, COUNT(v) the
-- non-NULL values; SUM starts at 0 (SUM of only NULLs is 0); MIN and MAX
-- of no values are NULL; AVG of no values is 0.0. A missing field is NULL.
-- A record with a NULL group key (no key here) is dropped and counted.
CREATE STREAM readings (sensor VARCHAR KEY, v INT)
  WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE stats AS
  SELECT sensor, COUNT(*) AS rows_n, COUNT(v) AS v_n, SUM(v) AS total,
         MIN(v) AS lo, MAX(v) AS hi, AVG(v) AS mean
  FROM readings GROUP BY sensor EMIT CHANGES;
