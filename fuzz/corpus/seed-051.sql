SELECT key, type, size, session, topic, value FROM s;
