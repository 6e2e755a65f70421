// Command drills breaks Relance on purpose and checks what survives: the
// worker killed -9 mid-ladder, Postgres restarted mid-run, providers
// failing in a pattern, payment webhooks replayed, reordered and forged.
// Each drill prints what it did and `lost=N duplicates=N`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/relance/relance/bench/internal/env"
	"github.com/relance/relance/bench/internal/stack"
)

// sizes of one run; every one is a flag.
type sizes struct {
	cases      int
	kills      int
	step       time.Duration
	pgCases    int
	faultCases int
	payments   int
}

// outcome is a drill's verdict.
type outcome struct {
	name             string
	did              string
	lost, duplicates int
	// inDoubt counts messages the provider dropped unanswered and never
	// took, which the worker by design did not send again.
	inDoubt int
	err     error
}

func (o outcome) String() string {
	if o.err != nil {
		return fmt.Sprintf("%-10s NOT RUN: %v", o.name, o.err)
	}
	verdict := "PASS"
	if o.lost != 0 || o.duplicates != 0 {
		verdict = "FAIL"
	}
	doubt := ""
	if o.inDoubt > 0 {
		doubt = fmt.Sprintf(" in_doubt=%d", o.inDoubt)
	}
	return fmt.Sprintf("%-10s %s lost=%d duplicates=%d%s — %s", o.name, verdict, o.lost, o.duplicates, doubt, o.did)
}

func main() {
	var (
		s      sizes
		quick  = flag.Bool("quick", false, "small sizes (a few minutes in all)")
		only   = flag.String("only", "kill,postgres,faults,webhooks", "comma-separated drills to run")
		logDir = flag.String("logs", "", "keep service logs here (default: the run's scratch folder, removed at the end)")
		out    = flag.String("out", "", "append the outcomes as Markdown to this file")
	)
	flag.IntVar(&s.cases, "cases", 500, "cases walking the ladder while the worker is killed")
	flag.IntVar(&s.kills, "kills", 20, "kill -9 of the worker")
	flag.DurationVar(&s.step, "step", 200*time.Millisecond, "offset between rungs of the compressed ladder")
	flag.IntVar(&s.pgCases, "pg-cases", 200, "cases walking the ladder while Postgres restarts")
	flag.IntVar(&s.faultCases, "fault-cases", 200, "cases walking the ladder against failing providers")
	flag.IntVar(&s.payments, "payments", 300, "distinct payment events (each sent 3 times)")
	flag.Parse()
	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]*int{"cases": &s.cases, "pg-cases": &s.pgCases, "fault-cases": &s.faultCases, "payments": &s.payments} {
			if !set[name] {
				*v = max(*v/5, 20)
			}
		}
		if !set["kills"] {
			s.kills = 5
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, s, strings.Split(*only, ","), *logDir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "drills:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, s sizes, only []string, logDir, out string) error {
	started := time.Now()
	fmt.Printf("relance drills: %d cores, %s\n", runtime.NumCPU(), time.Now().UTC().Format(time.RFC3339))
	e, err := env.Start(ctx, env.Options{})
	if err != nil {
		return err
	}
	defer e.Close()
	if logDir == "" {
		logDir = filepath.Join(e.Dir, "logs")
	}
	fmt.Println("building binaries…")
	st, err := stack.New(ctx, e, logDir, "worker", "payments", "events", "api")
	if err != nil {
		return err
	}
	d := &driller{e: e, st: st, s: s}
	drills := []struct {
		name string
		fn   func(context.Context) outcome
	}{
		{"kill", d.kill},
		{"postgres", d.postgres},
		{"faults", d.faults},
		{"webhooks", d.webhooks},
	}
	var results []outcome
	for _, dr := range drills {
		if !slices.Contains(only, dr.name) || ctx.Err() != nil {
			continue
		}
		fmt.Printf("\n== drill %s\n", dr.name)
		t0 := time.Now()
		o := dr.fn(ctx)
		o.name = dr.name
		fmt.Printf("%s (%s)\n", o, time.Since(t0).Round(time.Second))
		results = append(results, o)
	}
	fmt.Println("\n== summary")
	failed := false
	for _, o := range results {
		fmt.Println(o)
		failed = failed || o.err != nil || o.lost != 0 || o.duplicates != 0
	}
	if out != "" {
		if err := appendMarkdown(out, results, started); err != nil {
			return err
		}
	}
	if failed {
		return fmt.Errorf("some drills failed or could not run")
	}
	return nil
}

func appendMarkdown(path string, results []outcome, started time.Time) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "\n### drills run %s — %d cores\n\n`go run ./bench/cmd/drills %s`\n\n",
		started.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), strings.Join(os.Args[1:], " "))
	for _, o := range results {
		fmt.Fprintf(f, "- `%s`\n", o)
	}
	return nil
}

// driller holds one run's environment.
type driller struct {
	e     *env.Env
	st    *stack.Stack
	s     sizes
	dbSeq int
}

func (d *driller) newDatabase(ctx context.Context, what string) (string, error) {
	d.dbSeq++
	return d.e.PG.CreateDatabase(ctx, fmt.Sprintf("drill_%s_%d_%d", what, time.Now().Unix(), d.dbSeq))
}
