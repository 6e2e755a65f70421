package domain

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Action is what a rung of the ladder does.
type Action string

const (
	ActionReminder         Action = "reminder"          // courtesy reminder before the due date
	ActionCallTask         Action = "call_task"         // a collector calls the debtor
	ActionEmail            Action = "email"             // reminder e-mail
	ActionSMS              Action = "sms"               // reminder text message
	ActionLetter           Action = "letter"            // ordinary letter
	ActionRegisteredLetter Action = "registered_letter" // lettre recommandée (the first is the mise en demeure)
	ActionAgencyHandoff    Action = "agency_handoff"    // hand the claim to a collection agency
)

// Channel is a way to reach a debtor.
type Channel string

const (
	ChannelEmail            Channel = "email"
	ChannelSMS              Channel = "sms"
	ChannelCall             Channel = "call"
	ChannelLetter           Channel = "letter"
	ChannelRegisteredLetter Channel = "registered_letter"
	ChannelAgency           Channel = "agency"
)

// AllChannels lists every channel, in the order consents are shown.
var AllChannels = []Channel{ChannelEmail, ChannelSMS, ChannelCall, ChannelLetter, ChannelRegisteredLetter}

// Anchor says what a step's offset counts from.
type Anchor string

const (
	FromDueDate  Anchor = "due_date"
	FromPrevious Anchor = "previous"
)

// Duration is a time.Duration that reads and writes as text in JSON:
// Go syntax ("90s", "36h") plus whole days ("4d", "-3d").
type Duration time.Duration

// ParseDuration accepts Go durations and a whole-day form "Nd".
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, fmt.Errorf("duration %q: want Go syntax (90s, 36h) or whole days (4d)", s)
		}
		return Duration(time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want Go syntax (90s, 36h) or whole days (4d)", s)
	}
	return Duration(d), nil
}

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

func (d Duration) String() string {
	td := time.Duration(d)
	if td != 0 && td%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(td/(24*time.Hour)), 10) + "d"
	}
	return td.String()
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"4d\" or \"90s\"")
	}
	parsed, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// Step is one rung of a policy's ladder.
type Step struct {
	// Name identifies the rung in the UI, the timeline and idempotency keys.
	Name   string   `json:"name"`
	Action Action   `json:"action"`
	Offset Duration `json:"offset"`
	From   Anchor   `json:"from"`
	// Template names the message template (e.g. "reminder", "formal_notice").
	Template string `json:"template,omitempty"`
	// Channels are tried in order; a skipped or failed channel falls back to
	// the next. Empty means the action's natural channel.
	Channels []Channel `json:"channels,omitempty"`
	// Attach asks for the invoice PDF / letter to be attached to an e-mail.
	Attach bool `json:"attach,omitempty"`
	// Conditions: the step is skipped when they fail.
	MinBalanceCents int64    `json:"min_balance_cents,omitempty"`
	Segments        []string `json:"segments,omitempty"`
	// TaskDeadline bounds how long a call task waits for its outcome.
	TaskDeadline Duration `json:"task_deadline,omitempty"`
	// Prerequisite: a case catching up never skips this step when a later
	// one is to run (the formal notice before the agency or the court).
	Prerequisite bool `json:"prerequisite,omitempty"`
}

// EffectiveChannels returns the channels to try for the step.
func (s Step) EffectiveChannels() []Channel {
	if len(s.Channels) > 0 {
		return s.Channels
	}
	switch s.Action {
	case ActionCallTask:
		return []Channel{ChannelCall}
	case ActionSMS:
		return []Channel{ChannelSMS}
	case ActionLetter:
		return []Channel{ChannelLetter}
	case ActionRegisteredLetter:
		return []Channel{ChannelRegisteredLetter}
	case ActionAgencyHandoff:
		return []Channel{ChannelAgency}
	default:
		return []Channel{ChannelEmail}
	}
}

