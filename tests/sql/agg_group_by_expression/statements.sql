-- GROUP BY an expression: the group key is its value (the select list
-- names it), so differently cased regions share a group. A record whose
-- group key is NULL (no region) is dropped, counted and logged.
CREATE STREAM sales (id VARCHAR KEY, region VARCHAR, amount INT)
  WITH (KAFKA_TOPIC='sales', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE by_region AS
  SELECT UCASE(region) AS region, COUNT(*) AS n, SUM(amount) AS total
  FROM sales GROUP BY UCASE(region) EMIT CHANGES;
