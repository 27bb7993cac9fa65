DROP INDEX IF EXISTS leads_full_name_trgm_idx;
DROP INDEX IF EXISTS leads_line_idx;
DROP INDEX IF EXISTS leads_campaign_idx;
DROP TABLE lead_events;
