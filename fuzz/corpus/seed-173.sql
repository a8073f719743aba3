PRINT `pageviews` LIMIT 1;
