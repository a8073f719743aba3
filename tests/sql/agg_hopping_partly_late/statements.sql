-- A record whose hopping windows are partly closed goes to the open ones;
-- each closed window it misses is counted (late-window-updates-skipped in
-- DESCRIBE EXTENDED) and the record is logged once, naming how many of its
-- windows had closed and the earliest open one. Windows: 10 s, advancing
-- by 5 s, no grace.
--   12000 moves stream time to 12000: [0, 10000) is closed
--   9000  is in [0, 10000), closed, and [5000, 15000), open: counted there
--   2000  is only in [0, 10000): late, dropped, as before
CREATE STREAM clicks (user_id VARCHAR KEY, url VARCHAR)
  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE clicks_hop AS
  SELECT user_id, COUNT(*) AS n
  FROM clicks WINDOW HOPPING (SIZE 10 SECONDS, ADVANCE BY 5 SECONDS, GRACE PERIOD 0 SECONDS)
  GROUP BY user_id EMIT CHANGES;
CREATE STREAM late_log AS
  SELECT `OFFSET` AS record_offset, error_kind, message
  FROM KSQL_PROCESSING_LOG EMIT CHANGES;
