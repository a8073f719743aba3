-- WRAP_SINGLE_VALUE=false: a single value column as a bare JSON value.
CREATE STREAM words (word VARCHAR)
  WITH (KAFKA_TOPIC='words', VALUE_FORMAT='JSON', WRAP_SINGLE_VALUE=false, PARTITIONS=1);
CREATE STREAM upper_words WITH (WRAP_SINGLE_VALUE=false) AS
  SELECT UCASE(word) AS word FROM words WHERE word IS NOT NULL EMIT CHANGES;
CREATE STREAM wrapped_words AS SELECT word, LEN(word) AS n FROM words EMIT CHANGES;
