-- PARTITION BY: the new key is the region; the old key becomes a value column.
CREATE STREAM pageviews (user_id VARCHAR KEY, page VARCHAR, region VARCHAR)
  WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM views_by_region AS
  SELECT region, user_id, page FROM pageviews PARTITION BY region EMIT CHANGES;
