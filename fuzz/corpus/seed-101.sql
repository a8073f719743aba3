CREATE STREAM s (a DECIMAL(38, 0), b DECIMAL(4, 4), c INTEGER, d VARCHAR(10)) WITH (kafka_topic='s', value_format='JSON');
