SELECT * FROM a AS x LEFT JOIN b AS y ON x.id = y.id LEFT JOIN c AS z ON x.k = z.k;
