SELECT * FROM pageviews;
