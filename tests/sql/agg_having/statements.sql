-- HAVING: a group whose row fails HAVING is deleted from the table, so
-- its key gets a tombstone (null value), each time the group changes while
-- the condition is false.
CREATE STREAM payments (account VARCHAR KEY, amount INT)
  WITH (KAFKA_TOPIC='payments', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE big_accounts AS
  SELECT account, SUM(amount) AS total, COUNT(*) AS n
  FROM payments GROUP BY account HAVING SUM(amount) > 10 EMIT CHANGES;
