-- Scalar functions in the projection and in WHERE.
CREATE STREAM users (id BIGINT KEY, name VARCHAR, email VARCHAR, score DOUBLE)
  WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM user_profiles AS
  SELECT id,
         UCASE(name) AS upper_name,
         LEN(name) AS name_len,
         SUBSTRING(email, INSTR(email, '@') + 1) AS domain,
         ROUND(score, 1) AS score,
         COALESCE(email, 'none') AS contact,
         CONCAT(name, '#', CAST(id AS VARCHAR)) AS tag
  FROM users WHERE ABS(score) < 100 EMIT CHANGES;
