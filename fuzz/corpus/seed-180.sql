UNDEFINE topic;
