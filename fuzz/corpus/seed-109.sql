CREATE SOURCE TABLE t (k INT PRIMARY KEY, v STRING) WITH (kafka_topic='t', format='JSON');
