SELECT MAP('a' := 1, 'b' := 2), MAP() FROM s;
