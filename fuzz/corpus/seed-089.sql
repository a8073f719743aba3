SELECT ${col} FROM s;
