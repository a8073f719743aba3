SELECT pv.* FROM pageviews AS pv EMIT CHANGES;
