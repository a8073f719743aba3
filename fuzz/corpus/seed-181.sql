CREATE TYPE address AS STRUCT<street STRING, city STRING, zip INT>;
