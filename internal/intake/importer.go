package intake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// CaseStarter starts a case idempotently without waiting for the worker,
// and brings an invoice's corrected terms to its running case
// (caseclient.Client in production).
type CaseStarter interface {
	EnsureStarted(ctx context.Context, req caseclient.StartRequest) error
	Update(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error)
}

// Outcome is what an import did with one line.
type Outcome string

const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged"
	Rejected  Outcome = "rejected"
)

// CaseOutcome says what became of the line's case.
type CaseOutcome string

const (
	CaseStarted      CaseOutcome = "started"       // started now (or found running)
	CaseRunning      CaseOutcome = "running"       // already known before this import
	CaseUpdated      CaseOutcome = "updated"       // running, and took the corrected due date or amount
	CaseNotOpen      CaseOutcome = "not_open"      // invoice paid, cancelled…
	CaseStartFailed  CaseOutcome = "start_failed"  // stored, but Temporal refused or was down: import again
	CaseUpdateFailed CaseOutcome = "update_failed" // stored, but the running case did not take the new terms
	CaseStartSkipped CaseOutcome = "start_skipped" // no case starter configured
)

// LineResult reports one line of an import.
type LineResult struct {
	Line      int         `json:"line"`
	Number    string      `json:"number,omitempty"`
	InvoiceID string      `json:"invoice_id,omitempty"`
	Outcome   Outcome     `json:"outcome"`
	Field     string      `json:"field,omitempty"`
	Reason    string      `json:"reason,omitempty"`
	Changed   []string    `json:"changed,omitempty"`
	Case      CaseOutcome `json:"case,omitempty"`
	CaseError string      `json:"case_error,omitempty"`
}

