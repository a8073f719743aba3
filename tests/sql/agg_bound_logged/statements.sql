-- COLLECT_LIST keeps at most 1000 elements (ksqlDB's default
-- ksql.functions.collect_list.limit). A value past the bound is dropped from
-- the list, never silently: the record is logged (processing log, kind
-- AGGREGATE_BOUND, naming the aggregate and the bound) and counted
-- (aggregate-values-dropped in DESCRIBE EXTENDED). 1002 readings of
-- sensor s: the last two are past the bound. (SUMMARY's 1002 rows are not
-- listed in output.json: only the processing log is checked.)
CREATE STREAM readings (sensor VARCHAR KEY, v INT)
  WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE summary AS
  SELECT sensor, COUNT(*) AS n, ARRAY_LENGTH(COLLECT_LIST(v)) AS kept
  FROM readings GROUP BY sensor EMIT CHANGES;
CREATE STREAM bound_log AS
  SELECT `OFFSET` AS record_offset, error_kind, message
  FROM KSQL_PROCESSING_LOG EMIT CHANGES;
