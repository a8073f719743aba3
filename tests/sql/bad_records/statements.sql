-- Bad records are skipped, counted and logged; the good ones still come out.
CREATE STREAM payments (id VARCHAR KEY, amount INT, currency VARCHAR)
  WITH (KAFKA_TOPIC='payments', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM big_payments AS
  SELECT id, amount, currency FROM payments WHERE amount >= 100 EMIT CHANGES;
-- the processing log is a stream: what failed, where
CREATE STREAM payment_errors AS
  SELECT topic, `OFFSET` AS record_offset, error_kind
  FROM KSQL_PROCESSING_LOG EMIT CHANGES;
