-- Aggregating a TABLE of four partitions by a value column: on Kafka it
-- runs in two stages through a repartition topic, as a KTable groupBy. A
-- row that moves to another group is retracted from the old one (which
-- may be aggregated in another partition) and added to the new one; a
-- tombstone, a row that WHERE now drops, or a NULL group only retract.
-- Rows of several keys in one group would arrive from several partitions
-- in any order, so each group here gets the rows of one key only.
CREATE TABLE users (id VARCHAR PRIMARY KEY, region VARCHAR, score INT)
  WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=4);
CREATE TABLE per_region AS
  SELECT region, COUNT(*) AS n, SUM(score) AS total
  FROM users WHERE score >= 0 GROUP BY region EMIT CHANGES;
