-- INSERT INTO ... SELECT: two streams feed one.
CREATE STREAM web_orders (id VARCHAR KEY, amount DOUBLE)
  WITH (KAFKA_TOPIC='web_orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM shop_orders (id VARCHAR KEY, total DOUBLE, cashier VARCHAR)
  WITH (KAFKA_TOPIC='shop_orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM all_orders (id VARCHAR KEY, amount DOUBLE, channel VARCHAR)
  WITH (KAFKA_TOPIC='all_orders', VALUE_FORMAT='JSON', PARTITIONS=1);
INSERT INTO all_orders SELECT id, amount, 'web' AS channel FROM web_orders EMIT CHANGES;
INSERT INTO all_orders
  SELECT id, total AS amount, CONCAT('shop/', cashier) AS channel FROM shop_orders EMIT CHANGES;
