// Package fakes are SendGrid and Twilio stand-ins at the HTTP boundary for
// benchmarks and drills. Each counts requests per idempotency key and can
// answer 429, 500, a timeout or a permanent 4xx following a script, so a
// drill can tell whether a message was lost or accepted twice.
package fakes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Fault is how the fake answers one request.
type Fault string

const (
	OK       Fault = "ok"
	TooMany  Fault = "429"
	Internal Fault = "500"
	Timeout  Fault = "timeout" // holds the request, then drops it unprocessed
	// AcceptedNoReply takes the message, then holds and drops the
	// connection: the provider has it, the caller cannot know.
	AcceptedNoReply Fault = "accepted-no-reply"
	Permanent       Fault = "permanent" // 400 for SendGrid, error 21211 for Twilio
)

// Script decides the answer to the attempt-th request (1-based) for a key.
type Script func(key string, attempt int) Fault

// Always answers OK.
func Always(key string, attempt int) Fault { return OK }

// Pattern picks one scenario per key (by a hash of the key, so a retry
// meets the same scenario) and plays it attempt by attempt; past its end the
// answer is OK, unless the scenario ends with Permanent, which then stays.
func Pattern(scenarios ...[]Fault) Script {
	return func(key string, attempt int) Fault {
		s := scenarios[ScenarioOf(key, len(scenarios))]
		if attempt <= len(s) {
			return s[attempt-1]
		}
		if len(s) > 0 && s[len(s)-1] == Permanent {
			return Permanent
		}
		return OK
	}
}

// ScenarioOf is the index of the scenario Pattern plays for key.
func ScenarioOf(key string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// ParseFaults reads "ok,429,500,timeout,permanent".
func ParseFaults(s string) ([]Fault, error) {
	var out []Fault
	for _, f := range strings.Split(s, ",") {
		switch ff := Fault(strings.TrimSpace(f)); ff {
		case OK, TooMany, Internal, Timeout, AcceptedNoReply, Permanent:
			out = append(out, ff)
		default:
			return nil, fmt.Errorf("unknown fault %q", f)
		}
	}
	return out, nil
}

// Stats is what a fake saw.
type Stats struct {
	Requests   int
	Keys       int           // distinct idempotency keys
	Accepted   int           // requests answered 2xx
	Duplicates int           // keys accepted more than once
	Faults     map[Fault]int // answers given, by fault
}

func (s Stats) String() string {
	keys := make([]string, 0, len(s.Faults))
	for f := range s.Faults {
		keys = append(keys, string(f))
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, s.Faults[Fault(k)]))
	}
	return fmt.Sprintf("requests=%d keys=%d accepted=%d duplicates=%d answers{%s}",
		s.Requests, s.Keys, s.Accepted, s.Duplicates, strings.Join(parts, " "))
}

// Provider is the shared core of both fakes.
type Provider struct {
	Name   string
	Script Script
	// Hold is how long a Timeout fault keeps the request before dropping it
	// (or until the client gives up).
	Hold time.Duration

	mu       sync.Mutex
	attempts map[string]int
	accepted map[string]int
	faults   map[Fault]int
	requests int
	server   *httptest.Server
	key      func(r *http.Request, body []byte) string
	answer   func(w http.ResponseWriter, f Fault, key string)
}

// URL is the fake's base URL.
func (p *Provider) URL() string { return p.server.URL }

// Close stops the server.
func (p *Provider) Close() { p.server.Close() }

// Stats returns a snapshot of the counts.
func (p *Provider) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{Requests: p.requests, Keys: len(p.attempts), Faults: map[Fault]int{}}
	for f, n := range p.faults {
		s.Faults[f] = n
	}
	for _, n := range p.accepted {
		s.Accepted += n
		if n > 1 {
			s.Duplicates++
		}
	}
	return s
}

// AcceptedKeys returns how many times each key was accepted.
func (p *Provider) AcceptedKeys() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.accepted))
	for k, n := range p.accepted {
		out[k] = n
	}
	return out
}

// SetScript replaces the script (between runs).
func (p *Provider) SetScript(s Script) {
	p.mu.Lock()
	p.Script = s
	p.mu.Unlock()
}

