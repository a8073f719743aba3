CREATE STREAM s (id INT KEY, v STRING) WITH (kafka_topic='s', format='json', partitions=3);
