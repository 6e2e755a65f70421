package workflows

import (
	"testing"
	"time"

	"github.com/relance/relance/internal/domain"
)

// The planned date of a letter rung that falls on 2026-12-25 reads
// 2026-12-28 (the next business day in Paris) before it runs, in the
// projection the API reads and in the state; the letter then goes that day.
func TestPlannedDateOfAChristmasLetterIsTheNextBusinessDay(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC) // letter-d11 on Friday 25 December
	c := newCaseTest(t, domain.DefaultPolicy(), due)
	c.fakes.facts.DueDate = due
	c.fakes.facts.Contact = &domain.ContactCalendar{Calendar: true, Timezone: "Europe/Paris", WindowStart: 8 * 60, WindowEnd: 20 * 60}
	monday := time.Date(2026, 12, 28, 0, 0, 0, 0, paris)

	var before domain.CaseRecord
	var beforeState domain.CaseState
	c.at(time.Date(2026, 12, 20, 12, 0, 0, 0, time.UTC), func() { before = c.fakes.lastRecord(); beforeState = c.state() })
	var call domain.CaseState
	c.at(due.Add(day(1)+6*time.Hour), func() { call = c.state() })
	c.at(time.Date(2026, 12, 29, 0, 0, 0, 0, time.UTC), func() { c.update(domain.UpdatePayment, pay("p", 123456)) })
	c.run(domain.CaseInput{InvoiceID: invoiceID})

	if beforeState.Rungs[3].Status != domain.RungPending {
		t.Fatalf("the letter already %s on the 20th", beforeState.Rungs[3].Status)
	}
	if !before.NextActionAt.Equal(monday) || before.NextActionAt.In(paris).Format("2006-01-02") != "2026-12-28" {
		t.Fatalf("next action before the letter: %s, want 2026-12-28 in Paris", before.NextActionAt)
	}
	if r := c.state().Rungs[3]; r.Status != domain.RungDone || !r.At.Equal(monday) {
		t.Fatalf("letter %s at %s, want done on Monday the 28th", r.Status, r.At)
	}
	// The call on D+1 at 00:00 UTC waited for the window's 8:00 in Paris,
	// without a delay round trip.
	if call.Rungs[1].Status != domain.RungPending || len(c.fakes.tasks) != 1 || !c.fakes.tasks[0].DueAt.Equal(time.Date(2026, 12, 15, 8, 0, 0, 0, paris)) {
		t.Fatalf("call task %+v, want created at 8:00 Paris", c.fakes.tasks)
	}
	for _, k := range c.fakes.kinds() {
		if k == "step_delayed" {
			t.Fatal("a rung was delayed at its time: its planned date was not the real one")
		}
	}
}
