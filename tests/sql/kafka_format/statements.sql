-- KAFKA format: big-endian INT key, IEEE-754 DOUBLE value; a tombstone is skipped.
CREATE STREAM temps (sensor INT KEY, reading DOUBLE)
  WITH (KAFKA_TOPIC='temps', KEY_FORMAT='KAFKA', VALUE_FORMAT='KAFKA', PARTITIONS=1);
CREATE STREAM temps_f AS
  SELECT sensor, reading * 9 / 5 + 32 AS fahrenheit FROM temps EMIT CHANGES;
