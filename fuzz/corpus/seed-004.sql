SELECT pageid, userid FROM pageviews WHERE viewtime > 1000 EMIT CHANGES;
