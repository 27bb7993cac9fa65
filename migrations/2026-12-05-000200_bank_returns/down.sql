DROP TABLE bank_return_lines;
DROP TABLE bank_files;
ALTER TABLE receipts DROP COLUMN return_code;
