-- +goose Up
-- The ledger owns money: every movement on an invoice or on the suspense
-- account of a receipt is one row, and balances are sums of rows
-- (internal/ledger computes them; invoices.balance_cents is the ledger's
-- cached sum, written only by the ledger in the transaction of the entry).
--
-- amount_cents is the change of the account's balance:
--   invoice account (invoice_id set): + raises what the debtor owes
--     (invoice, interest, fee, refund, chargeback, adjustment up),
--     - lowers it (payment, allocation, credit_note, write_off,
--     chargeback_reversal, adjustment down);
--   suspense account of a receipt (invoice_id NULL, payment_id set):
--     + money held unallocated (unallocated), - money leaving suspense
--     (allocation to an invoice, refund or chargeback of held money).
CREATE TABLE ledger_entries (
    id            bigserial PRIMARY KEY,
    entry_key     text NOT NULL UNIQUE,   -- the stable ID of the fact that booked it
    kind          text NOT NULL CHECK (kind IN ('invoice', 'adjustment', 'credit_note', 'payment', 'refund',
                                                'chargeback', 'chargeback_reversal', 'write_off', 'unallocated',
                                                'allocation', 'interest', 'fee')),
    invoice_id    text REFERENCES invoices(id),
    debtor_id     text REFERENCES debtors(id),
    payment_id    text,                   -- the receipt it belongs to (payments.id), when any
    source        text NOT NULL DEFAULT '', -- stripe, bank, manual, agency, portal, api, intake, case…
    amount_cents  bigint NOT NULL CHECK (amount_cents <> 0),
    currency      char(3) NOT NULL,
    occurred_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (invoice_id IS NOT NULL OR payment_id IS NOT NULL)
);
CREATE INDEX ledger_entries_invoice_idx ON ledger_entries (invoice_id, id) WHERE invoice_id IS NOT NULL;
CREATE INDEX ledger_entries_payment_idx ON ledger_entries (payment_id, id) WHERE payment_id IS NOT NULL;

-- Every invoice opens its account with an 'invoice' entry, whoever
-- inserts it. An invoice inserted with a balance below its amount (money
-- settled before Relance knew it) books the difference as an adjustment.
-- +goose StatementBegin
CREATE FUNCTION ledger_open_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_entries (entry_key, kind, invoice_id, debtor_id, source, amount_cents, currency, occurred_at)
    VALUES ('invoice:' || NEW.id, 'invoice', NEW.id, NEW.debtor_id, 'intake', NEW.amount_cents, NEW.currency, NEW.created_at)
    ON CONFLICT (entry_key) DO NOTHING;
    IF NEW.balance_cents <> NEW.amount_cents THEN
        INSERT INTO ledger_entries (entry_key, kind, invoice_id, debtor_id, source, amount_cents, currency, occurred_at)
        VALUES ('opening:' || NEW.id, 'adjustment', NEW.id, NEW.debtor_id, 'intake', NEW.balance_cents - NEW.amount_cents,
                NEW.currency, NEW.created_at)
        ON CONFLICT (entry_key) DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER invoices_ledger_open AFTER INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION ledger_open_invoice();

-- A receipt naming no known invoice has no debtor until a person allocates it.
ALTER TABLE payments ALTER COLUMN debtor_id DROP NOT NULL,
    ADD COLUMN reference text NOT NULL DEFAULT '',   -- the invoice number the payer named
    ADD COLUMN unallocated_reason text NOT NULL DEFAULT '';
CREATE INDEX payments_unallocated_idx ON payments (received_at, id) WHERE unallocated_cents > 0;

-- The same payment identity reported with another amount, currency or
-- invoice: never a silent duplicate, kept for a person to decide.
CREATE TABLE payment_conflicts (
    id           bigserial PRIMARY KEY,
    conflict_key text NOT NULL UNIQUE,    -- payment + the conflicting report, so a retry records once
    payment_id   text NOT NULL,
    provider     text NOT NULL,
    event_id     text NOT NULL,
    reason       text NOT NULL,
    reported     jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- The door delivers with a lease instead of a transaction held open
-- across the Temporal call; a refused command keeps its reason.
ALTER TABLE case_commands ADD COLUMN leased_until timestamptz,
    ADD COLUMN lease_token text NOT NULL DEFAULT '',
    ADD COLUMN refused boolean NOT NULL DEFAULT false,
    ADD COLUMN money boolean NOT NULL DEFAULT false;
CREATE INDEX case_commands_refused_idx ON case_commands (done_at DESC, id) WHERE refused;

-- Existing books: invoices, credit notes, allocations and overpayments.
INSERT INTO ledger_entries (entry_key, kind, invoice_id, debtor_id, source, amount_cents, currency, occurred_at)
SELECT 'invoice:' || id, 'invoice', id, debtor_id, 'intake', amount_cents, currency, created_at FROM invoices;
INSERT INTO ledger_entries (entry_key, kind, invoice_id, debtor_id, source, amount_cents, currency, occurred_at)
SELECT 'credit_note:' || cn.id, 'credit_note', cn.invoice_id, i.debtor_id, 'api', -cn.amount_cents, cn.currency, cn.created_at
FROM credit_notes cn JOIN invoices i ON i.id = cn.invoice_id;
INSERT INTO ledger_entries (entry_key, kind, invoice_id, debtor_id, payment_id, source, amount_cents, currency, occurred_at)
SELECT 'payment:' || a.payment_id || ':' || a.invoice_id, 'payment', a.invoice_id, p.debtor_id, p.id, p.provider,
       -a.amount_cents, p.currency, p.received_at
FROM payment_allocations a JOIN payments p ON p.id = a.payment_id;
INSERT INTO ledger_entries (entry_key, kind, debtor_id, payment_id, source, amount_cents, currency, occurred_at)
SELECT 'unallocated:' || id, 'unallocated', debtor_id, id, provider, unallocated_cents, currency, received_at
FROM payments WHERE unallocated_cents > 0;
-- Whatever else moved a balance before the ledger (a test's fixture, a
-- hand edit) is an opening adjustment, so each balance is its entries' sum.
INSERT INTO ledger_entries (entry_key, kind, invoice_id, debtor_id, source, amount_cents, currency, occurred_at)
SELECT 'opening:' || i.id, 'adjustment', i.id, i.debtor_id, 'migration', i.balance_cents - l.total, i.currency, now()
FROM invoices i JOIN (SELECT invoice_id, sum(amount_cents) AS total FROM ledger_entries WHERE invoice_id IS NOT NULL
                      GROUP BY invoice_id) l ON l.invoice_id = i.id
WHERE i.balance_cents <> l.total;

-- +goose Down
DROP INDEX case_commands_refused_idx;
ALTER TABLE case_commands DROP COLUMN leased_until, DROP COLUMN lease_token, DROP COLUMN refused, DROP COLUMN money;
DROP TABLE payment_conflicts;
DROP INDEX payments_unallocated_idx;
ALTER TABLE payments DROP COLUMN reference, DROP COLUMN unallocated_reason;
DROP TRIGGER invoices_ledger_open ON invoices;
DROP FUNCTION ledger_open_invoice();
DROP TABLE ledger_entries;
