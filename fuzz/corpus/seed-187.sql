ASSERT TOPIC 'pageviews' WITH (partitions=3, replicas=1) TIMEOUT 10 SECONDS;
