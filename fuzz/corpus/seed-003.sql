select * from pageviews emit changes limit 10;
