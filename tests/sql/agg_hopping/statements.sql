-- Hopping windows of 10 s advancing by 5 s: a record is in every window
-- that contains it (two here), and updates each; windows start at
-- multiples of 5 s and never before 0 (the record at 2000 is in [0, 10000)
-- only). One output per window touched, in the order of window start.
CREATE STREAM readings (sensor VARCHAR KEY, v INT)
  WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE sums AS
  SELECT sensor, COUNT(*) AS n, SUM(v) AS total
  FROM readings WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS)
  GROUP BY sensor EMIT CHANGES;
