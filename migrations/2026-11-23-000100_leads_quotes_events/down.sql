DROP TABLE quote_options CASCADE;
DROP TABLE quotes CASCADE;
DROP SEQUENCE quote_number_seq;
DROP TABLE lead_consents;
DROP TABLE lead_submissions;
DROP TABLE leads;
DROP TABLE domain_events;
