SELECT s.addr->street FROM s;
