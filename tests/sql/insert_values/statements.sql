-- INSERT INTO ... VALUES before a query that reads from the beginning.
CREATE STREAM metrics (host VARCHAR KEY, cpu DOUBLE, mem BIGINT)
  WITH (KAFKA_TOPIC='metrics', VALUE_FORMAT='JSON', PARTITIONS=1);
INSERT INTO metrics (host, cpu, mem, ROWTIME) VALUES ('h1', 0.5, 1024, 5000);
INSERT INTO metrics (host, cpu, mem, ROWTIME) VALUES ('h2', 0.95, 2048, 6000);
INSERT INTO metrics (host, cpu, ROWTIME) VALUES ('h3', 0.99, 7000);
CREATE STREAM busy_hosts AS
  SELECT host, cpu * 100 AS cpu_pct, mem FROM metrics WHERE cpu > 0.9 EMIT CHANGES;
