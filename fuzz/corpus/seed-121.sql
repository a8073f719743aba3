INSERT INTO s WITH (QUERY_ID='my_query') SELECT * FROM other;
