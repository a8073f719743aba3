CREATE STREAM s (m MAP<STRING, ARRAY<STRUCT<x INT, y DOUBLE>>>) WITH (kafka_topic='s', value_format='JSON');
