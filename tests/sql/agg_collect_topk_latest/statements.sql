-- COLLECT_LIST keeps every value in arrival order, NULLs too; TOPK(v, 2)
-- the two largest, largest first, skipping NULLs; LATEST_BY_OFFSET and
-- EARLIEST_BY_OFFSET the newest and oldest non-NULL value.
CREATE STREAM readings (sensor VARCHAR KEY, v INT)
  WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE summary AS
  SELECT sensor, COLLECT_LIST(v) AS all_v, TOPK(v, 2) AS top2,
         LATEST_BY_OFFSET(v) AS last_v, EARLIEST_BY_OFFSET(v) AS first_v
  FROM readings GROUP BY sensor EMIT CHANGES;