// Applies reports whether the step's conditions hold, and why not.
func (s Step) Applies(balanceCents int64, segment string) (bool, string) {
	if s.MinBalanceCents > 0 && balanceCents < s.MinBalanceCents {
		return false, fmt.Sprintf("balance %d below the step minimum %d", balanceCents, s.MinBalanceCents)
	}
	if len(s.Segments) > 0 && !slices.Contains(s.Segments, segment) {
		return false, fmt.Sprintf("segment %q not in %v", segment, s.Segments)
	}
	return true, ""
}

// Policy is a named, versioned escalation ladder plus the pauses' parameters.
type Policy struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// Segments and RiskRatings select the policy for a debtor; empty matches all.
	Segments    []string `json:"segments,omitempty"`
	RiskRatings []string `json:"risk_ratings,omitempty"`
	Steps       []Step   `json:"steps"`
	// PromiseGrace is waited after a promised date before calling it broken.
	PromiseGrace Duration `json:"promise_grace"`
	// InstallmentGrace is waited after an installment's due date.
	InstallmentGrace Duration `json:"installment_grace"`
	// InstallmentReminder is how long before each installment a reminder goes.
	InstallmentReminder Duration `json:"installment_reminder"`
	// DefaultTaskDeadline bounds call tasks whose step sets none.
	DefaultTaskDeadline Duration `json:"default_task_deadline"`
	// CatchUp says how a case that starts after some rungs' dates catches
	// up (an invoice imported long overdue): "fit" (default) or "first".
	CatchUp CatchUpMode `json:"catch_up,omitempty"`
	// Challenger names another policy that ChallengerPercent of the new
	// cases this policy is chosen for run on instead, assigned at random
	// (champion/challenger testing; see AssignArm).
	Challenger        string `json:"challenger,omitempty"`
	ChallengerPercent int    `json:"challenger_percent,omitempty"`
	// Portal bounds what a debtor may settle alone in the portal; nil
	// means the defaults (see PortalRules).
	Portal *PortalRules `json:"portal,omitempty"`
	// MaxPromiseAhead is how far ahead a promise to pay may be dated
	// (0: DefaultPromiseMaxAhead).
	MaxPromiseAhead Duration `json:"max_promise_ahead,omitempty"`
}

// Validate checks a policy before it is stored.
func (p Policy) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return FieldError{Field: "name", Reason: "is required"}
	}
	if len(p.Steps) == 0 {
		return FieldError{Field: "steps", Reason: "needs at least one step"}
	}
	if !p.CatchUp.Valid() {
		return FieldError{Field: "catch_up", Reason: "must be fit or first"}
	}
	if p.MaxPromiseAhead < 0 || p.MaxPromiseAhead > MaxDateAhead {
		return FieldError{Field: "max_promise_ahead", Reason: "must be between 0 (the default, 90 days) and 5 years"}
	}
	seen := map[string]bool{}
	for i, s := range p.Steps {
		field := fmt.Sprintf("steps[%d]", i)
		if s.Name == "" {
			return FieldError{Field: field + ".name", Reason: "is required"}
		}
		if seen[s.Name] {
			return FieldError{Field: field + ".name", Reason: "is used twice"}
		}
		seen[s.Name] = true
		switch s.Action {
		case ActionReminder, ActionCallTask, ActionEmail, ActionSMS, ActionLetter, ActionRegisteredLetter, ActionAgencyHandoff:
		default:
			return FieldError{Field: field + ".action", Reason: fmt.Sprintf("unknown action %q", s.Action)}
		}
		switch s.From {
		case FromDueDate, FromPrevious:
		default:
			return FieldError{Field: field + ".from", Reason: "must be due_date or previous"}
		}
		if s.From == FromPrevious && s.Offset < 0 {
			return FieldError{Field: field + ".offset", Reason: "cannot be negative after the previous step"}
		}
	}
	switch {
	case p.ChallengerPercent < 0 || p.ChallengerPercent > 100:
		return FieldError{Field: "challenger_percent", Reason: "must be between 0 and 100"}
	case p.ChallengerPercent > 0 && strings.TrimSpace(p.Challenger) == "":
		return FieldError{Field: "challenger", Reason: "is required with challenger_percent"}
	case p.Challenger != "" && p.Challenger == p.Name:
		return FieldError{Field: "challenger", Reason: "must be another policy"}
	}
	return nil
}

