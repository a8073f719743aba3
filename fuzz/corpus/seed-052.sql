SELECT map, array, struct FROM s;
