-- EMIT FINAL over hopping windows (10 s, advancing by 5 s, no grace): each
-- window's row comes once, when stream time reaches its end; a window
-- closes at its end exactly (the record at 10000 closes [0, 10000) and
-- belongs to [5000, 15000) and [10000, 20000)). At the end of the input,
-- [25000, 35000) and [30000, 40000) are still open: no rows.
CREATE STREAM readings (sensor VARCHAR KEY, v INT)
  WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE final_hops AS
  SELECT sensor, COUNT(*) AS n, SUM(v) AS total
  FROM readings WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS, GRACE PERIOD 0 SECONDS)
  GROUP BY sensor EMIT FINAL;
