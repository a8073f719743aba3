-- GROUP BY a value column of a stream with two partitions: records of one
-- group come from both partitions and are brought together (a repartition)
-- before they are counted. Records of one group may arrive in either
-- partition's order, so only the counts are checked, not the row times:
-- each group's rows count 1, 2, 3 in turn, whatever the interleaving.
CREATE STREAM pageviews (user_id VARCHAR KEY, page VARCHAR)
  WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON', PARTITIONS=2);
CREATE TABLE views_per_page AS
  SELECT page, COUNT(*) AS n FROM pageviews GROUP BY page EMIT CHANGES;
