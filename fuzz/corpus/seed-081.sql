SELECT a + 1, COUNT(*) FROM s GROUP BY (a + 1);
