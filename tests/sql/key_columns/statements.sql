-- KEY columns: a JSON key, used in expressions and in WHERE; ROWTIME as a column.
CREATE STREAM events (tenant VARCHAR KEY, kind VARCHAR, n INT)
  WITH (KAFKA_TOPIC='events', KEY_FORMAT='JSON', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM tagged_events AS
  SELECT tenant, CONCAT(tenant, ':', kind) AS tag, n, ROWTIME AS ts
  FROM events WHERE tenant <> 'skip' EMIT CHANGES;
