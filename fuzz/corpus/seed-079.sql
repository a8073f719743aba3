SELECT a, b, COUNT(*) FROM s GROUP BY a, b;
