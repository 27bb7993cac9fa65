-- Images the site shows (blog covers), uploaded by staff. Addressed by the SHA-256 of their
-- bytes: the public URL never changes meaning, so browsers may cache it forever, and the same
-- picture uploaded twice is stored once.
CREATE TABLE site_images (
    sha256               TEXT PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type         TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes                BYTEA NOT NULL,
    size_bytes           INTEGER NOT NULL CHECK (size_bytes > 0),
    uploaded_by_staff_id BIGINT REFERENCES staff_users (id),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
