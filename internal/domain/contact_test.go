package domain

import (
	"testing"
	"time"
)

func TestDecideContact(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	// Tuesday 10 March 2026, 10:00 in Paris (09:00 UTC).
	tuesday := time.Date(2026, 3, 10, 10, 0, 0, 0, paris)
	base := func(ch Channel, at time.Time) ContactFacts {
		return ContactFacts{Channel: ch, At: at, Location: paris, WindowStart: 8 * 60, WindowEnd: 20 * 60, Reachable: true}
	}
	rules := DefaultContactRules()
	tests := []struct {
		name  string
		facts ContactFacts
		rules ContactRules
		want  ContactDecision
	}{
		{"call inside the window", base(ChannelCall, tuesday), rules, ContactDecision{Allowed: true}},
		{"call at 21:30 waits for 8:00 next day", base(ChannelCall, tuesday.Add(11*time.Hour+30*time.Minute)), rules,
			ContactDecision{NotBefore: time.Date(2026, 3, 11, 8, 0, 0, 0, paris).UTC(), Reason: "outside the debtor's contact window"}},
		{"sms at 6:00 waits for 8:00", base(ChannelSMS, tuesday.Add(-4*time.Hour)), rules,
			ContactDecision{NotBefore: time.Date(2026, 3, 10, 8, 0, 0, 0, paris).UTC(), Reason: "outside the debtor's contact window"}},
		{"custom window 9:30-12:00", func() ContactFacts {
			f := base(ChannelCall, tuesday.Add(3*time.Hour))
			f.WindowStart, f.WindowEnd = 9*60+30, 12*60
			return f
		}(), rules, ContactDecision{NotBefore: time.Date(2026, 3, 11, 9, 30, 0, 0, paris).UTC(), Reason: "outside the debtor's contact window"}},
		{"e-mail at night is allowed", base(ChannelEmail, tuesday.Add(14*time.Hour)), rules, ContactDecision{Allowed: true}},
		{"letter on Saturday waits for Monday", base(ChannelLetter, time.Date(2026, 3, 14, 10, 0, 0, 0, paris)), rules,
			ContactDecision{NotBefore: time.Date(2026, 3, 16, 0, 0, 0, 0, paris).UTC(), Reason: "letters are posted on business days only"}},
		{"registered letter on Easter Monday waits for Tuesday", base(ChannelRegisteredLetter, time.Date(2026, 4, 6, 10, 0, 0, 0, paris)), rules,
			ContactDecision{NotBefore: time.Date(2026, 4, 7, 0, 0, 0, 0, paris).UTC(), Reason: "letters are posted on business days only"}},
		{"letter on Saturday allowed without the calendar", base(ChannelLetter, time.Date(2026, 3, 14, 10, 0, 0, 0, paris)),
			ContactRules{WeeklyCap: 3}, ContactDecision{Allowed: true}},
		{"opted out is skipped", func() ContactFacts { f := base(ChannelEmail, tuesday); f.OptedOut = true; return f }(), rules,
			ContactDecision{Skip: true, Reason: "debtor opted out of email"}},
		{"bounced e-mail is skipped", func() ContactFacts {
			f := base(ChannelEmail, tuesday)
			f.Reachable, f.Unreachable = false, "e-mail address bounced"
			return f
		}(), rules, ContactDecision{Skip: true, Reason: "e-mail address bounced"}},
		{"weekly cap reached waits for the oldest contact to age out", func() ContactFacts {
			f := base(ChannelEmail, tuesday)
			f.SentAt = []time.Time{tuesday.Add(-6 * 24 * time.Hour), tuesday.Add(-2 * 24 * time.Hour), tuesday.Add(-time.Hour)}
			return f
		}(), rules, ContactDecision{NotBefore: tuesday.Add(24 * time.Hour).UTC(), Reason: "weekly cap of 3 contacts reached"}},
		{"cap counts only the last 7 days", func() ContactFacts {
			f := base(ChannelEmail, tuesday)
			f.SentAt = []time.Time{tuesday.Add(-8 * 24 * time.Hour), tuesday.Add(-2 * 24 * time.Hour), tuesday.Add(-time.Hour)}
			return f
		}(), rules, ContactDecision{Allowed: true}},
		{"cap then calendar: freed on Saturday, letter goes Monday", func() ContactFacts {
			f := base(ChannelLetter, time.Date(2026, 3, 13, 10, 0, 0, 0, paris)) // Friday
			f.SentAt = []time.Time{time.Date(2026, 3, 7, 11, 0, 0, 0, paris), time.Date(2026, 3, 9, 11, 0, 0, 0, paris), time.Date(2026, 3, 12, 11, 0, 0, 0, paris)}
			return f
		}(), rules, ContactDecision{NotBefore: time.Date(2026, 3, 16, 0, 0, 0, 0, paris).UTC(), Reason: "letters are posted on business days only"}},
		{"agency is not a contact", ContactFacts{Channel: ChannelAgency, At: tuesday}, rules, ContactDecision{Allowed: true}},
	}
	for _, tc := range tests {
		got := DecideContact(tc.rules, tc.facts)
		if got.Allowed != tc.want.Allowed || got.Skip != tc.want.Skip || !got.NotBefore.Equal(tc.want.NotBefore) || got.Reason != tc.want.Reason {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}
