-- +goose Up
-- Champion/challenger: which arm each new case of a policy naming a
-- challenger was assigned to, recorded once when the case first loads.
CREATE TABLE case_assignments (
    invoice_id     text PRIMARY KEY REFERENCES invoices(id),
    experiment     text NOT NULL,                -- the champion policy's name
    arm            text NOT NULL CHECK (arm IN ('champion', 'challenger')),
    policy_name    text NOT NULL,                -- the policy the case runs on
    policy_version int NOT NULL,
    share_percent  int NOT NULL,                 -- the challenger's share when assigned
    assigned_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_assignments_experiment_idx ON case_assignments (experiment, assigned_at);

-- +goose Down
DROP TABLE case_assignments;
