PRINT 'pageviews';
