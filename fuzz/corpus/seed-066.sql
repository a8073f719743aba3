SELECT * FROM a FULL JOIN b ON a.id = b.id;
