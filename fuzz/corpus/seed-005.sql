SELECT pv.*, u.name FROM pageviews pv JOIN users u ON pv.userid = u.id EMIT CHANGES;
