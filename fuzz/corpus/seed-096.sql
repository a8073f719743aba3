CREATE OR REPLACE STREAM s (a INT, b DOUBLE) WITH (kafka_topic='s', value_format='JSON');