// Report is the result of an import, one entry per input line in order.
type Report struct {
	Created   int          `json:"created"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
	Rejected  int          `json:"rejected"`
	Lines     []LineResult `json:"lines"`
}

// Importer writes debtors and invoices and starts the case of every open
// invoice at once: a case not yet due sleeps until its first rung.
type Importer struct {
	Store *store.Store
	Cases CaseStarter
	// Policies name the ladder in each case's summary (the workflow itself
	// selects from the stored policies). Empty means DefaultPolicy and DemoPolicy.
	Policies []domain.Policy
	// StartParallelism bounds concurrent case starts (16 when zero): each
	// is one short call to Temporal.
	StartParallelism int
}

// newID returns prefix + 16 random hex characters.
func newID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return prefix + hex.EncodeToString(b)
}

// startable is an invoice whose case should run after the commit; terms,
// when set, are its corrected terms for a case already running.
type startable struct {
	line   int // index in Report.Lines
	inv    store.Invoice
	debtor store.Debtor
	terms  *domain.TermsUpdate
}

// ImportInvoices writes the valid lines in one transaction (with an audit
// line per change), then starts the case of each open invoice that has
// none yet, and brings corrected terms to the cases already running. Business rejections are reported per line; an error means
// nothing was written.
func (im *Importer) ImportInvoices(ctx context.Context, actor store.Actor, lines []Line) (Report, error) {
	rep := Report{Lines: make([]LineResult, len(lines))}
	var toStart []startable
	err := im.Store.InTx(ctx, func(tx pgx.Tx) error {
		toStart = toStart[:0]
		debtors := map[string]*store.Debtor{}
		// A number twice in one file is a contradiction for a person to
		// resolve, not an update of the invoice the earlier line created.
		firstLine := map[string]int{}
		for i, l := range lines {
			if l.Rejected == nil {
				if first, dup := firstLine[l.Input.Number]; dup {
					rep.Lines[i] = rejected(l, domain.FieldError{Field: "number", Reason: fmt.Sprintf("repeats line %d of this import", first)})
					continue
				}
				firstLine[l.Input.Number] = l.Line
			}
			res, st, err := im.importLine(ctx, tx, actor, l, debtors)
			if err != nil {
				return fmt.Errorf("line %d: %w", l.Line, err)
			}
			rep.Lines[i] = res
			if st != nil {
				st.line = i
				toStart = append(toStart, *st)
			}
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	im.startCases(ctx, rep.Lines, toStart)
	for _, l := range rep.Lines {
		switch l.Outcome {
		case Created:
			rep.Created++
		case Updated:
			rep.Updated++
		case Unchanged:
			rep.Unchanged++
		case Rejected:
			rep.Rejected++
		}
	}
	return rep, nil
}

func rejected(l Line, fe domain.FieldError) LineResult {
	return LineResult{Line: l.Line, Number: l.Input.Number, Outcome: Rejected, Field: fe.Field, Reason: fe.Reason}
}

func (im *Importer) importLine(ctx context.Context, tx pgx.Tx, actor store.Actor, l Line, debtors map[string]*store.Debtor) (LineResult, *startable, error) {
	if l.Rejected != nil {
		return rejected(l, *l.Rejected), nil, nil
	}
	in := l.Input
	debtor, ok := debtors[in.DebtorID]
	if !ok {
		d, err := store.GetDebtor(ctx, tx, in.DebtorID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			debtor = nil
		case err != nil:
			return LineResult{}, nil, err
		default:
			debtor = &d
		}
		debtors[in.DebtorID] = debtor
	}
	if debtor == nil {
		return rejected(l, domain.FieldError{Field: "debtor_id", Reason: fmt.Sprintf("unknown debtor %q: create it first", in.DebtorID)}), nil, nil
	}

	existing, err := store.GetInvoiceByNumberForUpdate(ctx, tx, in.Number)
	if errors.Is(err, store.ErrNotFound) {
		inv, err := store.InsertInvoice(ctx, tx, store.Invoice{
			ID: newID("inv_"), DebtorID: in.DebtorID, Number: in.Number, IssueDate: in.IssueDate, DueDate: in.DueDate,
			Currency: in.Currency, AmountCents: in.AmountCents, Description: in.Description, PaymentLink: in.PaymentLink,
		})
		if err != nil {
			return LineResult{}, nil, err
		}
		if err := store.Audit(ctx, tx, store.AuditEntry{Actor: actor, Action: "invoice.create", Entity: "invoice", EntityID: inv.ID, After: inv}); err != nil {
			return LineResult{}, nil, err
		}
		res := LineResult{Line: l.Line, Number: inv.Number, InvoiceID: inv.ID, Outcome: Created}
		return res, startableIfOpen(&res, inv, *debtor), nil
	}
	if err != nil {
		return LineResult{}, nil, err
	}

	changed, fe, err := im.amend(ctx, tx, existing, in)
	if err != nil {
		return LineResult{}, nil, err
	}
	if fe != nil {
		res := rejected(l, *fe)
		res.InvoiceID = existing.ID
		return res, nil, nil
	}
	res := LineResult{Line: l.Line, Number: existing.Number, InvoiceID: existing.ID, Outcome: Unchanged}
	inv := existing
	if len(changed) > 0 {
		inv = applyInput(existing, in)
		inv, err = store.UpdateInvoiceTerms(ctx, tx, inv)
		if err != nil {
			return LineResult{}, nil, err
		}
		if err := store.Audit(ctx, tx, store.AuditEntry{Actor: actor, Action: "invoice.update", Entity: "invoice", EntityID: inv.ID, Before: existing, After: inv}); err != nil {
			return LineResult{}, nil, err
		}
		res.Outcome, res.Changed = Updated, changed
	}
	s := startableIfOpen(&res, inv, *debtor)
	if s != nil && (slices.Contains(changed, "due_date") || slices.Contains(changed, "amount_cents")) {
		s.terms, err = termsUpdate(inv)
		if err != nil {
			return LineResult{}, nil, err
		}
	}
	return res, s, nil
}

// termsUpdate is the update bringing inv's terms to its case. Its ID names
// the terms and the moment they were stored, so importing the same line
// again changes the case once, and a later return to earlier terms is a
// change of its own.
func termsUpdate(inv store.Invoice) (*domain.TermsUpdate, error) {
	due, err := time.Parse(DateLayout, inv.DueDate)
	if err != nil {
		return nil, fmt.Errorf("due date of %s: %w", inv.ID, err)
	}
	return &domain.TermsUpdate{
		ID:      fmt.Sprintf("terms:%s:%s:%d:%d", inv.ID, inv.DueDate, inv.AmountCents, inv.UpdatedAt.UnixMicro()),
		DueDate: due, AmountCents: inv.AmountCents,
	}, nil
}

// startableIfOpen sets the line's case outcome for an invoice that will
// not be started, or returns it for starting after the commit.
func startableIfOpen(res *LineResult, inv store.Invoice, d store.Debtor) *startable {
	if inv.Status != "open" || inv.BalanceCents == 0 {
		res.Case = CaseNotOpen
		return nil
	}
	return &startable{inv: inv, debtor: d}
}

func applyInput(inv store.Invoice, in InvoiceInput) store.Invoice {
	inv.BalanceCents += in.AmountCents - inv.AmountCents
	inv.IssueDate, inv.DueDate, inv.Currency, inv.AmountCents = in.IssueDate, in.DueDate, in.Currency, in.AmountCents
	inv.Description, inv.PaymentLink = in.Description, in.PaymentLink
	return inv
}

// amend lists what in changes on an existing invoice, or why it may not.
// Once a case runs, a new due date or a higher amount reaches it as an
// update after the commit; a lower amount goes through a credit note and
// the currency cannot change (accounting corrects an issued invoice so).
func (im *Importer) amend(ctx context.Context, tx pgx.Tx, inv store.Invoice, in InvoiceInput) ([]string, *domain.FieldError, error) {
	if in.DebtorID != inv.DebtorID {
		return nil, &domain.FieldError{Field: "debtor_id", Reason: fmt.Sprintf("invoice %s belongs to debtor %q and cannot move", inv.Number, inv.DebtorID)}, nil
	}
	var changed []string
	for _, c := range []struct {
		field    string
		old, new any
	}{
		{"issue_date", inv.IssueDate, in.IssueDate}, {"due_date", inv.DueDate, in.DueDate},
		{"currency", inv.Currency, in.Currency}, {"amount_cents", inv.AmountCents, in.AmountCents},
		{"description", inv.Description, in.Description}, {"payment_link", inv.PaymentLink, in.PaymentLink},
	} {
		if c.old != c.new {
			changed = append(changed, c.field)
		}
	}
	if len(changed) == 0 {
		return nil, nil, nil
	}
	if inv.Status != "open" {
		return nil, &domain.FieldError{Field: changed[0], Reason: fmt.Sprintf("invoice %s is %s and can no longer change", inv.Number, inv.Status)}, nil
	}
	var started bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cases WHERE invoice_id = $1)`, inv.ID).Scan(&started); err != nil {
		return nil, nil, fmt.Errorf("case of %s: %w", inv.ID, err)
	}
	if started && in.Currency != inv.Currency {
		return nil, &domain.FieldError{Field: "currency", Reason: "the invoice's case has started: correct it with a credit note and a new invoice"}, nil
	}
	if started && in.AmountCents < inv.AmountCents {
		return nil, &domain.FieldError{Field: "amount_cents", Reason: "is lower than the invoiced amount and the invoice's case has started: lower it with a credit note"}, nil
	}
	if in.Currency != inv.Currency {
		paid, err := store.InvoiceHasPayments(ctx, tx, inv.ID)
		if err != nil {
			return nil, nil, err
		}
		if paid {
			return nil, &domain.FieldError{Field: "currency", Reason: "cannot change: payments were received in " + inv.Currency}, nil
		}
	}
	if settled := inv.AmountCents - inv.BalanceCents; in.AmountCents < settled {
		return nil, &domain.FieldError{Field: "amount_cents", Reason: fmt.Sprintf("is below the %d already paid or credited", settled)}, nil
	}
	return changed, nil, nil
}

