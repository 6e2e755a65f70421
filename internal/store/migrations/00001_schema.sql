-- +goose Up
-- The whole collection domain. Money is bigint minor units beside an ISO 4217 code.

CREATE TABLE collectors (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE debtors (
    id                    text PRIMARY KEY,
    name                  text NOT NULL,
    is_business           boolean NOT NULL DEFAULT true,
    registration_number   text NOT NULL DEFAULT '',          -- SIREN / company number
    email                 text NOT NULL DEFAULT '',          -- primary contact
    phone                 text NOT NULL DEFAULT '',          -- E.164
    address_lines         text[] NOT NULL DEFAULT '{}',
    postal_code           text NOT NULL DEFAULT '',
    city                  text NOT NULL DEFAULT '',
    country               text NOT NULL DEFAULT 'FR',
    language              text NOT NULL DEFAULT 'fr' CHECK (language IN ('fr', 'en')),
    timezone              text NOT NULL DEFAULT 'Europe/Paris',
    segment               text NOT NULL DEFAULT 'standard',
    risk_rating           text NOT NULL DEFAULT 'medium',
    credit_limit_cents    bigint CHECK (credit_limit_cents IS NULL OR credit_limit_cents >= 0),
    currency              char(3) NOT NULL DEFAULT 'EUR',
    collector_id          text REFERENCES collectors(id),
    contact_window_start  smallint NOT NULL DEFAULT 480  CHECK (contact_window_start BETWEEN 0 AND 1440), -- minutes after local midnight
    contact_window_end    smallint NOT NULL DEFAULT 1200 CHECK (contact_window_end BETWEEN 0 AND 1440),
    email_status          text NOT NULL DEFAULT 'ok' CHECK (email_status IN ('ok', 'bounced')),
    phone_status          text NOT NULL DEFAULT 'ok' CHECK (phone_status IN ('ok', 'unusable')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX debtors_collector_idx ON debtors (collector_id);

-- Further contacts of a debtor (accounts payable, managers).
CREATE TABLE debtor_contacts (
    id          bigserial PRIMARY KEY,
    debtor_id   text NOT NULL REFERENCES debtors(id) ON DELETE CASCADE,
    name        text NOT NULL DEFAULT '',
    role        text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT ''
);
CREATE INDEX debtor_contacts_debtor_idx ON debtor_contacts (debtor_id);

-- Channel consents: a row with opted_in = false is an opt-out.
CREATE TABLE channel_consents (
    debtor_id   text NOT NULL REFERENCES debtors(id) ON DELETE CASCADE,
    channel     text NOT NULL CHECK (channel IN ('email', 'sms', 'call', 'letter', 'registered_letter')),
    opted_in    boolean NOT NULL,
    source      text NOT NULL DEFAULT '',        -- api, sms_stop, debtor_request
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (debtor_id, channel)
);

CREATE TABLE invoices (
    id             text PRIMARY KEY,
    debtor_id      text NOT NULL REFERENCES debtors(id),
    number         text NOT NULL UNIQUE,
    issue_date     date NOT NULL,
    due_date       date NOT NULL,
    currency       char(3) NOT NULL,
    amount_cents   bigint NOT NULL CHECK (amount_cents > 0),
    balance_cents  bigint NOT NULL CHECK (balance_cents >= 0),
    status         text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'paid', 'credited', 'written_off', 'cancelled', 'agency')),
    description    text NOT NULL DEFAULT '',
    payment_link   text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (due_date >= issue_date)
);
CREATE INDEX invoices_debtor_idx ON invoices (debtor_id);
CREATE INDEX invoices_open_due_idx ON invoices (due_date) WHERE status = 'open';

CREATE TABLE invoice_lines (
    invoice_id        text NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
    position          int NOT NULL,
    description       text NOT NULL,
    quantity          numeric(12, 3) NOT NULL DEFAULT 1,
    unit_price_cents  bigint NOT NULL,
    amount_cents      bigint NOT NULL,
    PRIMARY KEY (invoice_id, position)
);

-- Credit notes (avoirs) against an invoice.
CREATE TABLE credit_notes (
    id            text PRIMARY KEY,
    invoice_id    text NOT NULL REFERENCES invoices(id),
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    currency      char(3) NOT NULL,
    reason        text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payments (
    id                 text PRIMARY KEY,
    debtor_id          text NOT NULL REFERENCES debtors(id),
    provider           text NOT NULL,                 -- stripe, bank, manual, agency
    provider_ref       text NOT NULL DEFAULT '',
    amount_cents       bigint NOT NULL CHECK (amount_cents > 0),
    currency           char(3) NOT NULL,
    unallocated_cents  bigint NOT NULL DEFAULT 0 CHECK (unallocated_cents >= 0), -- overpayment kept, not lost
    method             text NOT NULL DEFAULT '',
    received_at        timestamptz NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_debtor_idx ON payments (debtor_id);

CREATE TABLE payment_allocations (
    payment_id    text NOT NULL REFERENCES payments(id),
    invoice_id    text NOT NULL REFERENCES invoices(id),
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    applied_at    timestamptz,                           -- when the case acknowledged it
    PRIMARY KEY (payment_id, invoice_id)
);
CREATE INDEX payment_allocations_invoice_idx ON payment_allocations (invoice_id);

CREATE TABLE promises (
    id            text PRIMARY KEY,
    invoice_id    text NOT NULL REFERENCES invoices(id),
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    currency      char(3) NOT NULL,
    promised_date date NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'kept', 'broken', 'cancelled')),
    created_by    text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz
);
CREATE INDEX promises_invoice_idx ON promises (invoice_id);

CREATE TABLE payment_plans (
    id           text PRIMARY KEY,
    invoice_id   text NOT NULL REFERENCES invoices(id),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('proposed', 'active', 'completed', 'broken', 'cancelled')),
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE INDEX payment_plans_invoice_idx ON payment_plans (invoice_id);

CREATE TABLE plan_installments (
    plan_id       text NOT NULL REFERENCES payment_plans(id) ON DELETE CASCADE,
    seq           int NOT NULL,
    due_date      date NOT NULL,
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid', 'missed')),
    PRIMARY KEY (plan_id, seq)
);

CREATE TABLE disputes (
    id            text PRIMARY KEY,
    invoice_id    text NOT NULL REFERENCES invoices(id),
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    reason        text NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved_for_debtor', 'resolved_against')),
    credit_cents  bigint NOT NULL DEFAULT 0 CHECK (credit_cents >= 0),
    attachments   jsonb NOT NULL DEFAULT '[]',
    opened_by     text NOT NULL DEFAULT '',
    opened_at     timestamptz NOT NULL DEFAULT now(),
    resolved_at   timestamptz
);
CREATE INDEX disputes_invoice_idx ON disputes (invoice_id);

CREATE TABLE dispute_comments (
    id          bigserial PRIMARY KEY,
    dispute_id  text NOT NULL REFERENCES disputes(id) ON DELETE CASCADE,
    author      text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
    id               text PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    invoice_id       text NOT NULL REFERENCES invoices(id),
    debtor_id        text NOT NULL REFERENCES debtors(id),
    kind             text NOT NULL DEFAULT 'call' CHECK (kind IN ('call', 'letter_review', 'follow_up')),
    collector_id     text REFERENCES collectors(id),
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'claimed', 'done', 'cancelled', 'expired')),
    priority         bigint NOT NULL DEFAULT 0,
    due_at           timestamptz NOT NULL,
    deadline_at      timestamptz NOT NULL,
    script           jsonb NOT NULL DEFAULT '{}',
    outcome          text CHECK (outcome IN ('reached', 'promise', 'dispute', 'no_answer', 'wrong_number', 'callback')),
    note             text NOT NULL DEFAULT '',
    callback_at      timestamptz,
    claimed_by       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz
);
CREATE INDEX tasks_worklist_idx ON tasks (collector_id, status, due_at, priority DESC);
CREATE INDEX tasks_invoice_idx ON tasks (invoice_id);

