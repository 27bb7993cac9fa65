ALTER TABLE leads DROP COLUMN possible_duplicate_of;
