-- Projection: columns picked, renamed and computed; the key passes through.
CREATE STREAM orders (id INT KEY, item VARCHAR, qty INT, price DOUBLE)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM order_totals AS
  SELECT id, item AS product, qty * price AS total, qty + 1 AS next_qty
  FROM orders EMIT CHANGES;
