-- A tumbling window of 10 s, EMIT CHANGES: the output key is the user and
-- the window (ksqlDB's windowed key), WINDOWSTART / WINDOWEND as value
-- columns. A window starts at a multiple of its size and ends before the
-- next; 9999 is in [0, 10000), 10000 is not. The default grace (24 h minus
-- the size) keeps window 0 open for the record at 3000 after one at 10000.
CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR)
  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE clicks_10s AS
  SELECT user_id, COUNT(*) AS n, WINDOWSTART AS ws, WINDOWEND AS we
  FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS)
  GROUP BY user_id EMIT CHANGES;
