SELECT * FROM s WHERE name LIKE 'a%';
