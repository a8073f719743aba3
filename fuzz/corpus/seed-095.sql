CREATE STREAM IF NOT EXISTS s (a INT) WITH (kafka_topic='s', value_format='DELIMITED');
