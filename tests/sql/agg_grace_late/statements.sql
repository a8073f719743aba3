-- GRACE PERIOD: a window [start, end) takes records until stream time (the
-- largest record time the task has seen, over all keys) reaches end +
-- grace; later ones are late: dropped and counted (processing log).
--   9000  accepted: window 0 closes at 12000, stream time is 11000
--   5000  late: stream time 12500 >= 12000
--   19999 late at the boundary: window 10000 closes at 22000 = stream time
--   8000  (key b) late too: stream time is the task's, not the key's
CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR)
  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE clicks_10s AS
  SELECT user_id, COUNT(*) AS n
  FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 2 SECONDS)
  GROUP BY user_id EMIT CHANGES;
