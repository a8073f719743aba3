DROP TYPE address;
