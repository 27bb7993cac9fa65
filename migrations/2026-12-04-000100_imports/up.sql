-- Imports of the brokerage's book from other systems. The uploaded file is kept (bytes and
-- SHA-256) so that the dry run and the confirmation read the very same rows, and so that the
-- history can say exactly what was imported. Mappings (column → field) are saved by name for
-- the next file of the same source.
CREATE TABLE import_mappings (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('customers')),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    -- {"field": "column header", ...}
    mapping JSONB NOT NULL,
    created_by_staff_id BIGINT REFERENCES staff_users (id),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (kind, name)
);

CREATE TABLE imports (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('customers')),
    filename TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    file BYTEA NOT NULL,
    row_count INTEGER NOT NULL,
    -- uploaded → previewed (dry run done, mapping fixed) → applied
    status TEXT NOT NULL DEFAULT 'uploaded' CHECK (status IN ('uploaded', 'previewed', 'applied')),
    mapping JSONB NOT NULL DEFAULT '{}',
    mapping_name TEXT,
    created_count INTEGER NOT NULL DEFAULT 0,
    updated_count INTEGER NOT NULL DEFAULT 0,
    unchanged_count INTEGER NOT NULL DEFAULT 0,
    refused_count INTEGER NOT NULL DEFAULT 0,
    created_by_staff_id BIGINT NOT NULL REFERENCES staff_users (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_at TIMESTAMPTZ
);

CREATE INDEX imports_history_idx ON imports (created_at DESC, id DESC);
