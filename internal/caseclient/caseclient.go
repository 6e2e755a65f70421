// Package caseclient is the typed client of the collection workflow: every
// process that starts a case, changes its course or reads its state goes
// through it, so workflow IDs, update IDs and error mapping live in one place.
package caseclient

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/temporalx"
)

var (
	// ErrCaseClosed is returned for an update on a case that has ended.
	ErrCaseClosed = errors.New("case is closed")
	// ErrCaseNotFound is returned when no case exists for the invoice.
	ErrCaseNotFound = errors.New("no case for this invoice")
)

// RejectedError is a validator's refusal: nothing changed on the case.
// Field is empty when the reason is not about one field.
type RejectedError struct {
	Field  string
	Reason string
}

func (e *RejectedError) Error() string {
	if e.Field == "" {
		return "rejected: " + e.Reason
	}
	return fmt.Sprintf("rejected: %s: %s", e.Field, e.Reason)
}

// Is makes errors.Is(err, ErrCaseClosed) true for a rejection caused by a
// closed case, so callers can test either way.
func (e *RejectedError) Is(target error) bool {
	return target == ErrCaseClosed && e.Field == "" && e.Reason == ErrCaseClosed.Error()
}

// closedError is the rejection of any change to a finished case.
func closedError() error { return &RejectedError{Reason: ErrCaseClosed.Error()} }

// Client starts and drives collection cases.
type Client struct {
	Temporal  client.Client
	TaskQueue string
}

// Attributes are the non-personal facts the intake already knows; set as
// typed search attributes at start so the workflow need not upsert them.
type Attributes struct {
	CustomerID     string
	InvoiceNumber  string
	Segment        string
	AmountDueCents int64
	Collector      string
}

// StartRequest is the full form of Start.
type StartRequest struct {
	InvoiceID string
	// Summary is shown in the Temporal UI ("F-2026-0042 · 1 234,56 € · standard-b2b"):
	// no personal data. Cut to 200 bytes.
	Summary    string
	Attributes Attributes
}

// Start starts the case idempotently and returns its state once the case
// has loaded its facts. Calling it twice never makes two cases.
func (c *Client) Start(ctx context.Context, invoiceID string, summary string) (domain.CaseState, error) {
	return c.StartCase(ctx, StartRequest{InvoiceID: invoiceID, Summary: summary})
}

// startOptions start a case at most once per invoice.
func (c *Client) startOptions(req StartRequest) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       temporalx.CaseWorkflowID(req.InvoiceID),
		TaskQueue:                c.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// A finished case stays finished: importing a paid invoice again
		// must not start a second case.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		StaticSummary:         truncate(req.Summary, 200),
		TypedSearchAttributes: initialAttributes(req.Attributes),
	}
}

// EnsureStarted starts the case unless it runs or ran already, and returns
// as soon as Temporal has recorded the start, without waiting for a worker
// to pick it up. Bulk intake uses it: a thousand-line import then costs a
// thousand start calls, not a thousand round trips through the worker.
func (c *Client) EnsureStarted(ctx context.Context, req StartRequest) error {
	if req.InvoiceID == "" {
		return &RejectedError{Field: "invoice_id", Reason: "is required"}
	}
	_, err := c.Temporal.ExecuteWorkflow(ctx, c.startOptions(req), temporalx.CaseWorkflowType, domain.CaseInput{InvoiceID: req.InvoiceID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // the case ran and ended: nothing to start
	}
	if err != nil {
		return fmt.Errorf("start case %s: %w", temporalx.CaseWorkflowID(req.InvoiceID), err)
	}
	return nil
}

// StartCase is Start with initial search attributes.
func (c *Client) StartCase(ctx context.Context, req StartRequest) (domain.CaseState, error) {
	if req.InvoiceID == "" {
		return domain.CaseState{}, &RejectedError{Field: "invoice_id", Reason: "is required"}
	}
	id := temporalx.CaseWorkflowID(req.InvoiceID)
	op := c.Temporal.NewWithStartWorkflowOperation(c.startOptions(req), temporalx.CaseWorkflowType, domain.CaseInput{InvoiceID: req.InvoiceID})
	handle, err := c.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID: id,
			UpdateName: domain.UpdateStart,
			// No fixed UpdateID: the start update changes nothing, and a
			// fixed one would replay the first answer (a stale state) forever.
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			// The case ran and ended: its last state is still queryable.
			return c.State(ctx, req.InvoiceID)
		}
		return domain.CaseState{}, fmt.Errorf("start case %s: %w", id, err)
	}
	var st domain.CaseState
	if err := handle.Get(ctx, &st); err != nil {
		return domain.CaseState{}, c.mapError(ctx, req.InvoiceID, fmt.Errorf("start case %s", id), err)
	}
	return st, nil
}

