package workflows

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"log/slog"
	"os"

	"go.temporal.io/sdk/activity"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/relance/relance/internal/domain"
)

// due is the test invoice's due date (a Tuesday, no holiday near).
var due = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

const invoiceID = "inv-1"

// fakeActs stands in for the case and channel activities, registered under
// their real names, and remembers every call.
type fakeActs struct {
	mu       sync.Mutex
	facts    domain.CaseFacts
	records  []domain.CaseRecord
	contacts []domain.ContactCheckInput
	sends    []domain.SendInput
	tasks    []domain.CallTaskInput
	handoffs []domain.HandoffInput
	closes   []domain.CloseTasksInput
	// contact and send decide per call; nil allows / sends.
	contact func(domain.ContactCheckInput) domain.ContactDecision
	send    func(domain.SendInput) domain.SendResult
	// during runs inside SendMessage (to race a message against a send).
	during func(domain.SendInput)
	// duringHandoff runs inside HandOffToAgency (to race a message against the handoff).
	duringHandoff func()
	// legacyChannels makes ActOnRung apply the contact rules only, as with
	// a worker whose case activities have no channels wired.
	legacyChannels bool
}

func newFakes(policy domain.Policy) *fakeActs {
	return &fakeActs{facts: domain.CaseFacts{
		InvoiceID: invoiceID, InvoiceNumber: "F-2026-0042", DebtorID: "deb-1", Currency: "EUR",
		AmountCents: 123456, BalanceCents: 123456, DueDate: due, Segment: "standard", RiskRating: "medium",
		CollectorID: "col-1", Policy: policy,
	}}
}

func (f *fakeActs) LoadCase(in domain.LoadCaseInput) (domain.CaseFacts, error) {
	if in.InvoiceID != invoiceID {
		return domain.CaseFacts{}, fmt.Errorf("unknown invoice %s", in.InvoiceID)
	}
	return f.facts, nil
}

func (f *fakeActs) RecordCase(r domain.CaseRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = append(f.records, r)
	if r.CloseTasks != "" { // the projection write closes the call tasks
		f.closes = append(f.closes, domain.CloseTasksInput{InvoiceID: r.InvoiceID, Reason: r.CloseTasks})
	}
	return nil
}

func (f *fakeActs) CheckContact(in domain.ContactCheckInput) (domain.ContactDecision, error) {
	f.mu.Lock()
	f.contacts = append(f.contacts, in)
	decide := f.contact
	f.mu.Unlock()
	if decide != nil {
		return decide(in), nil
	}
	return domain.ContactDecision{Allowed: true}, nil
}

func (f *fakeActs) SendMessage(in domain.SendInput) (domain.SendResult, error) {
	f.mu.Lock()
	f.sends = append(f.sends, in)
	send, during := f.send, f.during
	f.mu.Unlock()
	if during != nil {
		during(in)
	}
	if send != nil {
		return send(in), nil
	}
	return domain.SendResult{InteractionID: "ix-" + in.IdempotencyKey, Sent: true}, nil
}

func (f *fakeActs) CreateCallTask(in domain.CallTaskInput) (domain.CallTaskResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks = append(f.tasks, in)
	return domain.CallTaskResult{TaskID: fmt.Sprintf("task-%d", len(f.tasks)), CollectorID: "col-1"}, nil
}

func (f *fakeActs) CloseTasks(in domain.CloseTasksInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes = append(f.closes, in)
	return nil
}

func (f *fakeActs) HandOffToAgency(in domain.HandoffInput) (domain.HandoffResult, error) {
	f.mu.Lock()
	f.handoffs = append(f.handoffs, in)
	during := f.duringHandoff
	f.mu.Unlock()
	if during != nil {
		during()
	}
	return domain.HandoffResult{HandoffID: "ho-1", Reference: "AG-1"}, nil
}

// ActOnRung mirrors activities.CaseActivities.ActOnRung over the fakes.
func (f *fakeActs) ActOnRung(in domain.RungActionInput) (domain.RungActionResult, error) {
	res := domain.RungActionResult{Contact: domain.ContactDecision{Allowed: true}}
	if in.Handoff == nil {
		dec, err := f.CheckContact(in.Contact)
		if err != nil {
			return res, err
		}
		res.Contact = dec
	}
	if !res.Contact.Allowed || f.legacyChannels {
		return res, nil
	}
	switch {
	case in.Send != nil:
		s, err := f.SendMessage(*in.Send)
		if err != nil {
			return res, err
		}
		res.Send = &s
	case in.CallTask != nil:
		t, err := f.CreateCallTask(*in.CallTask)
		if err != nil {
			return res, err
		}
		res.CallTask = &t
	case in.Handoff != nil:
		h, err := f.HandOffToAgency(*in.Handoff)
		if err != nil {
			return res, err
		}
		res.Handoff = &h
	}
	res.Acted = true
	if in.Done != nil && res.IsDone() {
		if err := f.RecordCase(in.DoneRecord(res)); err != nil {
			return res, err
		}
		res.Recorded = true
	}
	return res, nil
}

