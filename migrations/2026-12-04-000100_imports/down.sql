DROP TABLE imports;
DROP TABLE import_mappings;
