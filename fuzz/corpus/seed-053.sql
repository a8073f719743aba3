SELECT REPLACE(name, 'a', 'b'), IFNULL(a, 0) FROM s;
