-- HAVING over a windowed aggregation: while a window's group fails HAVING
-- its windowed key gets a tombstone; WINDOWSTART and WINDOWEND of a
-- session are its first and last record times.
CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR)
  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE busy AS
  SELECT user_id, COUNT(*) AS n
  FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS)
  GROUP BY user_id HAVING COUNT(*) > 1 EMIT CHANGES;
CREATE TABLE visits AS
  SELECT user_id, COUNT(*) AS n, WINDOWSTART AS first_ts, WINDOWEND AS last_ts
  FROM clicks WINDOW SESSION (5 SECONDS)
  GROUP BY user_id EMIT CHANGES;
