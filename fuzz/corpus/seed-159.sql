DESCRIBE `My Stream`;
