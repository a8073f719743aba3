PRINT pageviews;
