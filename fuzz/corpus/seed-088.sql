SELECT /* inline */ a FROM s;
