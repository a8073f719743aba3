SELECT TRANSFORM(m, (k, v) => UCASE(k), (k, v) => v + 1) FROM s;
