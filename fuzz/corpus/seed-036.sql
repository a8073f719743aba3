SELECT arr[1], arr[a + 1], m['key'] FROM s;
