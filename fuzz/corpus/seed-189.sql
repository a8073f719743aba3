ASSERT SCHEMA SUBJECT 'pageviews-value';
