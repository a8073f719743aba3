CREATE STREAM s (`Mixed Case` INT, `key` STRING KEY) WITH (kafka_topic='s', value_format='JSON');
