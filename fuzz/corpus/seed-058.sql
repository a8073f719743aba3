SELECT * FROM t WHERE id = 'k1';
