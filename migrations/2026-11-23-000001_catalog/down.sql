DROP TABLE products;
DROP TABLE lines_of_business;
DROP TABLE carriers;
