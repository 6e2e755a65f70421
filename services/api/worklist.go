package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// Worklist is the tasks due now, highest priority first.
type Worklist struct {
	Items []store.WorkItem `json:"items"`
}

// worklist lists the caller's tasks due now; a manager sees everyone's, or
// one collector's with ?collector=.
func (a *API) worklist(c *gin.Context) {
	limit, ok := queryLimit(c)
	if !ok {
		return
	}
	f := store.WorklistFilter{Now: a.now(), Today: a.today(), Limit: limit, CollectorID: c.Query("collector")}
	if tok := tokenauth.Token(c); tok.Role == store.RoleCollector {
		f.CollectorID, f.ClaimedBy = tok.CollectorID, tok.CollectorID
	}
	items, err := store.Worklist(c.Request.Context(), a.Store.Pool, f)
	if err != nil {
		a.fail(c, err)
		return
	}
	if items == nil {
		items = []store.WorkItem{}
	}
	c.JSON(http.StatusOK, Worklist{Items: items})
}

// taskInScope loads a task the caller may work: a collector only their own
// (or an unassigned one of their portfolio).
func (a *API) taskInScope(c *gin.Context) (store.WorkItem, bool) {
	t, err := store.GetWorkItem(c.Request.Context(), a.Store.Pool, c.Param("id"), a.today())
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, "task")
		return t, false
	}
	if err != nil {
		a.fail(c, err)
		return t, false
	}
	if tok := tokenauth.Token(c); tok.Role == store.RoleCollector {
		mine := t.CollectorID == tok.CollectorID || (t.CollectorID == "" && t.DebtorPortfolio == tok.CollectorID)
		if !mine {
			notFound(c, "task")
			return t, false
		}
	}
	return t, true
}

func (a *API) claimTask(c *gin.Context) {
	t, ok := a.taskInScope(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	err := a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.ClaimTask(ctx, tx, t.TaskID, taskOwner(c)); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "task.claim", Entity: "task", EntityID: t.TaskID,
			Before: map[string]string{"status": t.Status, "claimed_by": t.ClaimedBy}, After: map[string]string{"status": "claimed", "claimed_by": taskOwner(c)}})
	})
	if errors.Is(err, store.ErrTaskTaken) {
		problem(c, httpx.NewProblem(http.StatusConflict, "the task is claimed by someone else or closed"))
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	a.answerTask(c, t.TaskID)
}

func (a *API) answerTask(c *gin.Context, id string) {
	t, err := store.GetWorkItem(c.Request.Context(), a.Store.Pool, id, a.today())
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

// RescheduleRequest moves a task's due time (not past its deadline).
type RescheduleRequest struct {
	DueAt DateOrTime `json:"due_at"`
}

func (a *API) rescheduleTask(c *gin.Context) {
	t, ok := a.taskInScope(c)
	if !ok {
		return
	}
	var req RescheduleRequest
	if !decode(c, &req) {
		return
	}
	due, ok := a.future(c, "due_at", req.DueAt)
	if !ok {
		return
	}
	if due.After(t.DeadlineAt) {
		invalid(c, "due_at", "is after the task's deadline "+t.DeadlineAt.Format(time.RFC3339))
		return
	}
	ctx := c.Request.Context()
	err := a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := store.RescheduleTask(ctx, tx, t.TaskID, due); err != nil {
			return err
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "task.reschedule", Entity: "task", EntityID: t.TaskID,
			Before: map[string]time.Time{"due_at": t.DueAt}, After: map[string]time.Time{"due_at": due}})
	})
	if errors.Is(err, store.ErrTaskTaken) {
		problem(c, httpx.NewProblem(http.StatusConflict, "the task is closed"))
		return
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	a.answerTask(c, t.TaskID)
}

// CompleteRequest is how a call ended. Promise is required for the
// promise outcome, Dispute for dispute, CallbackAt for callback.
type CompleteRequest struct {
	Outcome    domain.CallOutcome `json:"outcome"`
	Note       string             `json:"note,omitempty"`
	CallbackAt DateOrTime         `json:"callback_at,omitempty"`
	Promise    *PromiseRequest    `json:"promise,omitempty"`
	Dispute    *DisputeRequest    `json:"dispute,omitempty"`
}

// DisputeRequest opens a dispute from a call; AmountCents 0 disputes the whole balance.
type DisputeRequest struct {
	AmountCents int64  `json:"amount_cents"`
	Reason      string `json:"reason"`
}

// CompleteResponse is the task and its case after the outcome.
type CompleteResponse struct {
	Task store.WorkItem   `json:"task"`
	Case domain.CaseState `json:"case"`
}

// completeTask drives the case with the call's outcome (update ID
// "task:<id>", so a retry applies once), then records it on the task row.
// completionUpdateID names a task's completion for the case. The outcome
// is part of it: two collectors completing one task at once with different
// outcomes send two updates, the case applies the first and refuses the
// other (its task is no longer open), and only the first is written to the
// task row; the same completion retried is deduplicated.
func completionUpdateID(taskID string, outcome domain.CallOutcome) string {
	return "task:" + taskID + ":" + string(outcome)
}