// Matches reports whether the policy applies to a debtor's segment and risk.
func (p Policy) Matches(segment, risk string) bool {
	return (len(p.Segments) == 0 || slices.Contains(p.Segments, segment)) &&
		(len(p.RiskRatings) == 0 || slices.Contains(p.RiskRatings, risk))
}

// SelectPolicy picks the most specific policy for a debtor: one naming both
// segment and risk beats one naming one of them, which beats a catch-all.
// Ties go to the first in the list. ok is false when none matches.
func SelectPolicy(policies []Policy, segment, risk string) (Policy, bool) {
	best, bestScore := Policy{}, -1
	for _, p := range policies {
		if !p.Matches(segment, risk) {
			continue
		}
		score := 0
		if len(p.Segments) > 0 {
			score += 2
		}
		if len(p.RiskRatings) > 0 {
			score++
		}
		if score > bestScore {
			best, bestScore = p, score
		}
	}
	return best, bestScore >= 0
}

func day(n int) Duration { return Duration(time.Duration(n) * 24 * time.Hour) }

// DefaultPolicy is the ladder of the seed documents: a courtesy reminder
// three days before the due date, a call on D+1, an e-mail on D+4, an
// ordinary letter on D+11, three registered letters a week apart (the first
// is the formal notice), and the agency on D+39.
func DefaultPolicy() Policy {
	return Policy{
		Name: "standard-b2b", Version: 1,
		Steps: []Step{
			{Name: "pre-due-reminder", Action: ActionReminder, Offset: day(-3), From: FromDueDate, Template: "pre_due", Channels: []Channel{ChannelEmail}},
			{Name: "call-d1", Action: ActionCallTask, Offset: day(1), From: FromDueDate, Template: "call_script", TaskDeadline: day(2)},
			{Name: "email-d4", Action: ActionEmail, Offset: day(4), From: FromDueDate, Template: "reminder", Channels: []Channel{ChannelEmail, ChannelSMS, ChannelLetter}, Attach: true},
			{Name: "letter-d11", Action: ActionLetter, Offset: day(11), From: FromDueDate, Template: "reminder_letter", Channels: []Channel{ChannelLetter}},
			{Name: "formal-notice-d18", Action: ActionRegisteredLetter, Offset: day(18), From: FromDueDate, Template: "formal_notice", Prerequisite: true},
			{Name: "registered-d25", Action: ActionRegisteredLetter, Offset: day(25), From: FromDueDate, Template: "second_notice"},
			{Name: "registered-d32", Action: ActionRegisteredLetter, Offset: day(32), From: FromDueDate, Template: "final_notice"},
			{Name: "agency-d39", Action: ActionAgencyHandoff, Offset: day(39), From: FromDueDate, Template: "agency_pack"},
		},
		PromiseGrace:        day(2),
		InstallmentGrace:    day(3),
		InstallmentReminder: day(3),
		DefaultTaskDeadline: day(2),
		CatchUp:             CatchUpFit,
	}
}

// DemoPolicy is the default ladder compressed into seconds so a newcomer
// sees cases walk every rung within a minute of `make dev`: the reminder
// three days before the due date and the call the day after it, as in the
// default ladder, then each rung five seconds after the one before. An
// overdue invoice catches up on the call and walks the rest at once; one
// not yet due sleeps until its reminder.
func DemoPolicy() Policy {
	p := DefaultPolicy()
	p.Name, p.Segments = "demo", []string{"demo"}
	for i := range p.Steps[2:] {
		p.Steps[2+i].From = FromPrevious
		p.Steps[2+i].Offset = Duration(5 * time.Second)
	}
	for i := range p.Steps {
		p.Steps[i].TaskDeadline = Duration(8 * time.Second)
	}
	p.PromiseGrace = Duration(5 * time.Second)
	p.InstallmentGrace = Duration(5 * time.Second)
	p.InstallmentReminder = Duration(2 * time.Second)
	p.DefaultTaskDeadline = Duration(8 * time.Second)
	return p
}
