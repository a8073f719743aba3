CREATE STREAM s (a my_type, b ARRAY<my_type>) WITH (kafka_topic='s', value_format='JSON');
