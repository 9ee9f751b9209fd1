-- Platform metadata: one row per silo start, so operators can see which builds touched this database.
CREATE TABLE IF NOT EXISTS platform_starts (
    id          bigserial PRIMARY KEY,
    host        text        NOT NULL,
    role        text        NOT NULL,
    version     text        NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now()
);
