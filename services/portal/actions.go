package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// maxForm bounds a form without a file.
const maxForm = 64 << 10

// actor is who the audit log says acted: the debtor, through one link.
func actor(s *session) store.Actor { return store.Actor{ID: "portal:" + s.Link.ID, Role: "debtor"} }

// derivedID makes a stable ID from a form's nonce, so a form sent twice
// changes the case once.
func derivedID(prefix string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + hex.EncodeToString(h[:8])
}

// endOfDay is the last second of a calendar day in Paris, as the API
// reads a date.
func endOfDay(d time.Time) time.Time { return d.Add(24*time.Hour - time.Second) }

// today is the current calendar day in Paris.
func (p *Portal) today() time.Time {
	y, m, d := p.Now().In(paris).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, paris)
}

// updateCase sends a validated update to the case, as the collector API
// does, then records rows, the audit line and a timeline entry in one
// transaction. The case's refusal is the debtor's 4xx and writes nothing.
func (p *Portal) updateCase(ctx context.Context, s *session, inv store.Invoice, action, update, updateID string, arg any,
	record func(tx pgx.Tx) error, event store.DisputeEvent) error {
	st, err := p.Cases.Update(ctx, inv.ID, update, updateID, arg)
	var rej *caseclient.RejectedError
	switch {
	case errors.Is(err, caseclient.ErrCaseClosed):
		return &inputError{Status: http.StatusConflict, FR: "ce dossier est clos : rien n'a été modifié.", EN: "this case is closed: nothing was changed."}
	case errors.As(err, &rej):
		return bad("demande refusée : "+rej.Reason+".", "request refused: "+rej.Reason+".")
	case errors.Is(err, caseclient.ErrCaseNotFound):
		return &inputError{Status: http.StatusConflict, FR: "cette facture n'est pas encore suivie : réessayez plus tard.", EN: "this invoice is not followed yet: try again later."}
	case err != nil:
		return err
	}
	return p.Store.InTx(ctx, func(tx pgx.Tx) error {
		if record != nil {
			if err := record(tx); err != nil {
				return err
			}
		}
		if err := store.AddDisputeEvent(ctx, tx, event); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: actor(s), Action: action, Entity: "case", EntityID: inv.ID,
			After: map[string]any{"request": arg, "status": st.Status, "pause": st.Pause, "balance_cents": st.BalanceCents}})
	})
}

// collectorTask leaves a request for the collector when it is outside
// what the policy lets the portal accept alone.
func (p *Portal) collectorTask(ctx context.Context, s *session, inv store.Invoice, key, kind string, request map[string]any, message string) error {
	request["portal_request"] = kind
	script, err := json.Marshal(request)
	if err != nil {
		return fmt.Errorf("portal request script: %w", err)
	}
	collector := s.Debtor.CollectorID
	now := p.Now()
	return p.Store.InTx(ctx, func(tx pgx.Tx) error {
		if collector == "" {
			if collector, err = store.PickCollector(ctx, tx); err != nil {
				return err
			}
		}
		task, created, err := store.InsertTask(ctx, tx, store.Task{
			ID: derivedID("task_", key), IdempotencyKey: key, InvoiceID: inv.ID, DebtorID: s.Debtor.ID,
			Kind: "follow_up", CollectorID: collector, DueAt: now, DeadlineAt: now.Add(48 * time.Hour), Script: script,
		})
		if err != nil || !created {
			return err
		}
		if err := store.AddDisputeEvent(ctx, tx, store.DisputeEvent{Key: key, InvoiceID: inv.ID, DebtorID: s.Debtor.ID,
			Kind: "portal_request", Message: message, Data: request, At: now}); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: actor(s), Action: "portal." + kind + "_request",
			Entity: "task", EntityID: task.ID, After: task})
	})
}

// promise: a date within the policy's limit is accepted at once and
// pauses the case; a later one (up to the hard limit) goes to the
// collector as a task; a past one or beyond the hard limit is refused.

func (p *Portal) doPromise(ctx context.Context, r *http.Request, s *session) (string, error) {
	key, err := nonce(r)
	if err != nil {
		return "", err
	}
	inv, err := p.ownInvoice(r, s, r.FormValue("invoice"))
	if err != nil {
		return "", err
	}
	date, err := parseDate(r.FormValue("date"))
	if err != nil {
		return "", err
	}
	amount, err := parseAmount(r.FormValue("amount"))
	if err == nil {
		err = checkAmount(amount, inv.BalanceCents)
	}
	if err != nil {
		return "", err
	}
	rules, err := store.PortalRulesOfInvoice(ctx, p.Store.Pool, inv.ID)
	if err != nil {
		return "", err
	}
	today := p.today()
	switch {
	case date.Before(today):
		return "", bad("la date promise est passée.", "the promised date is in the past.")
	case date.After(today.AddDate(0, 0, rules.MaxRequestDays)):
		return "", bad(fmt.Sprintf("la date promise ne peut dépasser %d jours.", rules.MaxRequestDays),
			fmt.Sprintf("the promised date cannot be more than %d days away.", rules.MaxRequestDays))
	}
	money := domain.NewMoney(amount, inv.Currency)
	day := date.Format("2006-01-02")
	if date.After(today.AddDate(0, 0, rules.MaxPromiseDays)) {
		err := p.collectorTask(ctx, s, inv, "portal:"+s.Link.ID+":promise:"+key, "promise",
			map[string]any{"date": day, "amount_cents": amount, "currency": inv.Currency},
			fmt.Sprintf("promise of %s by %s asked through the portal, beyond the %d days accepted at once", money.FormatFR(), day, rules.MaxPromiseDays))
		if err != nil {
			return "", err
		}
		return "promise_task", nil
	}
	id := derivedID("pr_", inv.ID, "portal", key)
	upd := domain.PromiseUpdate{ID: id, AmountCents: amount, Date: endOfDay(date)}
	err = p.updateCase(ctx, s, inv, "portal.promise", domain.UpdatePromise, "promise:"+inv.ID+":portal:"+key, upd,
		func(tx pgx.Tx) error {
			return store.RecordPromise(ctx, tx, store.PromiseView{ID: id, InvoiceID: inv.ID, AmountCents: amount,
				Currency: inv.Currency, PromisedDate: day, CreatedBy: "portal:" + s.Link.ID})
		},
		store.DisputeEvent{Key: "portal:promise:" + id, InvoiceID: inv.ID, DebtorID: s.Debtor.ID, Kind: "portal_promise",
			Message: fmt.Sprintf("promise of %s by %s made through the portal", money.FormatFR(), day),
			Data:    map[string]any{"promise_id": id, "amount_cents": amount, "date": day}, At: p.Now()})
	if err != nil {
		return "", err
	}
	return "promise", nil
}

