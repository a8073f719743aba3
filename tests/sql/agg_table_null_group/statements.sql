-- A table row whose group key is NULL is in no group: it is dropped and
-- counted, there is nothing to retract when it later moves to a group,
-- and moving a row from a group to NULL only retracts it.
CREATE TABLE users (id VARCHAR PRIMARY KEY, region VARCHAR)
  WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE per_region AS
  SELECT region, COUNT(*) AS n FROM users GROUP BY region EMIT CHANGES;
