SELECT `lower case`, `with``tick` FROM `My Stream`;
