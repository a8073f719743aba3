CREATE STREAM s WITH (kafka_topic='s', value_format='AVRO');
