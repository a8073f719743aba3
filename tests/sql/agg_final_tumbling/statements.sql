-- EMIT FINAL: one row per window, when it closes (stream time reaches its
-- end + grace), with the window's final count; nothing for the windows
-- still open when the input ends ([20000, 30000) here). The record at 9000
-- comes after window 0 closed (stream time 11000 >= 10000 + 1000): late.
CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR)
  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE final_10s AS
  SELECT user_id, COUNT(*) AS n, MAX(ROWTIME) AS last_ts
  FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 1 SECOND)
  GROUP BY user_id EMIT FINAL;
