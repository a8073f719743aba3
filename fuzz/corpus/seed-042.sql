SELECT TRANSFORM(arr, x => x * 2) FROM s;
