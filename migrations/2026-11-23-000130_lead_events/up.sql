-- The history of a lead in the back-office: stage changes, interactions (calls, e-mails,
-- WhatsApp, meetings, notes), assignments, next-action dates and the conversion. The shared
-- `interactions` table requires a customer, and a lead usually has none yet, so leads keep
-- their own history here.
CREATE TABLE lead_events (
    id                  BIGSERIAL PRIMARY KEY,
    lead_id             BIGINT NOT NULL REFERENCES leads (id),
    -- NULL for what the application did on its own (a form submitted on a landing).
    staff_id            BIGINT REFERENCES staff_users (id),
    kind                TEXT NOT NULL
                        CHECK (kind IN ('created', 'stage_changed', 'interaction', 'assigned', 'next_action', 'converted')),
    -- The channel of an interaction; only interactions have one.
    channel             TEXT CHECK (channel IN ('call', 'email', 'whatsapp', 'meeting', 'note')),
    from_stage          TEXT,
    to_stage            TEXT,
    note                TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
    occurred_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((kind = 'interaction') = (channel IS NOT NULL)),
    CHECK (kind <> 'stage_changed' OR to_stage IS NOT NULL)
);
CREATE INDEX lead_events_lead_idx ON lead_events (lead_id, occurred_at, id);

-- The list's filters and the source report, each over a date range of creation.
CREATE INDEX leads_campaign_idx ON leads (campaign, created_at DESC) WHERE campaign IS NOT NULL;
CREATE INDEX leads_line_idx ON leads (line_id, created_at DESC) WHERE line_id IS NOT NULL;
-- leads_landing_idx (landing_id, created_at DESC) comes with the landings migration.
-- Search by part of the name ("q"), like the customers list.
CREATE INDEX leads_full_name_trgm_idx ON leads USING gin (lower(full_name) gin_trgm_ops);
-- Tasks about a lead use tasks.entity_type = 'lead' (tasks_entity_idx), no new column.
