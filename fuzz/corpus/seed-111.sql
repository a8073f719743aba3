CREATE TABLE t WITH (kafka_topic='t', format='AVRO');
