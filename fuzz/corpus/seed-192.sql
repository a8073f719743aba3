RUN SCRIPT '/path/to/script.sql';