func (p *Provider) start() {
	p.attempts, p.accepted, p.faults = map[string]int{}, map[string]int{}, map[Fault]int{}
	if p.Script == nil {
		p.Script = Always
	}
	if p.Hold == 0 {
		p.Hold = 30 * time.Second
	}
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	key := p.key(r, body)
	p.mu.Lock()
	p.requests++
	p.attempts[key]++
	f := p.Script(key, p.attempts[key])
	p.faults[f]++
	p.mu.Unlock()
	if f == Timeout || f == AcceptedNoReply {
		if f == AcceptedNoReply {
			p.mu.Lock()
			p.accepted[key]++
			p.mu.Unlock()
		}
		select {
		case <-r.Context().Done():
		case <-time.After(p.Hold):
		}
		// Dropped without an answer.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	if f == OK {
		p.mu.Lock()
		p.accepted[key]++
		p.mu.Unlock()
	}
	p.answer(w, f, key)
}

func hashKey(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "body:" + hex.EncodeToString(h[:8])
}

// KeyFields are the custom-argument / parameter names read as the
// idempotency key, in order.
var KeyFields = []string{"idempotency_key", "idempotencyKey", "relance_idempotency_key", "interaction_id", "interactionId"}

// NewSendGrid starts a fake of POST /v3/mail/send. The key is a custom
// argument named in KeyFields (top level or per personalization), else the
// Idempotency-Key header, else a hash of the body.
func NewSendGrid(script Script) *Provider {
	p := &Provider{Name: "sendgrid", Script: script}
	p.key = func(r *http.Request, body []byte) string {
		var msg struct {
			CustomArgs       map[string]any `json:"custom_args"`
			Personalizations []struct {
				CustomArgs map[string]any `json:"custom_args"`
			} `json:"personalizations"`
		}
		if json.Unmarshal(body, &msg) == nil {
			args := []map[string]any{msg.CustomArgs}
			for _, ps := range msg.Personalizations {
				args = append(args, ps.CustomArgs)
			}
			for _, f := range KeyFields {
				for _, a := range args {
					if v, ok := a[f].(string); ok && v != "" {
						return v
					}
				}
			}
		}
		if k := r.Header.Get("Idempotency-Key"); k != "" {
			return k
		}
		return hashKey(string(body))
	}
	p.answer = func(w http.ResponseWriter, f Fault, key string) {
		w.Header().Set("Content-Type", "application/json")
		switch f {
		case OK:
			w.Header().Set("X-Message-Id", "fake-"+hashKey(key)[5:])
			w.WriteHeader(http.StatusAccepted)
		case TooMany:
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"errors":[{"message":"too many requests","field":null}]}`)
		case Internal:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"errors":[{"message":"internal error","field":null}]}`)
		case Permanent:
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email"}]}`)
		}
	}
	p.start()
	return p
}

// NewTwilio starts a fake of POST /2010-04-01/Accounts/{sid}/Messages.json.
// The key is the I-Twilio-Idempotency-Token or Idempotency-Key header, else
// a KeyFields parameter of the form or of the StatusCallback URL, else a
// hash of To and Body.
func NewTwilio(script Script) *Provider {
	p := &Provider{Name: "twilio", Script: script}
	p.key = func(r *http.Request, body []byte) string {
		for _, h := range []string{"I-Twilio-Idempotency-Token", "Idempotency-Key"} {
			if k := r.Header.Get(h); k != "" {
				return k
			}
		}
		form, _ := url.ParseQuery(string(body))
		var cb url.Values
		if u, err := url.Parse(form.Get("StatusCallback")); err == nil {
			cb = u.Query()
		}
		for _, f := range KeyFields {
			if v := form.Get(f); v != "" {
				return v
			}
			if v := cb.Get(f); v != "" {
				return v
			}
		}
		return hashKey(form.Get("To"), form.Get("Body"))
	}
	p.answer = func(w http.ResponseWriter, f Fault, key string) {
		w.Header().Set("Content-Type", "application/json")
		switch f {
		case OK:
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"sid":"SM%s","status":"queued","error_code":null}`, hashKey(key)[5:])
		case TooMany:
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"code":20429,"message":"Too Many Requests","more_info":"https://www.twilio.com/docs/errors/20429","status":429}`)
		case Internal:
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"code":20500,"message":"Internal Server Error","more_info":"https://www.twilio.com/docs/errors/20500","status":500}`)
		case Permanent:
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"code":21211,"message":"The 'To' number is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`)
		}
	}
	p.start()
	return p
}
