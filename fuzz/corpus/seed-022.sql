SELECT * FROM s WHERE a NOT IN ('x', 'y');
