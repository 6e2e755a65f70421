-- +goose Up
-- Every generated or received document (letters, formal notices, statements,
-- agency packs, postal proofs, court bundles, portal attachments, GDPR
-- exports): its bytes live in the documents bucket under key, this row is
-- the proof of what they were (SHA-256, size, type) and whose they are.
-- A document is written once: the row is claimed before the bytes are
-- stored (stored_at is set once they are), its key and digest never change,
-- and only a GDPR erasure removes the bytes (removed_at), keeping the digest.
CREATE TABLE documents (
    id            text PRIMARY KEY,
    key           text NOT NULL UNIQUE,
    kind          text NOT NULL,               -- letter, statement, agency_pack, agency_data, postal_proof, bundle, attachment, export
    content_type  text NOT NULL,
    filename      text NOT NULL DEFAULT '',
    size_bytes    bigint NOT NULL CHECK (size_bytes >= 0),
    sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    debtor_id     text REFERENCES debtors(id),
    invoice_id    text REFERENCES invoices(id),
    legal_hold    boolean NOT NULL DEFAULT false,  -- kept through an erasure (litigation, court file)
    created_at    timestamptz NOT NULL DEFAULT now(),
    stored_at     timestamptz,                     -- the bytes are in the bucket
    removed_at    timestamptz                      -- the bytes were erased (GDPR); the row keeps the digest
);
CREATE INDEX documents_invoice_idx ON documents (invoice_id, created_at) WHERE invoice_id IS NOT NULL;
CREATE INDEX documents_debtor_idx ON documents (debtor_id, created_at) WHERE debtor_id IS NOT NULL;

-- +goose StatementBegin
CREATE FUNCTION documents_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.key <> OLD.key OR NEW.sha256 <> OLD.sha256 OR NEW.size_bytes <> OLD.size_bytes
       OR NEW.content_type <> OLD.content_type OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'document % is written once: its key, digest, size and type never change', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER documents_write_once BEFORE UPDATE ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_write_once();

-- The document a message carried (a letter's PDF, an e-mail's statement)
-- and the agency pack's PDF.
ALTER TABLE interactions ADD COLUMN document_id text REFERENCES documents(id);
ALTER TABLE agency_handoffs ADD COLUMN document_id text REFERENCES documents(id);

-- +goose Down
ALTER TABLE agency_handoffs DROP COLUMN document_id;
ALTER TABLE interactions DROP COLUMN document_id;
DROP TRIGGER documents_write_once ON documents;
DROP FUNCTION documents_write_once();
DROP TABLE documents;
