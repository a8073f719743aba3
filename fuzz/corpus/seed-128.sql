INSERT INTO `quoted` (`a b`) VALUES ('x');
