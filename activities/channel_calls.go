package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/channels/calls"
	"github.com/relance/relance/internal/channels/templates"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// CallScript is the JSON a collector reads before and during a call.
type CallScript struct {
	Language      string        `json:"language"`
	Opening       string        `json:"opening"`
	Ask           string        `json:"ask"`
	DebtorName    string        `json:"debtor_name"`
	Phone         string        `json:"phone"`
	InvoiceNumber string        `json:"invoice_number"`
	DueDate       string        `json:"due_date"`
	DaysOverdue   int           `json:"days_overdue"`
	AmountDue     string        `json:"amount_due"`
	BalanceCents  int64         `json:"balance_cents"`
	Currency      string        `json:"currency"`
	PaymentLink   string        `json:"payment_link,omitempty"`
	BrokenPromise int           `json:"broken_promises"`
	LastPromise   *ScriptMemo   `json:"last_promise,omitempty"`
	History       []ScriptEntry `json:"history"`
	Outcomes      []string      `json:"outcomes"`
}

// ScriptMemo describes the last promise to pay.
type ScriptMemo struct {
	Amount string `json:"amount"`
	Date   string `json:"date"`
	Status string `json:"status"`
}

// ScriptEntry is one earlier contact about the invoice.
type ScriptEntry struct {
	At       string `json:"at"`
	Channel  string `json:"channel"`
	Template string `json:"template"`
	Status   string `json:"status"`
}

var callOutcomes = []string{string(domain.OutcomeReached), string(domain.OutcomePromise), string(domain.OutcomeDispute),
	string(domain.OutcomeNoAnswer), string(domain.OutcomeWrongNumber), string(domain.OutcomeCallback)}

// CreateCallTask creates a call task for a collector, once per
// IdempotencyKey. It goes to the case's collector, else the debtor's,
// else the active collector with the fewest open tasks; it is due at the
// first moment inside the debtor's contact window (in its timezone) from
// DueAt on, and carries a script in the debtor's language.
func (a *ChannelActivities) CreateCallTask(ctx context.Context, in domain.CallTaskInput) (domain.CallTaskResult, error) {
	if in.InvoiceID == "" || in.DebtorID == "" || in.IdempotencyKey == "" {
		return domain.CallTaskResult{}, permanent(fmt.Errorf("call task: invoice_id, debtor_id and idempotency_key are required"))
	}
	if t, err := store.GetTaskByKey(ctx, a.store.Pool, in.IdempotencyKey); err == nil {
		return domain.CallTaskResult{TaskID: t.ID, CollectorID: t.CollectorID}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return domain.CallTaskResult{}, err
	}
	debtor, err := store.GetDebtor(ctx, a.store.Pool, in.DebtorID)
	if err != nil {
		return domain.CallTaskResult{}, loadError(err)
	}
	inv, err := store.GetInvoiceDoc(ctx, a.store.Pool, in.InvoiceID)
	if err != nil {
		return domain.CallTaskResult{}, loadError(err)
	}
	script, err := a.callScript(ctx, in, debtor, inv)
	if err != nil {
		return domain.CallTaskResult{}, err
	}
	scriptJSON, err := json.Marshal(script)
	if err != nil {
		return domain.CallTaskResult{}, fmt.Errorf("encode call script: %w", err)
	}

	loc, err := time.LoadLocation(debtor.Timezone)
	if err != nil {
		loc, _ = time.LoadLocation("Europe/Paris")
	}
	due := in.DueAt
	if now := a.now(); due.Before(now) {
		due = now
	}
	due = domain.NextInWindow(due, loc, debtor.ContactWindowStart, debtor.ContactWindowEnd).UTC()
	deadline := in.DeadlineAt.UTC()
	if !deadline.After(due) {
		deadline = due.Add(48 * time.Hour)
	}

	var task store.Task
	err = a.store.InTx(ctx, func(tx pgx.Tx) error {
		collector, err := a.assignee(ctx, tx, in.CollectorID, debtor.CollectorID)
		if err != nil {
			return err
		}
		t, created, err := store.InsertTask(ctx, tx, store.Task{
			ID: a.newID(), IdempotencyKey: in.IdempotencyKey, InvoiceID: in.InvoiceID, DebtorID: in.DebtorID,
			Kind: "call", CollectorID: collector, DueAt: due, DeadlineAt: deadline, Script: scriptJSON,
			Priority: calls.Priority(in.BalanceCents, in.DaysOverdue, in.BrokenPromises),
		})
		if err != nil {
			return err
		}
		task = t
		if !created {
			return nil
		}
		// The call shows on the timeline; it counts as a contact only
		// once a collector records it (sent_at stays empty).
		_, _, err = store.ClaimInteraction(ctx, tx, store.Interaction{
			ID: a.newID(), IdempotencyKey: "call:" + in.IdempotencyKey, InvoiceID: in.InvoiceID, DebtorID: in.DebtorID,
			Channel: string(domain.ChannelCall), Rung: in.Rung, Template: "call_script", Language: script.Language,
			Provider: "task", AmountCents: in.BalanceCents, Currency: script.Currency,
			Subject: script.Opening, BodyText: script.Ask,
		})
		return err
	})
	if err != nil {
		return domain.CallTaskResult{}, fmt.Errorf("create call task %s: %w", in.IdempotencyKey, err)
	}
	return domain.CallTaskResult{TaskID: task.ID, CollectorID: task.CollectorID}, nil
}

