-- CREATE TABLE AS SELECT from a table with WHERE and a projection: a row
-- that fails WHERE is deleted from the result (a tombstone for its key),
-- and so is a row deleted from the source.
CREATE TABLE users (id VARCHAR PRIMARY KEY, region VARCHAR, score INT)
  WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE high_scores AS
  SELECT id, UCASE(region) AS region, score FROM users WHERE score > 5 EMIT CHANGES;
