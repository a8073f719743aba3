CREATE STREAM s (id STRING KEY, h BYTES HEADER('trace'), hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS) WITH (kafka_topic='s', value_format='JSON');
