-- Aggregating a TABLE: a row's new value replaces its old one, so the old
-- value is first retracted from its old group, then the new one added
-- (two output rows, also when the group stays the same); a tombstone only
-- retracts. A group that loses its last row emits a row with COUNT 0 (not a
-- tombstone); MAX over a table (beyond ksqlDB) falls back to the next
-- value, or NULL when none is left. The row time is the largest record
-- time seen by the group, retractions included.
CREATE TABLE users (id VARCHAR PRIMARY KEY, region VARCHAR, score INT)
  WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE per_region AS
  SELECT region, COUNT(*) AS n, SUM(score) AS total, MAX(score) AS best
  FROM users GROUP BY region EMIT CHANGES;
