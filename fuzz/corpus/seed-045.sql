SELECT FILTER(arr, x => x > 0 AND x < 10) FROM s;
