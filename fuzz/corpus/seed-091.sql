SELECT '${col}' FROM s;