// action runs a form's work: its refusal shows on the page with its
// status; its success redirects to the home page with a confirmation.
func (p *Portal) action(do func(context.Context, *http.Request, *session) (string, error)) func(http.ResponseWriter, *http.Request, *session) {
	return func(w http.ResponseWriter, r *http.Request, s *session) {
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		}
		done, err := do(r.Context(), r, s)
		if err != nil {
			p.refuse(w, r, s, err)
			return
		}
		http.Redirect(w, r, s.Base+"?done="+done, http.StatusSeeOther)
	}
}

// plan: n equal monthly installments from a first date; inside the
// policy's bounds (count, smallest installment, last date) it is accepted
// at once, else it goes to the collector.

func (p *Portal) doPlan(ctx context.Context, r *http.Request, s *session) (string, error) {
	key, err := nonce(r)
	if err != nil {
		return "", err
	}
	inv, err := p.ownInvoice(r, s, r.FormValue("invoice"))
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.FormValue("count")))
	if err != nil || n < 2 || n > 36 {
		return "", bad("un échéancier compte de 2 à 36 échéances.", "a plan has 2 to 36 installments.")
	}
	first, err := parseDate(r.FormValue("first"))
	if err != nil {
		return "", err
	}
	rules, err := store.PortalRulesOfInvoice(ctx, p.Store.Pool, inv.ID)
	if err != nil {
		return "", err
	}
	today := p.today()
	last := first.AddDate(0, n-1, 0)
	switch {
	case first.Before(today):
		return "", bad("la première échéance est passée.", "the first installment is in the past.")
	case last.After(today.AddDate(0, 0, rules.MaxRequestDays)):
		return "", bad(fmt.Sprintf("la dernière échéance ne peut dépasser %d jours.", rules.MaxRequestDays),
			fmt.Sprintf("the last installment cannot be more than %d days away.", rules.MaxRequestDays))
	}
	balance := inv.BalanceCents
	if row, err := store.GetCaseRow(ctx, p.Store.Pool, inv.ID, today); err == nil {
		balance = row.BalanceCents
	}
	each := balance / int64(n)
	if each <= 0 {
		return "", bad("le reste dû est trop faible pour un échéancier.", "the amount left is too small for a plan.")
	}
	upd := domain.PlanUpdate{ID: derivedID("pl_", inv.ID, "portal", key)}
	view := store.PlanView{ID: upd.ID, InvoiceID: inv.ID, CreatedBy: "portal:" + s.Link.ID}
	var dates []string
	for i := range n {
		amount := each
		if i == n-1 {
			amount = balance - each*int64(n-1)
		}
		due := first.AddDate(0, i, 0)
		upd.Installments = append(upd.Installments, domain.Installment{DueDate: endOfDay(due), AmountCents: amount})
		view.Installments = append(view.Installments, store.InstallmentView{Seq: i + 1, DueDate: due.Format("2006-01-02"), AmountCents: amount})
		dates = append(dates, due.Format("2006-01-02"))
	}
	money := domain.NewMoney(balance, inv.Currency)
	if n > rules.MaxInstallments || each < rules.MinInstallmentCents || last.After(today.AddDate(0, 0, rules.MaxPlanDays)) {
		err := p.collectorTask(ctx, s, inv, "portal:"+s.Link.ID+":plan:"+key, "plan",
			map[string]any{"installments": n, "first": first.Format("2006-01-02"), "balance_cents": balance, "currency": inv.Currency},
			fmt.Sprintf("plan of %d installments for %s asked through the portal, outside the bounds accepted at once", n, money.FormatFR()))
		if err != nil {
			return "", err
		}
		return "plan_task", nil
	}
	err = p.updateCase(ctx, s, inv, "portal.plan", domain.UpdatePlan, "plan:"+inv.ID+":portal:"+key, upd,
		func(tx pgx.Tx) error { return store.RecordPlan(ctx, tx, view) },
		store.DisputeEvent{Key: "portal:plan:" + upd.ID, InvoiceID: inv.ID, DebtorID: s.Debtor.ID, Kind: "portal_plan",
			Message: fmt.Sprintf("plan of %d installments for %s set up through the portal", n, money.FormatFR()),
			Data:    map[string]any{"plan_id": upd.ID, "dates": dates}, At: p.Now()})
	if err != nil {
		return "", err
	}
	return "plan", nil
}
