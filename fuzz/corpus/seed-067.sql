SELECT * FROM a x JOIN b y ON x.id = y.id JOIN c z ON y.k = z.k EMIT CHANGES;
