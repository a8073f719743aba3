SELECT a AS x, b y, c FROM s;
