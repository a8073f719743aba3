DEFINE topic = 'pageviews';