func initialAttributes(a Attributes) temporal.SearchAttributes {
	updates := []temporal.SearchAttributeUpdate{temporalx.CaseStatus.ValueSet(string(domain.StatusActive))}
	for key, v := range map[temporal.SearchAttributeKeyKeyword]string{
		temporalx.CustomerID: a.CustomerID, temporalx.InvoiceNumber: a.InvoiceNumber,
		temporalx.Segment: a.Segment, temporalx.Collector: a.Collector,
	} {
		if v != "" {
			updates = append(updates, key.ValueSet(v))
		}
	}
	if a.AmountDueCents > 0 {
		updates = append(updates, temporalx.AmountDueCents.ValueSet(a.AmountDueCents))
	}
	return temporal.NewSearchAttributes(updates...)
}

// Update runs a validated update and waits for its result. updateID makes
// it idempotent: the same ID applied twice changes the case once.
func (c *Client) Update(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error) {
	id := temporalx.CaseWorkflowID(invoiceID)
	handle, err := c.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   id,
		UpdateName:   name,
		UpdateID:     updateID,
		Args:         []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	prefix := fmt.Errorf("update %s on %s", name, id)
	if err != nil {
		return domain.CaseState{}, c.mapError(ctx, invoiceID, prefix, err)
	}
	var st domain.CaseState
	if err := handle.Get(ctx, &st); err != nil {
		return domain.CaseState{}, c.mapError(ctx, invoiceID, prefix, err)
	}
	return st, nil
}

// Reopen runs an update on the case of an invoice owed again after its
// case ended (a refund or a chargeback of the payment that settled it):
// when the case still runs the update goes to it, else a new run starts
// under the same workflow ID with the update as its first message.
//
// Starts elsewhere use REJECT_DUPLICATE so that importing a settled
// invoice again never restarts its case; only the ledger, which knows the
// invoice is owed again, may start a second run, hence ALLOW_DUPLICATE
// here (ALLOW_DUPLICATE_FAILED_ONLY would refuse a case that ended paid).
func (c *Client) Reopen(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error) {
	opts := c.startOptions(StartRequest{InvoiceID: invoiceID, Summary: "reopened: owed again"})
	opts.WorkflowIDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	id := temporalx.CaseWorkflowID(invoiceID)
	op := c.Temporal.NewWithStartWorkflowOperation(opts, temporalx.CaseWorkflowType, domain.CaseInput{InvoiceID: invoiceID})
	handle, err := c.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: name, UpdateID: updateID, Args: []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	prefix := fmt.Errorf("reopen %s with %s", id, name)
	if err != nil {
		return domain.CaseState{}, c.mapError(ctx, invoiceID, prefix, err)
	}
	var st domain.CaseState
	if err := handle.Get(ctx, &st); err != nil {
		return domain.CaseState{}, c.mapError(ctx, invoiceID, prefix, err)
	}
	return st, nil
}

// Signal sends a fire-and-forget message to the running case.
func (c *Client) Signal(ctx context.Context, invoiceID, name string, arg any) error {
	id := temporalx.CaseWorkflowID(invoiceID)
	if err := c.Temporal.SignalWorkflow(ctx, id, "", name, arg); err != nil {
		return c.mapError(ctx, invoiceID, fmt.Errorf("signal %s on %s", name, id), err)
	}
	return nil
}

// State returns the case state through the workflow's query (also for a
// finished case, within the namespace's retention).
func (c *Client) State(ctx context.Context, invoiceID string) (domain.CaseState, error) {
	id := temporalx.CaseWorkflowID(invoiceID)
	v, err := c.Temporal.QueryWorkflow(ctx, id, "", domain.QueryState)
	if err != nil {
		return domain.CaseState{}, c.mapError(ctx, invoiceID, fmt.Errorf("query state of %s", id), err)
	}
	var st domain.CaseState
	if err := v.Get(&st); err != nil {
		return domain.CaseState{}, fmt.Errorf("decode state of %s: %w", id, err)
	}
	return st, nil
}

// mapError turns Temporal errors into the client's errors.
func (c *Client) mapError(ctx context.Context, invoiceID string, prefix, err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		switch app.Type() {
		case domain.ErrTypeCaseClosed:
			return closedError()
		case domain.ErrTypeRejected:
			var fe domain.FieldError
			if app.HasDetails() && app.Details(&fe) == nil {
				return &RejectedError{Field: fe.Field, Reason: fe.Reason}
			}
			return &RejectedError{Reason: app.Message()}
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		// The same error covers "never started" and "already completed".
		closed, derr := c.closed(ctx, invoiceID)
		if derr == nil && closed {
			return closedError()
		}
		return fmt.Errorf("%w: %w", prefix, ErrCaseNotFound)
	}
	return fmt.Errorf("%w: %w", prefix, err)
}

func (c *Client) closed(ctx context.Context, invoiceID string) (bool, error) {
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, temporalx.CaseWorkflowID(invoiceID), "")
	if err != nil {
		return false, err
	}
	return desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && (s[n]&0xC0) == 0x80 {
		n--
	}
	return s[:n]
}
