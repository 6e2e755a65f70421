package domain

import "maps"

// ActivityActOnRung applies the contact rules to one channel of a rung and,
// when they allow it, acts on that channel (message, call task or agency
// handoff) and writes the case projection of the rung done, all in one
// local activity: one history event per rung instead of three.
const ActivityActOnRung = "ActOnRung"

// RungActionInput is one channel attempt of a rung. Exactly one of Send,
// CallTask and Handoff is set; its IdempotencyKey names the attempt.
type RungActionInput struct {
	// Contact is what the contact rules are asked (not for a handoff,
	// which is no contact with the debtor).
	Contact  ContactCheckInput `json:"contact"`
	Send     *SendInput        `json:"send,omitempty"`
	CallTask *CallTaskInput    `json:"call_task,omitempty"`
	Handoff  *HandoffInput     `json:"handoff,omitempty"`
	// Done, when set, is the projection as it stands once the action is
	// done, with the timeline entries the workflow had not yet recorded;
	// DoneEvent is the rung's own entry, completed with the action's IDs.
	// Both are written only when the action is done.
	Done      *CaseRecord `json:"done,omitempty"`
	DoneEvent KeyedEvent  `json:"done_event"`
}

// Key is the idempotency key of the attempt.
func (in RungActionInput) Key() string {
	switch {
	case in.Send != nil:
		return in.Send.IdempotencyKey
	case in.CallTask != nil:
		return in.CallTask.IdempotencyKey
	case in.Handoff != nil:
		return in.Handoff.IdempotencyKey
	}
	return ""
}

// RungActionResult says what the contact rules decided and what the action
// did. Acted is false when the rules did not allow the channel, or when the
// worker's case activities have no channels wired: then the workflow runs
// the channel's own activity itself.
type RungActionResult struct {
	Contact  ContactDecision `json:"contact"`
	Acted    bool            `json:"acted"`
	Send     *SendResult     `json:"send,omitempty"`
	CallTask *CallTaskResult `json:"call_task,omitempty"`
	Handoff  *HandoffResult  `json:"handoff,omitempty"`
	// Recorded: Done and DoneEvent were written.
	Recorded bool `json:"recorded"`
}

// IsDone reports whether the action reached the debtor or the agency: a
// message sent, a call task created, a handoff made.
func (r RungActionResult) IsDone() bool {
	switch {
	case !r.Acted:
		return false
	case r.Send != nil:
		return r.Send.Sent
	case r.CallTask != nil, r.Handoff != nil:
		return true
	}
	return false
}

// DoneRecord is the record written for a done action: in.Done with the
// rung's entry appended, the entry's data naming what the action made,
// and the collector the call task went to.
func (in RungActionInput) DoneRecord(res RungActionResult) CaseRecord {
	rec := *in.Done
	ev := in.DoneEvent
	ev.Event.Data = maps.Clone(ev.Event.Data)
	if ev.Event.Data == nil {
		ev.Event.Data = map[string]any{}
	}
	switch {
	case res.Send != nil:
		ev.Event.Data["interaction_id"] = res.Send.InteractionID
	case res.CallTask != nil:
		ev.Event.Data["task_id"] = res.CallTask.TaskID
		if res.CallTask.CollectorID != "" {
			rec.CollectorID = res.CallTask.CollectorID
		}
	case res.Handoff != nil:
		ev.Event.Data["handoff_id"], ev.Event.Data["reference"] = res.Handoff.HandoffID, res.Handoff.Reference
	}
	if rec.Event == nil {
		rec.EventKey, rec.Event = ev.Key, &ev.Event
	} else {
		rec.More = append(append([]KeyedEvent(nil), rec.More...), ev)
	}
	return rec
}
