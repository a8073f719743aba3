CREATE STREAM s (a INT) WITH (kafka_topic='s', value_format='JSON', key_format='KAFKA', timestamp_format='yyyy-MM-dd');
