-- +goose Up
-- Each run of the daily reconciliation between Postgres and Temporal: what
-- it found and what it repaired (IDs only), for the API and for people.
CREATE TABLE reconciliation_runs (
    id             bigserial PRIMARY KEY,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz NOT NULL DEFAULT now(),
    open_invoices  integer NOT NULL,
    running_cases  integer NOT NULL,
    -- open invoices that had no case: started by this run
    restarted      jsonb NOT NULL DEFAULT '[]',
    -- open invoices whose case has ended (cannot be started again): for a person
    ended_cases    jsonb NOT NULL DEFAULT '[]',
    -- running cases whose invoice is not open (or unknown): for a person
    orphans        jsonb NOT NULL DEFAULT '[]',
    -- starts that failed: retried by the next run
    failed         jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX reconciliation_runs_started_idx ON reconciliation_runs (started_at DESC);

-- +goose Down
DROP TABLE reconciliation_runs;
