-- WHERE with NULLs: a comparison with NULL is not true, IS NULL is.
CREATE STREAM readings (sensor VARCHAR KEY, temp DOUBLE, note VARCHAR)
  WITH (KAFKA_TOPIC='readings', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM flagged AS
  SELECT sensor, temp, note FROM readings
  WHERE temp > 30 OR note IS NULL EMIT CHANGES;