// Summary is the case's one-line label in the Temporal UI: number, amount
// and ladder, no personal data.
func (im *Importer) Summary(inv store.Invoice, d store.Debtor) string {
	policies := im.Policies
	if len(policies) == 0 {
		policies = []domain.Policy{domain.DefaultPolicy(), domain.DemoPolicy()}
	}
	name := "default"
	if p, ok := domain.SelectPolicy(policies, d.Segment, d.RiskRating); ok {
		name = p.Name
	}
	return fmt.Sprintf("%s · %s · %s", inv.Number, domain.NewMoney(inv.BalanceCents, inv.Currency).FormatFR(), name)
}

// startCases starts the cases concurrently and brings corrected terms to
// the running ones; a failure is reported on its line (the invoice is
// stored: importing it again retries the start).
func (im *Importer) startCases(ctx context.Context, results []LineResult, todo []startable) {
	if len(todo) == 0 {
		return
	}
	if im.Cases == nil {
		for _, s := range todo {
			results[s.line].Case = CaseStartSkipped
		}
		return
	}
	running, err := store.CasesStarted(ctx, im.Store.Pool, invoiceIDs(todo))
	if err != nil {
		running = map[string]bool{}
	}
	n := im.StartParallelism
	if n <= 0 {
		n = 16
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, s := range todo {
		if running[s.inv.ID] && s.terms == nil {
			results[s.line].Case = CaseRunning
			continue
		}
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[s.line].Case, results[s.line].CaseError = im.startOne(ctx, s, running[s.inv.ID])
		})
	}
	wg.Wait()
}

// startOne starts one case unless it runs, then gives it the corrected
// terms. The update also goes to a case this import found starting: it
// may have loaded the invoice before the correction was committed.
func (im *Importer) startOne(ctx context.Context, s startable, running bool) (CaseOutcome, string) {
	if !running {
		err := im.Cases.EnsureStarted(ctx, caseclient.StartRequest{
			InvoiceID: s.inv.ID,
			Summary:   im.Summary(s.inv, s.debtor),
			Attributes: caseclient.Attributes{
				CustomerID: s.debtor.ID, InvoiceNumber: s.inv.Number, Segment: s.debtor.Segment,
				AmountDueCents: s.inv.BalanceCents, Collector: s.debtor.CollectorID,
			},
		})
		if err != nil {
			return CaseStartFailed, err.Error()
		}
	}
	if s.terms == nil {
		return CaseStarted, ""
	}
	if _, err := im.Cases.Update(ctx, s.inv.ID, domain.UpdateTerms, s.terms.ID, *s.terms); err != nil {
		return CaseUpdateFailed, err.Error()
	}
	return CaseUpdated, ""
}

func invoiceIDs(todo []startable) []string {
	ids := make([]string, len(todo))
	for i, s := range todo {
		ids[i] = s.inv.ID
	}
	return ids
}
