CREATE STREAM enriched WITH (kafka_topic='enriched', value_format='JSON') AS SELECT pv.pageid, u.name FROM pageviews pv LEFT JOIN users u ON pv.userid = u.id EMIT CHANGES;
