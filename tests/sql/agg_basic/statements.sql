-- COUNT, SUM, AVG, MIN and MAX per group over a stream, EMIT CHANGES with
-- the record cache off: one output row per input record. GROUP BY a value
-- column re-keys the stream; the output key is the group's value. The row
-- time is the largest record time of the group so far (pear's second
-- record is older than its first).
CREATE STREAM orders (id VARCHAR KEY, item VARCHAR, qty INT, price DOUBLE)
  WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE per_item AS
  SELECT item, COUNT(*) AS n, SUM(qty) AS total, AVG(price) AS avg_price,
         MIN(qty) AS min_qty, MAX(price) AS max_price
  FROM orders GROUP BY item EMIT CHANGES;
