SELECT SUBSTRING(name, 1, 3), UCASE(name), LEN(name) FROM s;
