SELECT * FROM s WHERE a < 1 OR a <= 2 OR a > 3 OR a >= 4;