// assignee picks the collector: the case's or the debtor's when active,
// else round-robin by fewest open tasks (locked, so concurrent tasks spread).
func (a *ChannelActivities) assignee(ctx context.Context, tx pgx.Tx, candidates ...string) (string, error) {
	for _, id := range candidates {
		if id == "" {
			continue
		}
		ok, err := store.ActiveCollector(ctx, tx, id)
		if err != nil {
			return "", err
		}
		if ok {
			return id, nil
		}
	}
	return store.PickCollector(ctx, tx)
}

func (a *ChannelActivities) callScript(ctx context.Context, in domain.CallTaskInput, d store.Debtor, inv store.InvoiceDoc) (CallScript, error) {
	lang := language(d.Language)
	cur := in.Currency
	if cur == "" {
		cur = inv.Currency
	}
	balance := domain.NewMoney(in.BalanceCents, cur)
	if in.BalanceCents == 0 {
		balance = domain.NewMoney(inv.BalanceCents, inv.Currency)
	}
	data := a.templateData(d, inv, balance)
	if in.DaysOverdue > 0 {
		data.DaysOverdue = in.DaysOverdue
	}
	opening, err := a.templates.Text("call_script", "opening", data)
	if err != nil {
		return CallScript{}, permanent(err)
	}
	ask, err := a.templates.Text("call_script", "ask", data)
	if err != nil {
		return CallScript{}, permanent(err)
	}
	s := CallScript{
		Language: lang, Opening: opening, Ask: ask, DebtorName: d.Name, Phone: d.Phone,
		InvoiceNumber: inv.Number, DueDate: data.DueDate, DaysOverdue: data.DaysOverdue,
		AmountDue: balance.Format(lang), BalanceCents: balance.Cents, Currency: balance.Currency,
		PaymentLink: inv.PaymentLink, BrokenPromise: in.BrokenPromises, Outcomes: callOutcomes,
		History: []ScriptEntry{},
	}
	promise, err := store.LastPromise(ctx, a.store.Pool, inv.ID)
	if err != nil {
		return CallScript{}, err
	}
	if promise != nil {
		s.LastPromise = &ScriptMemo{Amount: domain.NewMoney(promise.AmountCents, promise.Currency).Format(lang),
			Date: templates.Date(promise.PromisedDate, lang), Status: promise.Status}
	}
	past, err := store.InteractionsOfInvoice(ctx, a.store.Pool, inv.ID)
	if err != nil {
		return CallScript{}, err
	}
	for _, p := range past {
		at := p.CreatedAt
		if p.SentAt != nil {
			at = *p.SentAt
		}
		s.History = append(s.History, ScriptEntry{At: at.UTC().Format(time.RFC3339), Channel: p.Channel,
			Template: p.Template, Status: p.Status})
	}
	return s, nil
}