-- Every message sent and every call made, with its delivery status and content.
CREATE TABLE interactions (
    id                   text PRIMARY KEY,
    idempotency_key      text NOT NULL UNIQUE,          -- case + rung + attempt: recorded before the provider call
    invoice_id           text NOT NULL REFERENCES invoices(id),
    debtor_id            text NOT NULL REFERENCES debtors(id),
    channel              text NOT NULL CHECK (channel IN ('email', 'sms', 'call', 'letter', 'registered_letter', 'agency')),
    direction            text NOT NULL DEFAULT 'outbound' CHECK (direction IN ('outbound', 'inbound')),
    rung                 text NOT NULL DEFAULT '',
    template             text NOT NULL DEFAULT '',
    language             text NOT NULL DEFAULT 'fr',
    provider             text NOT NULL DEFAULT '',     -- sendgrid, twilio, outbox, filedrop, postal_http, agency
    provider_message_id  text NOT NULL DEFAULT '',
    status               text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'undeliverable',
                                           'failed', 'deposited', 'acknowledged', 'opted_out', 'skipped')),
    amount_cents         bigint NOT NULL DEFAULT 0,
    currency             char(3) NOT NULL DEFAULT 'EUR',
    subject              text NOT NULL DEFAULT '',
    body_text            text NOT NULL DEFAULT '',
    body_html            text NOT NULL DEFAULT '',
    file_path            text NOT NULL DEFAULT '',
    tracking_number      text NOT NULL DEFAULT '',
    deposit_proof        text NOT NULL DEFAULT '',
    acknowledged_at      timestamptz,
    error                text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    sent_at              timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX interactions_invoice_idx ON interactions (invoice_id, created_at);
