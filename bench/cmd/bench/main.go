// Command bench measures Relance against baselines run in the same process
// and the same minute, and prints `name  ours  baseline  ratio` rows, each a
// median of several rounds. `make bench` runs it; `make bench QUICK=1` runs
// small sizes that finish in a few minutes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/relance/relance/bench/internal/env"
	"github.com/relance/relance/bench/internal/report"
)

// sizes of one run; every one is a flag.
type sizes struct {
	rounds      int
	ladderN     int
	ladderStep  time.Duration
	intakeN     int
	intakeBaseN int
	tasks       int
	rate        int
	duration    time.Duration
	webhooksN   int
	concurrency int
	sleepingN   int
}

func main() {
	var (
		s      sizes
		quick  = flag.Bool("quick", false, "small sizes (a few minutes in all)")
		only   = flag.String("only", "ladder,intake,worklist,webhooks,sleeping", "comma-separated benchmarks to run")
		dbURL  = flag.String("database-url", "", "use this Postgres server instead of a throwaway cluster")
		out    = flag.String("out", "", "append the figures as Markdown to this file")
		logDir = flag.String("logs", "", "keep service logs here (default: the run's scratch folder, removed at the end)")
	)
	flag.IntVar(&s.rounds, "rounds", 3, "rounds per figure (median reported)")
	flag.IntVar(&s.ladderN, "ladder-n", 2000, "invoices walking the compressed ladder per round")
	flag.DurationVar(&s.ladderStep, "ladder-step", 20*time.Millisecond, "offset between rungs of the compressed ladder")
	flag.IntVar(&s.intakeN, "intake-n", 100000, "invoices imported through the API")
	flag.IntVar(&s.intakeBaseN, "intake-base-n", 5000, "empty workflows started per baseline round")
	flag.IntVar(&s.tasks, "tasks", 100000, "open tasks behind the worklist")
	flag.IntVar(&s.rate, "rate", 500, "worklist requests per second (open loop)")
	flag.DurationVar(&s.duration, "duration", 20*time.Second, "worklist load duration per round")
	flag.IntVar(&s.webhooksN, "webhooks-n", 5000, "payment events per round")
	flag.IntVar(&s.concurrency, "concurrency", 16, "concurrent clients (starts, webhooks)")
	flag.IntVar(&s.sleepingN, "sleeping-n", 10000, "cases sleeping on timers")
	flag.Parse()
	if *quick {
		quickSizes(&s)
	}
	if err := run(s, strings.Split(*only, ","), *dbURL, *out, *logDir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// quickSizes shrinks every size a user did not set on the command line.
func quickSizes(s *sizes) {
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	small := map[string]func(){
		"ladder-n":      func() { s.ladderN = 200 },
		"intake-n":      func() { s.intakeN = 2000 },
		"intake-base-n": func() { s.intakeBaseN = 1000 },
		"tasks":         func() { s.tasks = 10000 },
		"duration":      func() { s.duration = 5 * time.Second },
		"webhooks-n":    func() { s.webhooksN = 1000 },
		"sleeping-n":    func() { s.sleepingN = 1000 },
	}
	for name, shrink := range small {
		if !set[name] {
			shrink()
		}
	}
}

func run(s sizes, only []string, dbURL, out, logDir string) error {
	ctx, stop := signalContext()
	defer stop()
	started := time.Now()
	fmt.Printf("relance bench: %d cores (GOMAXPROCS %d), %s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS+"/"+runtime.GOARCH, started.UTC().Format(time.RFC3339))
	e, err := env.Start(ctx, env.Options{DatabaseURL: dbURL})
	if err != nil {
		return err
	}
	defer e.Close()
	if logDir == "" {
		logDir = filepath.Join(e.Dir, "logs")
	}
	r, err := newRunner(ctx, e, s, logDir)
	if err != nil {
		return err
	}
	defer r.close()
	benches := []struct {
		name string
		fn   func(context.Context) []report.Row
	}{
		{"ladder", r.ladder},
		{"intake", r.intake},
		{"worklist", r.worklist},
		{"webhooks", r.webhooks},
		{"sleeping", r.sleeping},
	}
	var rows []report.Row
	for _, b := range benches {
		if !slices.Contains(only, b.name) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		fmt.Printf("\n== %s\n", b.name)
		got := b.fn(ctx)
		report.Print(os.Stdout, got)
		fmt.Printf("(%s in %s)\n", b.name, time.Since(t0).Round(time.Second))
		rows = append(rows, got...)
	}
	fmt.Println("\n== summary")
	report.Print(os.Stdout, rows)
	if out != "" {
		return appendMarkdown(out, s, rows, started)
	}
	return nil
}

func appendMarkdown(path string, s sizes, rows []report.Row, started time.Time) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	w := io.Writer(f)
	fmt.Fprintf(w, "\n### bench run %s — %d cores\n\n`go run ./bench/cmd/bench %s`\n\n%s",
		started.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), strings.Join(os.Args[1:], " "), report.Markdown(rows))
	return nil
}
