SELECT "double quoted" FROM s;
