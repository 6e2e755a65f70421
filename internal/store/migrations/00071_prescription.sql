-- +goose Up
-- Prescription clock per invoice. A claim prescribes 5 years after its due
-- date between professionals (Code de commerce L110-4) and 2 years against a
-- consumer (Code de la consommation L218-2); an acknowledgement or a part
-- payment (Code civil 2240) and a legal action (2241) start a new period.
-- Part payments are the payment allocations; the other interruptions are
-- recorded here (POST /v1/invoices/{id}/interruptions, the legal path).
CREATE TABLE claim_interruptions (
    id           bigserial PRIMARY KEY,
    invoice_id   text NOT NULL REFERENCES invoices(id),
    kind         text NOT NULL CHECK (kind IN ('acknowledgement', 'legal_action')),
    occurred_on  date NOT NULL,
    note         text NOT NULL DEFAULT '',
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_interruptions_invoice_idx ON claim_interruptions (invoice_id, occurred_on);

-- The last day the creditor may act (domain.PrescriptionAt), kept on the case
-- projection by every projection write and every recorded interruption.
ALTER TABLE cases ADD COLUMN prescription_at date;
CREATE INDEX cases_open_prescription_idx ON cases (prescription_at)
    WHERE closed_at IS NULL AND prescription_at IS NOT NULL;

-- +goose Down
DROP INDEX cases_open_prescription_idx;
ALTER TABLE cases DROP COLUMN prescription_at;
DROP TABLE claim_interruptions;
