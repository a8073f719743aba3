PRINT 'pageviews' INTERVAL 2;
