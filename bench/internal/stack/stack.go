// Package stack runs Relance's services (and the baseline worker) as child
// processes against a bench environment, and holds the Temporal helpers the
// benchmarks and drills share.
package stack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/relance/relance/bench/internal/env"
	"github.com/relance/relance/bench/internal/proc"
)

// Packages built for a run, by binary name.
var Packages = map[string]string{
	"bareworker": "./bench/cmd/bareworker",
	"worker":     "./services/worker",
	"api":        "./services/api",
	"payments":   "./services/payments",
	"events":     "./services/events",
}

// Stack is a run's binaries and their logs.
type Stack struct {
	Env    *env.Env
	BinDir string
	LogDir string
	built  map[string]error
}

// New builds the binaries named (all of Packages when none). A binary that
// does not build yet is remembered, not fatal: its benchmarks report it.
func New(ctx context.Context, e *env.Env, logDir string, names ...string) (*Stack, error) {
	s := &Stack{Env: e, BinDir: filepath.Join(e.Dir, "bin"), LogDir: logDir, built: map[string]error{}}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	if len(names) == 0 {
		for n := range Packages {
			names = append(names, n)
		}
	}
	for _, n := range names {
		pkg, ok := Packages[n]
		if !ok {
			return nil, fmt.Errorf("unknown binary %q", n)
		}
		if _, err := os.Stat(filepath.Join(e.Root, pkg)); err != nil {
			s.built[n] = fmt.Errorf("%s does not exist yet", pkg)
			continue
		}
		s.built[n] = proc.Build(ctx, e.Root, s.BinDir, pkg)
	}
	return s, nil
}

// Missing returns why a binary is not available (nil when it is).
func (s *Stack) Missing(name string) error {
	err, ok := s.built[name]
	if !ok {
		return fmt.Errorf("%s was not built for this run", name)
	}
	return err
}

// Process prepares a service on a free port with the common settings.
func (s *Stack) Process(name, dbURL string, extra ...string) (*proc.Process, error) {
	if err := s.Missing(name); err != nil {
		return nil, err
	}
	addr, err := env.FreeAddr()
	if err != nil {
		return nil, err
	}
	return &proc.Process{
		Name: name, Bin: filepath.Join(s.BinDir, name), Addr: addr,
		Log: filepath.Join(s.LogDir, name+".log"),
		Env: append([]string{
			"DATABASE_URL=" + dbURL,
			"TEMPORAL_ADDRESS=" + s.Env.TemporalAddr,
			"TEMPORAL_NAMESPACE=default",
			"LOG_LEVEL=warn",
			// One documents folder for every process, as one bucket in production.
			"DOCUMENTS_URL=file://" + filepath.ToSlash(filepath.Join(s.Env.Dir, "documents")) + "?create_dir=true",
		}, extra...),
	}, nil
}

// Start prepares, starts and waits for the service to be ready.
func (s *Stack) Start(ctx context.Context, name, dbURL string, extra ...string) (*proc.Process, error) {
	p, err := s.Process(name, dbURL, extra...)
	if err != nil {
		return nil, err
	}
	if err := p.Start(); err != nil {
		return nil, err
	}
	if err := p.WaitReady(ctx, 90*time.Second); err != nil {
		p.Kill()
		return nil, err
	}
	return p, nil
}

// StartWorkflows starts one workflow per ID with conc concurrent callers and
// returns how long the starts took.
func StartWorkflows(ctx context.Context, c client.Client, ids []string, conc int, queue, workflow string, arg func(id string) any) (time.Duration, error) {
	t0 := time.Now()
	err := ForEach(ctx, ids, conc, func(ctx context.Context, id string) error {
		var args []any
		if arg != nil {
			args = append(args, arg(id))
		}
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, workflow, args...)
		return err
	})
	return time.Since(t0), err
}

// WaitAll waits until every workflow of ids has closed; a failed workflow is an error.
func WaitAll(ctx context.Context, c client.Client, ids []string, conc int) error {
	return ForEach(ctx, ids, conc, func(ctx context.Context, id string) error {
		return c.GetWorkflow(ctx, id, "").Get(ctx, nil)
	})
}

// ForEach calls fn for every item with conc goroutines and returns the
// first error (and how many failed).
func ForEach[T any](ctx context.Context, items []T, conc int, fn func(context.Context, T) error) error {
	var (
		mu       sync.Mutex
		first    error
		failures int
		wg       sync.WaitGroup
		next     = make(chan T)
	)
	for range max(conc, 1) {
		wg.Go(func() {
			for it := range next {
				if err := fn(ctx, it); err != nil {
					mu.Lock()
					failures++
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		next <- it
	}
	close(next)
	wg.Wait()
	if first != nil {
		return fmt.Errorf("%d of %d failed, first: %w", failures, len(items), first)
	}
	return ctx.Err()
}

// History counts what one workflow's history holds.
type History struct {
	Events, Activities, LocalActivities, Timers, Updates, Signals int
	// ByType counts events per type (e.g. "WorkflowTaskCompleted").
	ByType map[string]int
}

// Breakdown lists the event types, most frequent first.
func (h History) Breakdown() string {
	types := slices.SortedFunc(maps.Keys(h.ByType), func(a, b string) int { return cmp.Or(h.ByType[b]-h.ByType[a], strings.Compare(a, b)) })
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = fmt.Sprintf("%s=%d", t, h.ByType[t])
	}
	return strings.Join(parts, " ")
}

// HistoryOf reads the full history of a workflow.
func HistoryOf(ctx context.Context, c client.Client, id string) (History, error) {
	h := History{ByType: map[string]int{}}
	it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return h, fmt.Errorf("history of %s: %w", id, err)
		}
		h.Events++
		h.ByType[strings.TrimPrefix(ev.GetEventType().String(), "EVENT_TYPE_")]++
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			h.Activities++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				h.LocalActivities++
			}
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			h.Timers++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			h.Updates++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			h.Signals++
		}
	}
	if h.Events == 0 {
		return h, errors.New("empty history")
	}
	return h, nil
}
