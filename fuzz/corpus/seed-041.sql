SELECT STRUCT(name := 'x', age := 3) AS p FROM s;
