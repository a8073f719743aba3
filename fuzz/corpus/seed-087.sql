SELECT * FROM s -- trailing comment
