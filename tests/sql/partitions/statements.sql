-- Three partitions: one task each; records keep their order per key.
CREATE STREAM trades (sym VARCHAR KEY, px DOUBLE, qty INT)
  WITH (KAFKA_TOPIC='trades', VALUE_FORMAT='JSON', PARTITIONS=3);
CREATE STREAM big_trades AS
  SELECT sym, px, qty, px * qty AS notional FROM trades WHERE px * qty >= 1000 EMIT CHANGES;
