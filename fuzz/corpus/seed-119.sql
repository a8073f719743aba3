CREATE TABLE j AS SELECT t1.id, t2.v FROM t1 JOIN t2 ON t1.id = t2.id;
