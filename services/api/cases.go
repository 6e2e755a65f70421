package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// CaseList is a page of cases; NextCursor is empty on the last page.
type CaseList struct {
	Items      []store.CaseRow `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

const (
	defaultLimit = 50
	maxLimit     = 500
)

func queryInt(c *gin.Context, name string, min int64) (*int64, bool) {
	v := c.Query(name)
	if v == "" {
		return nil, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min {
		invalid(c, name, fmt.Sprintf("must be an integer of at least %d", min))
		return nil, false
	}
	return &n, true
}

func queryLimit(c *gin.Context) (int, bool) {
	n, ok := queryInt(c, "limit", 1)
	if !ok {
		return 0, false
	}
	if n == nil {
		return defaultLimit, true
	}
	return int(min(*n, maxLimit)), true
}

func (a *API) listCases(c *gin.Context) {
	f := store.CaseFilter{
		Today: a.today(), Status: c.Query("status"), Stage: c.Query("stage"),
		CollectorID: c.Query("collector"), Segment: c.Query("segment"), DebtorID: c.Query("debtor_id"),
	}
	if tok := tokenauth.Token(c); tok.Role == store.RoleCollector {
		f.Portfolio = tok.CollectorID
	}
	var ok bool
	if f.MinBalance, ok = queryInt(c, "min_amount", 0); !ok {
		return
	}
	if f.MaxBalance, ok = queryInt(c, "max_amount", 0); !ok {
		return
	}
	days, ok := queryInt(c, "min_days_overdue", -100_000)
	if !ok {
		return
	}
	if days != nil && *days > 100_000 {
		invalid(c, "min_days_overdue", "must be at most 100000")
		return
	}
	if days != nil {
		d := int(*days)
		f.MinDaysOverdue = &d
	}
	if f.Limit, ok = queryLimit(c); !ok {
		return
	}
	if cur := c.Query("cursor"); cur != "" {
		var cc store.CaseCursor
		raw, err := base64.RawURLEncoding.DecodeString(cur)
		if err != nil || json.Unmarshal(raw, &cc) != nil || cc.InvoiceID == "" {
			invalid(c, "cursor", "is not a cursor this API returned")
			return
		}
		if _, err := time.Parse(intake.DateLayout, cc.DueDate); err != nil {
			invalid(c, "cursor", "is not a cursor this API returned")
			return
		}
		f.After = &cc
	}
	// One more than asked tells whether another page exists.
	want := f.Limit
	f.Limit++
	rows, err := store.ListCases(c.Request.Context(), a.Store.Pool, f)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := CaseList{Items: rows}
	if len(rows) > want {
		out.Items = rows[:want]
		last := out.Items[want-1]
		raw, _ := json.Marshal(store.CaseCursor{DueDate: last.DueDate, InvoiceID: last.InvoiceID})
		out.NextCursor = base64.RawURLEncoding.EncodeToString(raw)
	}
	if out.Items == nil {
		out.Items = []store.CaseRow{}
	}
	c.JSON(http.StatusOK, out)
}

// CaseDetail is a case's projection, invoice, tasks and timeline.
type CaseDetail struct {
	Case     store.CaseRow         `json:"case"`
	Invoice  store.Invoice         `json:"invoice"`
	Tasks    []store.WorkItem      `json:"tasks"`
	Timeline []store.TimelineEntry `json:"timeline"`
}

func (a *API) getCase(c *gin.Context) {
	inv, _, ok := a.invoiceInScope(c, c.Param("id"))
	if !ok {
		return
	}
	ctx, q, today := c.Request.Context(), a.Store.Pool, a.today()
	row, err := store.GetCaseRow(ctx, q, inv.ID, today)
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, "case")
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	tl, err := store.CaseTimeline(ctx, q, inv.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	tasks, err := store.TasksOfDebtor(ctx, q, inv.DebtorID, today)
	if err != nil {
		a.fail(c, err)
		return
	}
	mine := []store.WorkItem{}
	for _, t := range tasks {
		if t.InvoiceID == inv.ID {
			mine = append(mine, t)
		}
	}
	c.JSON(http.StatusOK, CaseDetail{Case: row, Invoice: inv, Tasks: mine, Timeline: tl})
}

// --- actions ---

// DateOrTime is a calendar date (2026-04-30, meaning the end of that day
// in Paris) or an RFC 3339 instant.
type DateOrTime string

// Resolve returns the instant, or a reason it is not one.
func (d DateOrTime) Resolve() (time.Time, bool) {
	s := strings.TrimSpace(string(d))
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation(intake.DateLayout, s, paris); err == nil {
		return t.Add(24*time.Hour - time.Second), true
	}
	return time.Time{}, false
}

// future parses a DateOrTime that must be after now and at most
// domain.MaxDateAhead ahead; it answers 422 naming field otherwise.
func (a *API) future(c *gin.Context, field string, d DateOrTime) (time.Time, bool) {
	return a.futureWithin(c, field, d, domain.MaxDateAhead.Std())
}

// futureWithin is future with its own horizon.
func (a *API) futureWithin(c *gin.Context, field string, d DateOrTime, horizon time.Duration) (time.Time, bool) {
	if d == "" {
		invalid(c, field, "is required")
		return time.Time{}, false
	}
	t, ok := d.Resolve()
	if !ok {
		invalid(c, field, "must be a date (2026-04-30) or an RFC 3339 time")
		return time.Time{}, false
	}
	if !t.After(a.now()) {
		invalid(c, field, "is in the past")
		return time.Time{}, false
	}
	if t.After(a.now().Add(horizon)) {
		invalid(c, field, fmt.Sprintf("is more than %d days ahead", int(horizon/(24*time.Hour))))
		return time.Time{}, false
	}
	return t, true
}

// reasonOK answers 422 when a required reason is blank or too long.
func reasonOK(c *gin.Context, field, reason string, required bool) bool {
	switch {
	case required && strings.TrimSpace(reason) == "":
		invalid(c, field, "is required")
		return false
	case len(reason) > domain.MaxReasonLen:
		invalid(c, field, fmt.Sprintf("is longer than %d bytes", domain.MaxReasonLen))
		return false
	}
	return true
}

// caseAction is the common path of every action: check scope, run the
// update with an ID derived from the Idempotency-Key, then record the
// audit line (and any rows) in one transaction and answer the new state.
func (a *API) caseAction(c *gin.Context, inv store.Invoice, action, updateName string, arg any,
	record func(tx pgx.Tx, st domain.CaseState) error, key string) {
	ctx := c.Request.Context()
	st, err := a.Cases.Update(ctx, inv.ID, updateName, updateName+":"+inv.ID+":"+key, arg)
	if err != nil {
		a.caseFailed(c, err)
		return
	}
	err = a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if record != nil {
			if err := record(tx, st); err != nil {
				return err
			}
		}
		return auditCase(ctx, tx, tokenauth.Actor(c), action, inv.ID, nil, arg, &st)
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// openInvoice loads the invoice of a case action; a finished invoice is a 409.
func (a *API) caseInvoice(c *gin.Context) (store.Invoice, string, bool) {
	inv, _, ok := a.invoiceInScope(c, c.Param("id"))
	if !ok {
		return inv, "", false
	}
	key, ok := idempotencyKey(c)
	return inv, key, ok
}

// PromiseRequest records a promise to pay AmountCents by Date.
type PromiseRequest struct {
	AmountCents int64      `json:"amount_cents"`
	Date        DateOrTime `json:"date"`
}

func (a *API) promise(c *gin.Context) {
	inv, key, ok := a.caseInvoice(c)
	if !ok {
		return
	}
	var req PromiseRequest
	if !decode(c, &req) {
		return
	}
	if req.AmountCents <= 0 {
		invalid(c, "amount_cents", "must be greater than zero")
		return
	}
	date, ok := a.future(c, "date", req.Date)
	if !ok {
		return
	}
	id := derivedID("pr_", inv.ID, key)
	a.caseAction(c, inv, "case.promise", domain.UpdatePromise, domain.PromiseUpdate{ID: id, AmountCents: req.AmountCents, Date: date},
		func(tx pgx.Tx, _ domain.CaseState) error {
			return store.RecordPromise(c.Request.Context(), tx, store.PromiseView{ID: id, InvoiceID: inv.ID,
				AmountCents: req.AmountCents, Currency: inv.Currency, PromisedDate: date.In(paris).Format(intake.DateLayout), CreatedBy: taskOwner(c)})
		}, key)
}

// PlanRequest proposes an installment plan for the balance.
type PlanRequest struct {
	Installments []InstallmentRequest `json:"installments"`
}

// InstallmentRequest is one installment of a plan.
type InstallmentRequest struct {
	DueDate     DateOrTime `json:"due_date"`
	AmountCents int64      `json:"amount_cents"`
}

func (a *API) plan(c *gin.Context) {
	inv, key, ok := a.caseInvoice(c)
	if !ok {
		return
	}
	var req PlanRequest
	if !decode(c, &req) {
		return
	}
	if len(req.Installments) < 2 || len(req.Installments) > 36 {
		invalid(c, "installments", "needs 2 to 36 installments")
		return
	}
	balance := inv.BalanceCents
	if row, err := store.GetCaseRow(c.Request.Context(), a.Store.Pool, inv.ID, a.today()); err == nil {
		balance = row.BalanceCents
	}
	var sum int64
	var prev time.Time
	upd := domain.PlanUpdate{ID: derivedID("pl_", inv.ID, key)}
	view := store.PlanView{ID: upd.ID, InvoiceID: inv.ID, CreatedBy: taskOwner(c)}
	for i, in := range req.Installments {
		field := fmt.Sprintf("installments[%d]", i)
		if in.AmountCents <= 0 {
			invalid(c, field+".amount_cents", "must be greater than zero")
			return
		}
		// Bounded by the balance, 36 installments cannot overflow the sum.
		if in.AmountCents > balance {
			invalid(c, field+".amount_cents", fmt.Sprintf("exceeds the balance of %d", balance))
			return
		}
		due, ok := a.future(c, field+".due_date", in.DueDate)
		if !ok {
			return
		}
		if !due.After(prev) {
			invalid(c, field+".due_date", "must come after the previous installment")
			return
		}
		prev = due
		sum += in.AmountCents
		upd.Installments = append(upd.Installments, domain.Installment{DueDate: due, AmountCents: in.AmountCents})
		view.Installments = append(view.Installments, store.InstallmentView{Seq: i + 1, DueDate: due.In(paris).Format(intake.DateLayout), AmountCents: in.AmountCents})
	}
	if sum != balance {
		invalid(c, "installments", fmt.Sprintf("sum to %d but the balance is %d", sum, balance))
		return
	}
	a.caseAction(c, inv, "case.plan", domain.UpdatePlan, upd, func(tx pgx.Tx, _ domain.CaseState) error {
		return store.RecordPlan(c.Request.Context(), tx, view)
	}, key)
}

// HoldRequest pauses a case, until a date or until resumed.
type HoldRequest struct {
	Reason string     `json:"reason"`
	Until  DateOrTime `json:"until,omitempty"`
}

func (a *API) hold(c *gin.Context) {
	inv, key, ok := a.caseInvoice(c)
	if !ok {
		return
	}
	var req HoldRequest
	if !decode(c, &req) {
		return
	}
	if !reasonOK(c, "reason", req.Reason, true) {
		return
	}
	upd := domain.HoldUpdate{Reason: req.Reason}
	if req.Until != "" {
		// A collector holds a case for a year at most; a manager may go further.
		horizon := domain.MaxHoldAhead.Std()
		if role := tokenauth.Token(c).Role; role == store.RoleManager || role == store.RoleAdmin {
			horizon = domain.MaxDateAhead.Std()
		}
		if upd.Until, ok = a.futureWithin(c, "until", req.Until, horizon); !ok {
			return
		}
	}
	a.caseAction(c, inv, "case.hold", domain.UpdateHold, upd, nil, key)
}

func (a *API) reasonAction(c *gin.Context, action, update string) {
	inv, key, ok := a.caseInvoice(c)
	if !ok {
		return
	}
	var req ReasonRequest
	if !decode(c, &req) {
		return
	}
	if !reasonOK(c, "reason", req.Reason, true) {
		return
	}
	a.caseAction(c, inv, action, update, domain.ReasonUpdate{Reason: req.Reason}, nil, key)
}

func (a *API) resume(c *gin.Context)   { a.reasonAction(c, "case.resume", domain.UpdateResume) }
func (a *API) writeOff(c *gin.Context) { a.reasonAction(c, "case.write_off", domain.UpdateWriteOff) }

// ReassignRequest gives a case to another collector.
type ReassignRequest struct {
	CollectorID string `json:"collector_id"`
}

func (a *API) reassign(c *gin.Context) {
	inv, key, ok := a.caseInvoice(c)
	if !ok {
		return
	}
	var req ReassignRequest
	if !decode(c, &req) {
		return
	}
	if req.CollectorID == "" {
		invalid(c, "collector_id", "is required")
		return
	}
	exists, err := store.CollectorExists(c.Request.Context(), a.Store.Pool, req.CollectorID)
	if err != nil {
		a.fail(c, err)
		return
	}
	if !exists {
		invalid(c, "collector_id", fmt.Sprintf("unknown collector %q", req.CollectorID))
		return
	}
	a.caseAction(c, inv, "case.reassign", domain.UpdateReassign, domain.ReassignUpdate{CollectorID: req.CollectorID},
		func(tx pgx.Tx, _ domain.CaseState) error {
			return store.ReassignOpenTasks(c.Request.Context(), tx, inv.ID, req.CollectorID)
		}, key)
}

// NoteRequest adds a note to the case timeline.
type NoteRequest struct {
	Text string `json:"text"`
}

// NoteResponse is the note's place on the timeline.
type NoteResponse struct {
	InvoiceID string `json:"invoice_id"`
	Added     bool   `json:"added"` // false when this Idempotency-Key already added it
}

// note only writes the timeline: a note does not change the case's course.
func (a *API) note(c *gin.Context) {
	inv, key, ok := a.caseInvoice(c)
	if !ok {
		return
	}
	var req NoteRequest
	if !decode(c, &req) {
		return
	}
	text := strings.TrimSpace(req.Text)
	if text == "" || len(text) > 4000 {
		invalid(c, "text", "must hold 1 to 4000 bytes")
		return
	}
	ctx := c.Request.Context()
	var added bool
	err := a.Store.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		added, err = store.AddNote(ctx, tx, "note:"+inv.ID+":"+key, inv.ID, inv.DebtorID, taskOwner(c), text, a.now())
		if err != nil || !added {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "case.note", Entity: "case", EntityID: inv.ID, After: req})
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	status := http.StatusCreated
	if !added {
		status = http.StatusOK
	}
	c.JSON(status, NoteResponse{InvoiceID: inv.ID, Added: added})
}
