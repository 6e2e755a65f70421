package caserelay

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/relance/relance/internal/caseclient"
)

func TestBackoff(t *testing.T) {
	want := map[int]time.Duration{
		0: time.Second, 1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 9: 256 * time.Second,
		10: 5 * time.Minute, 50: 5 * time.Minute, 1 << 30: 5 * time.Minute,
	}
	for n, d := range want {
		if got := Backoff(n); got != d {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, d)
		}
	}
}

func TestPermanent(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&caseclient.RejectedError{Field: "amount_cents", Reason: "must be positive"}, true},
		{fmt.Errorf("update payment: %w", &caseclient.RejectedError{Reason: "case is closed"}), true},
		{fmt.Errorf("update payment: %w", caseclient.ErrCaseClosed), true},
		{fmt.Errorf("update payment on invoice:x: %w", caseclient.ErrCaseNotFound), true},
		{errors.New("connection refused"), false},
		{context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		if got := Permanent(tt.err); got != tt.want {
			t.Errorf("Permanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
