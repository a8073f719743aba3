-- CAST between strings, numbers, decimals and booleans.
CREATE STREAM raw_events (id VARCHAR KEY, amount VARCHAR, qty DOUBLE, flag VARCHAR, n INT)
  WITH (KAFKA_TOPIC='raw_events', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM typed_events AS
  SELECT id,
         CAST(amount AS DECIMAL(10, 2)) AS amount,
         CAST(qty AS INT) AS qty,
         CAST(flag AS BOOLEAN) AS flag,
         CAST(n AS VARCHAR) AS n_text,
         CAST(n AS DOUBLE) / 4 AS quarter
  FROM raw_events EMIT CHANGES;