func (a *API) completeTask(c *gin.Context) {
	t, ok := a.taskInScope(c)
	if !ok {
		return
	}
	var req CompleteRequest
	if !decode(c, &req) {
		return
	}
	if t.Status != "open" && t.Status != "claimed" && t.Status != "done" {
		problem(c, httpx.NewProblem(http.StatusConflict, "the task is "+t.Status+": nothing was changed"))
		return
	}
	// The case keeps the first outcome of "task:<id>" (the update is
	// deduplicated): another outcome on a done task would contradict it.
	if t.Status == "done" && t.Outcome != string(req.Outcome) {
		problem(c, httpx.NewProblem(http.StatusConflict, "the task was completed as "+t.Outcome+": nothing was changed"))
		return
	}
	if t.Status == "claimed" && t.ClaimedBy != taskOwner(c) && tokenauth.Token(c).Role == store.RoleCollector {
		problem(c, httpx.NewProblem(http.StatusConflict, "the task is claimed by someone else"))
		return
	}
	upd := domain.TaskCompletion{TaskID: t.TaskID, Outcome: req.Outcome, Note: strings.TrimSpace(req.Note)}
	if len(upd.Note) > domain.MaxNoteLen {
		invalid(c, "note", fmt.Sprintf("is longer than %d bytes", domain.MaxNoteLen))
		return
	}
	var promiseRow *store.PromiseView
	switch req.Outcome {
	case domain.OutcomeReached, domain.OutcomeNoAnswer, domain.OutcomeWrongNumber:
	case domain.OutcomePromise:
		if req.Promise == nil {
			invalid(c, "promise", "is required for the promise outcome")
			return
		}
		if req.Promise.AmountCents <= 0 {
			invalid(c, "promise.amount_cents", "must be greater than zero")
			return
		}
		date, ok := a.future(c, "promise.date", req.Promise.Date)
		if !ok {
			return
		}
		upd.Promise = &domain.PromiseUpdate{ID: "pr_task_" + t.TaskID, AmountCents: req.Promise.AmountCents, Date: date}
		promiseRow = &store.PromiseView{ID: upd.Promise.ID, InvoiceID: t.InvoiceID, AmountCents: req.Promise.AmountCents,
			Currency: t.Currency, PromisedDate: date.In(paris).Format(intake.DateLayout), CreatedBy: taskOwner(c)}
	case domain.OutcomeDispute:
		if req.Dispute == nil || strings.TrimSpace(req.Dispute.Reason) == "" {
			invalid(c, "dispute.reason", "is required for the dispute outcome")
			return
		}
		if !reasonOK(c, "dispute.reason", req.Dispute.Reason, true) {
			return
		}
		if req.Dispute.AmountCents < 0 {
			invalid(c, "dispute.amount_cents", "cannot be negative")
			return
		}
		upd.Dispute = &domain.DisputeUpdate{ID: "dp_task_" + t.TaskID, AmountCents: req.Dispute.AmountCents, Reason: req.Dispute.Reason}
	case domain.OutcomeCallback:
		at, ok := a.future(c, "callback_at", req.CallbackAt)
		if !ok {
			return
		}
		upd.CallbackAt = at
	default:
		invalid(c, "outcome", "must be one of reached, promise, dispute, no_answer, wrong_number, callback")
		return
	}
	ctx := c.Request.Context()
	// The collector's note is free text about a person: it stays in
	// Postgres (task row, call interaction) and out of the workflow history.
	toCase := upd
	toCase.Note = ""
	st, err := a.Cases.Update(ctx, t.InvoiceID, domain.UpdateCompleteTask, completionUpdateID(t.TaskID, upd.Outcome), toCase)
	var rej *caseclient.RejectedError
	if errors.As(err, &rej) && rej.Field == "task_id" {
		if t.Status != "done" {
			// Another completion with another outcome reached the case
			// first (or the case closed the task): it keeps that one.
			problem(c, httpx.NewProblem(http.StatusConflict, "the call task is no longer open on the case (completed or closed meanwhile): nothing was changed"))
			return
		}
		// The same completion again, recorded already: answer the case as it is.
		st, err = a.Cases.State(ctx, t.InvoiceID)
	}
	if err != nil {
		a.caseFailed(c, err)
		return
	}
	// A done task had its outcome recorded with the first completion; a
	// retry only answers the case's state.
	err = a.Store.InTx(ctx, func(tx pgx.Tx) error {
		if t.Status == "done" {
			return nil
		}
		var callback *time.Time
		if !upd.CallbackAt.IsZero() {
			callback = &upd.CallbackAt
		}
		if err := store.CompleteTaskRow(ctx, tx, t.TaskID, store.TaskResult{Outcome: string(upd.Outcome), Note: upd.Note, CallbackAt: callback, By: taskOwner(c)}); err != nil {
			return err
		}
		// The call lands on the case timeline and counts toward the weekly contact cap.
		if _, err := store.CompleteCallInteraction(ctx, tx, t.TaskID, string(upd.Outcome), upd.Note, a.now()); err != nil {
			return err
		}
		if promiseRow != nil {
			if err := store.RecordPromise(ctx, tx, *promiseRow); err != nil {
				return err
			}
		}
		return store.Audit(ctx, tx, store.AuditEntry{Actor: tokenauth.Actor(c), Action: "task.complete", Entity: "task", EntityID: t.TaskID,
			Before: map[string]string{"status": t.Status}, After: map[string]any{"request": upd, "case": caseSummary(&st)}})
	})
	if err != nil {
		a.fail(c, err)
		return
	}
	task, err := store.GetWorkItem(ctx, a.Store.Pool, t.TaskID, a.today())
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, CompleteResponse{Task: task, Case: st})
}
