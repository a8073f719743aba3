run script 'relative.sql';
