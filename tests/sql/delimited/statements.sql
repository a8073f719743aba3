-- DELIMITED values: RFC 4180 quoting in, another delimiter out.
CREATE STREAM csv_orders (id INT KEY, name VARCHAR, amount DOUBLE, note VARCHAR)
  WITH (KAFKA_TOPIC='csv_orders', VALUE_FORMAT='DELIMITED', PARTITIONS=1);
CREATE STREAM piped_orders WITH (VALUE_FORMAT='DELIMITED', VALUE_DELIMITER='|') AS
  SELECT id, UCASE(name) AS name, amount * 2 AS doubled, note
  FROM csv_orders EMIT CHANGES;
