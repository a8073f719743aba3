SELECT addr->street, addr->city->zip FROM s;
