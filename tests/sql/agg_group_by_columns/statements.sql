-- GROUP BY two columns: the output key has both, so it needs a key format
-- with several columns (JSON: an object of the key columns).
CREATE STREAM sales (id VARCHAR KEY, region VARCHAR, channel VARCHAR, amount INT)
  WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE by_region_channel WITH (KEY_FORMAT='JSON') AS
  SELECT region, channel, COUNT(*) AS n, SUM(amount) AS total
  FROM sales GROUP BY region, channel EMIT CHANGES;
