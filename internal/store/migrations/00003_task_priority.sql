-- +goose Up
-- The worklist ranks open tasks by a stored score instead of computing
-- every task's score at each read. The score is the balance in major units,
-- raised by a thirtieth per day overdue and multiplied by one plus the
-- broken promises; it changes when the balance or the broken promises
-- change (triggers below, whoever writes them) and once a day (the first
-- worklist read of a Paris date reprices the open tasks: store.Worklist).

-- +goose StatementBegin
CREATE FUNCTION task_priority(balance_cents bigint, due date, broken bigint, day date) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((balance_cents / 100) * (30 + greatest(0, day - due)) * (1 + broken)) / 30
$$;
-- +goose StatementEnd

-- The Paris date the stored scores count days overdue from. One row;
-- '-infinity' until the first worklist read prices the tasks.
CREATE TABLE task_priority_day (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    day  date NOT NULL
);
INSERT INTO task_priority_day (day) VALUES ('-infinity');

-- +goose StatementBegin
CREATE FUNCTION task_priority_day() RETURNS date LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN day = '-infinity' THEN (now() AT TIME ZONE 'Europe/Paris')::date ELSE day END
    FROM task_priority_day
$$;
-- +goose StatementEnd

-- score is the worklist's rank; priority stays the call channel's own figure.
ALTER TABLE tasks ADD COLUMN score bigint NOT NULL DEFAULT 0, ADD COLUMN priority_date date;

-- One invoice's live tasks, repriced for the current pricing day.
-- +goose StatementBegin
CREATE FUNCTION reprice_tasks_of(invoice text) RETURNS void LANGUAGE sql AS $$
    UPDATE tasks t SET score = task_priority(coalesce(c.balance_cents, i.balance_cents), i.due_date,
            (SELECT count(*) FROM promises p WHERE p.invoice_id = i.id AND p.status = 'broken'), task_priority_day()),
        priority_date = task_priority_day()
    FROM invoices i LEFT JOIN cases c ON c.invoice_id = i.id
    WHERE i.id = invoice AND t.invoice_id = i.id AND t.status IN ('open', 'claimed')
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION tasks_price_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.priority_date := task_priority_day();
    SELECT task_priority(coalesce(c.balance_cents, i.balance_cents), i.due_date,
               (SELECT count(*) FROM promises p WHERE p.invoice_id = i.id AND p.status = 'broken'), NEW.priority_date)
    INTO NEW.score
    FROM invoices i LEFT JOIN cases c ON c.invoice_id = i.id WHERE i.id = NEW.invoice_id;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER tasks_price_new BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION tasks_price_new();

-- +goose StatementBegin
CREATE FUNCTION reprice_tasks_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Each branch names only the columns its table has.
    IF TG_TABLE_NAME = 'invoices' THEN
        PERFORM reprice_tasks_of(NEW.id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM reprice_tasks_of(OLD.invoice_id);
    ELSE
        PERFORM reprice_tasks_of(NEW.invoice_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER cases_reprice_tasks_ins AFTER INSERT ON cases
    FOR EACH ROW EXECUTE FUNCTION reprice_tasks_of_row();
CREATE TRIGGER cases_reprice_tasks_upd AFTER UPDATE OF balance_cents ON cases
    FOR EACH ROW WHEN (OLD.balance_cents IS DISTINCT FROM NEW.balance_cents) EXECUTE FUNCTION reprice_tasks_of_row();
CREATE TRIGGER promises_reprice_tasks_ins AFTER INSERT ON promises
    FOR EACH ROW WHEN (NEW.status = 'broken') EXECUTE FUNCTION reprice_tasks_of_row();
CREATE TRIGGER promises_reprice_tasks_upd AFTER UPDATE OF status ON promises
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status AND 'broken' IN (OLD.status, NEW.status))
    EXECUTE FUNCTION reprice_tasks_of_row();
CREATE TRIGGER promises_reprice_tasks_del AFTER DELETE ON promises
    FOR EACH ROW WHEN (OLD.status = 'broken') EXECUTE FUNCTION reprice_tasks_of_row();
CREATE TRIGGER invoices_reprice_tasks_upd AFTER UPDATE OF balance_cents, due_date ON invoices
    FOR EACH ROW WHEN (OLD.balance_cents IS DISTINCT FROM NEW.balance_cents OR OLD.due_date IS DISTINCT FROM NEW.due_date)
    EXECUTE FUNCTION reprice_tasks_of_row();

-- Existing tasks: priced now; the first worklist read reprices them for its date.
UPDATE tasks t SET score = task_priority(coalesce(c.balance_cents, i.balance_cents), i.due_date,
        (SELECT count(*) FROM promises p WHERE p.invoice_id = i.id AND p.status = 'broken'), task_priority_day()),
    priority_date = task_priority_day()
FROM invoices i LEFT JOIN cases c ON c.invoice_id = i.id
WHERE i.id = t.invoice_id AND t.status IN ('open', 'claimed');

-- The worklist's page: live tasks by score, for everyone or one collector;
-- unassigned tasks reached through their debtor's portfolio.
CREATE INDEX tasks_live_priority_idx ON tasks (score DESC, due_at, id) WHERE status IN ('open', 'claimed');
CREATE INDEX tasks_live_collector_priority_idx ON tasks (collector_id, score DESC, due_at, id)
    WHERE status IN ('open', 'claimed');
CREATE INDEX tasks_live_unassigned_debtor_idx ON tasks (debtor_id, score DESC, due_at, id)
    WHERE status IN ('open', 'claimed') AND collector_id IS NULL;

-- +goose Down
DROP INDEX tasks_live_unassigned_debtor_idx, tasks_live_collector_priority_idx, tasks_live_priority_idx;
DROP TRIGGER invoices_reprice_tasks_upd ON invoices;
DROP TRIGGER promises_reprice_tasks_del ON promises;
DROP TRIGGER promises_reprice_tasks_upd ON promises;
DROP TRIGGER promises_reprice_tasks_ins ON promises;
DROP TRIGGER cases_reprice_tasks_upd ON cases;
DROP TRIGGER cases_reprice_tasks_ins ON cases;
DROP TRIGGER tasks_price_new ON tasks;
DROP FUNCTION reprice_tasks_of_row(), tasks_price_new(), reprice_tasks_of(text), task_priority_day();
ALTER TABLE tasks DROP COLUMN score, DROP COLUMN priority_date;
DROP TABLE task_priority_day;
DROP FUNCTION task_priority(bigint, date, bigint, date);