CREATE INDEX interactions_debtor_sent_idx ON interactions (debtor_id, sent_at);
CREATE INDEX interactions_provider_msg_idx ON interactions (provider, provider_message_id);

CREATE TABLE interaction_events (
    id              bigserial PRIMARY KEY,
    interaction_id  text NOT NULL REFERENCES interactions(id),
    provider        text NOT NULL,
    event           text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX interaction_events_interaction_idx ON interaction_events (interaction_id);

-- Versioned policies: a new version is a new row; running cases keep their snapshot.
CREATE TABLE policies (
    name         text NOT NULL,
    version      int NOT NULL,
    definition   jsonb NOT NULL,
    active       boolean NOT NULL DEFAULT true,
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

-- Case projection written by workflow activities; the API reads this, never Temporal visibility.
CREATE TABLE cases (
    invoice_id       text PRIMARY KEY REFERENCES invoices(id),
    workflow_id      text NOT NULL UNIQUE,
    debtor_id        text NOT NULL REFERENCES debtors(id),
    status           text NOT NULL,
    stage            text NOT NULL DEFAULT '',
    policy_name      text NOT NULL DEFAULT '',
    policy_version   int NOT NULL DEFAULT 0,
    collector_id     text,
    balance_cents    bigint NOT NULL DEFAULT 0,
    currency         char(3) NOT NULL DEFAULT 'EUR',
    next_action_at   timestamptz,
    pause_reason     text NOT NULL DEFAULT '',
    started_at       timestamptz NOT NULL DEFAULT now(),
    closed_at        timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_status_idx ON cases (status, invoice_id);
CREATE INDEX cases_collector_idx ON cases (collector_id, status);
CREATE INDEX cases_debtor_idx ON cases (debtor_id);

-- Timeline of a case: every transition, skip and delay with its reason.
CREATE TABLE case_events (
    id          bigserial PRIMARY KEY,
    event_key   text UNIQUE,                 -- idempotency across activity retries
    invoice_id  text NOT NULL REFERENCES invoices(id),
    debtor_id   text NOT NULL REFERENCES debtors(id),
    kind        text NOT NULL,
    message     text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL
);
CREATE INDEX case_events_invoice_idx ON case_events (invoice_id, occurred_at);
CREATE INDEX case_events_debtor_idx ON case_events (debtor_id, occurred_at);

CREATE TABLE agency_handoffs (
    id               text PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    invoice_id       text NOT NULL REFERENCES invoices(id),
    agency           text NOT NULL DEFAULT '',
    reference        text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'accepted', 'closed', 'failed')),
    pack             jsonb NOT NULL DEFAULT '{}',
    file_path        text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);

CREATE TABLE api_tokens (
    id            text PRIMARY KEY,
    name          text NOT NULL,
    token_hash    bytea NOT NULL UNIQUE,          -- SHA-256 of the secret; the secret itself is never stored
    role          text NOT NULL CHECK (role IN ('collector', 'manager', 'admin', 'service')),
    collector_id  text REFERENCES collectors(id), -- the portfolio of a collector token
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    CHECK (role <> 'collector' OR collector_id IS NOT NULL)
);

CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    actor       text NOT NULL,
    role        text NOT NULL,
    action      text NOT NULL,
    entity      text NOT NULL,
    entity_id   text NOT NULL,
    before      jsonb,
    after       jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, at);

-- Webhook events processed once: the unique key is written in the same
-- transaction as the side effect.
CREATE TABLE webhook_events (
    provider     text NOT NULL,
    event_id     text NOT NULL,
    kind         text NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL DEFAULT now(),
    payload      jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (provider, event_id)
);

-- Workflow updates owed after a commit (payments, disputes): a relay
-- delivers each with its update ID until it succeeds.
CREATE TABLE case_commands (
    id               bigserial PRIMARY KEY,
    invoice_id       text NOT NULL REFERENCES invoices(id),
    update_name      text NOT NULL,
    update_id        text NOT NULL UNIQUE,
    payload          jsonb NOT NULL,
    attempts         int NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    done_at          timestamptz
);
CREATE INDEX case_commands_pending_idx ON case_commands (next_attempt_at) WHERE done_at IS NULL;

-- +goose Down
DROP TABLE case_commands, webhook_events, audit_log, api_tokens, agency_handoffs, case_events, cases,
    policies, interaction_events, interactions, tasks, dispute_comments, disputes, plan_installments,
    payment_plans, promises, payment_allocations, payments, credit_notes, invoice_lines, invoices,
    channel_consents, debtor_contacts, debtors, collectors;
