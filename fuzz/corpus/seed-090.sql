SELECT * FROM ${src};
