package fakes

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func post(t *testing.T, u, contentType, body string) int {
	t.Helper()
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestSendGridCountsPerCustomArgKey(t *testing.T) {
	sg := NewSendGrid(Pattern([]Fault{TooMany, OK}))
	defer sg.Close()
	body := func(key string) string {
		return `{"personalizations":[{"to":[{"email":"a@example.test"}]}],"custom_args":{"interaction_id":"` + key + `"}}`
	}
	if got := post(t, sg.URL()+"/v3/mail/send", "application/json", body("k1")); got != http.StatusTooManyRequests {
		t.Fatalf("first attempt answered %d, want 429", got)
	}
	if got := post(t, sg.URL()+"/v3/mail/send", "application/json", body("k1")); got != http.StatusAccepted {
		t.Fatalf("second attempt answered %d, want 202", got)
	}
	if s := sg.Stats(); s.Accepted != 1 || s.Duplicates != 0 || s.Keys != 1 || s.Requests != 2 {
		t.Fatalf("after a retry: %s", s)
	}
	post(t, sg.URL()+"/v3/mail/send", "application/json", body("k1"))
	if s := sg.Stats(); s.Duplicates != 1 {
		t.Fatalf("a key accepted twice is a duplicate: %s", s)
	}
}

func TestTwilioKeyFromStatusCallbackAndPermanentStays(t *testing.T) {
	tw := NewTwilio(Pattern([]Fault{Permanent}))
	defer tw.Close()
	form := url.Values{"To": {"+33612345678"}, "Body": {"x"}, "StatusCallback": {"http://h/cb?interaction_id=i-9"}}.Encode()
	for range 2 {
		if got := post(t, tw.URL()+"/2010-04-01/Accounts/AC1/Messages.json", "application/x-www-form-urlencoded", form); got != http.StatusBadRequest {
			t.Fatalf("permanent answered %d, want 400", got)
		}
	}
	if keys := tw.AcceptedKeys(); len(keys) != 0 {
		t.Fatalf("refused messages counted as accepted: %v", keys)
	}
	if s := tw.Stats(); s.Keys != 1 || s.Faults[Permanent] != 2 {
		t.Fatalf("want one key refused twice, got %s", s)
	}
}

func TestPatternIsStablePerKey(t *testing.T) {
	p := Pattern([]Fault{OK}, []Fault{Internal, OK}, []Fault{Permanent})
	for _, key := range []string{"a", "b", "c", "d"} {
		if first, again := p(key, 1), p(key, 1); first != again {
			t.Fatalf("scenario of %q changes between calls", key)
		}
		if s := ScenarioOf(key, 3); s == 2 && p(key, 5) != Permanent {
			t.Fatalf("a permanent scenario must stay permanent for %q", key)
		}
	}
	if _, err := ParseFaults("ok,429,nope"); err == nil {
		t.Fatal("unknown fault accepted")
	}
}