func (f *fakeActs) register(env *testsuite.TestWorkflowEnvironment) {
	for name, fn := range map[string]any{
		domain.ActivityLoadCase: f.LoadCase, domain.ActivityRecordCase: f.RecordCase,
		domain.ActivityCheckContact: f.CheckContact, domain.ActivitySendMessage: f.SendMessage,
		domain.ActivityCreateCallTask: f.CreateCallTask, domain.ActivityCloseTasks: f.CloseTasks,
		domain.ActivityHandOffToAgency: f.HandOffToAgency, domain.ActivityActOnRung: f.ActOnRung,
	} {
		env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
}

func (f *fakeActs) sentRungs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.sends {
		out = append(out, s.Rung+"/"+string(s.Channel))
	}
	return out
}

func (f *fakeActs) kinds() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.records {
		if r.Event != nil {
			out = append(out, r.Event.Kind)
		}
		for _, e := range r.More {
			out = append(out, e.Event.Kind)
		}
	}
	return out
}

func (f *fakeActs) lastRecord() domain.CaseRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records[len(f.records)-1]
}

// caseTest runs one case in the SDK test environment with time skipping.
type caseTest struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	fakes *fakeActs
}

func newCaseTest(t *testing.T, policy domain.Policy, start time.Time) *caseTest {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.SetTestTimeout(30 * time.Second)
	env.RegisterWorkflowWithOptions(CollectionCase, workflow.RegisterOptions{Name: "CollectionCase"})
	f := newFakes(policy)
	f.register(env)
	return &caseTest{t: t, env: env, fakes: f}
}

// at runs fn when the workflow clock reaches t.
func (c *caseTest) at(t time.Time, fn func()) {
	c.t.Helper()
	c.env.RegisterDelayedCallback(fn, t.Sub(c.env.Now()))
}

// update sends an update and expects it accepted; it returns the state.
func (c *caseTest) update(name string, arg any) {
	c.t.Helper()
	c.env.UpdateWorkflow(name, fmt.Sprintf("%s-%v", name, c.env.Now().UnixNano()), &testsuite.TestUpdateCallback{
		OnReject: func(err error) { c.t.Errorf("update %s rejected: %v", name, err) },
		OnAccept: func() {},
		OnComplete: func(_ any, err error) {
			if err != nil {
				c.t.Errorf("update %s failed: %v", name, err)
			}
		},
	}, arg)
}

// outcome sends an update and stores how it ended in *got once the
// workflow has processed it (nil error: accepted and completed).
func (c *caseTest) outcome(name, id string, arg any, got *error, done *bool) {
	c.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnReject:   func(err error) { *got, *done = err, true },
		OnAccept:   func() {},
		OnComplete: func(_ any, err error) { *got, *done = err, true },
	}, arg)
}

func (c *caseTest) state() domain.CaseState {
	c.t.Helper()
	v, err := c.env.QueryWorkflow(domain.QueryState)
	if err != nil {
		c.t.Fatalf("query state: %v", err)
	}
	var st domain.CaseState
	if err := v.Get(&st); err != nil {
		c.t.Fatal(err)
	}
	return st
}

func (c *caseTest) run(in domain.CaseInput) domain.CaseResult {
	c.t.Helper()
	c.env.ExecuteWorkflow("CollectionCase", in)
	if !c.env.IsWorkflowCompleted() {
		c.t.Fatal("workflow did not complete")
	}
	if err := c.env.GetWorkflowError(); err != nil {
		c.t.Fatalf("workflow failed: %v", err)
	}
	var res domain.CaseResult
	if err := c.env.GetWorkflowResult(&res); err != nil {
		c.t.Fatal(err)
	}
	return res
}

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func pay(id string, cents int64) domain.PaymentUpdate {
	return domain.PaymentUpdate{ID: id, AmountCents: cents, Currency: "EUR", Source: "test"}
}

// endByAgency closes a handed-over case so the test workflow completes.
func (c *caseTest) endByAgency(at time.Time) {
	c.at(at, func() {
		c.env.SignalWorkflow(domain.SignalAgencyReport, domain.AgencyReport{EventID: "ag-close", Status: domain.StatusWrittenOff, Note: "closed"})
	})
}
