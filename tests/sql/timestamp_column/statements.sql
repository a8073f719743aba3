-- TIMESTAMP='col': event time from a column, carried to the output records.
CREATE STREAM sensor_events (id VARCHAR KEY, event_ts BIGINT, v INT)
  WITH (KAFKA_TOPIC='sensor_events', VALUE_FORMAT='JSON', TIMESTAMP='event_ts', PARTITIONS=1);
CREATE STREAM sensor_copy AS SELECT id, v, ROWTIME AS rt FROM sensor_events EMIT CHANGES;
