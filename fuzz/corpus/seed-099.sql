CREATE STREAM s (ts TIMESTAMP, d DATE, t TIME, b BOOLEAN, bs BYTES) WITH (kafka_topic='s', value_format='JSON', timestamp='ts');
