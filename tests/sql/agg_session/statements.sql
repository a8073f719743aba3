-- Session windows with a 10 s inactivity gap. Each change of a session
-- retracts the sessions it replaces: a tombstone for their windowed keys,
-- then the merged session's row, as Kafka Streams does:
--   0      new session [0,0]
--   5000   extends it: tombstone [0,0], row [0,5000]
--   25000  a new session (more than 10 s after 5000)
--   15000  bridges [0,5000] and [25000,25000]: both retracted, row [0,25000]
--   10000  inside [0,25000]: the session is retracted and written again
-- A session's window is [first record, last record], both inclusive; its
-- row time (and its tombstone's) is its last record's time.
CREATE STREAM visits (user_id VARCHAR KEY, page VARCHAR)
  WITH (KAFKA_TOPIC='visits', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE sessions AS
  SELECT user_id, COUNT(*) AS n
  FROM visits WINDOW SESSION (10 SECONDS)
  GROUP BY user_id EMIT CHANGES;
