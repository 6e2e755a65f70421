package workflows

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// Every history recorded from a real run (integration tests with
// RELANCE_RECORD_HISTORIES=1) must replay on the current code: a change
// that would break a running case fails here.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("want at least 3 recorded histories in testdata, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(CollectionCase, workflow.RegisterOptions{Name: "CollectionCase"})
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}

// The full default ladder (recorded on the dev server with the ladder
// scaled to seconds) stays within its history budget: 60 events up to the
// handoff (76 before versionActOnRung, see pre_act_on_rung_*.json).
func TestRecordedLadderHistoryBudget(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "ladder_to_agency.json"))
	if err != nil {
		t.Fatal(err)
	}
	hist, err := client.HistoryFromJSON(bytes.NewReader(b), client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The ladder ends with the handoff; the agency's closing report is the
	// first signal after it.
	events := hist.GetEvents()
	ladder := slices.IndexFunc(events, func(ev *historypb.HistoryEvent) bool {
		return ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
	})
	if ladder < 0 || ladder > 60 {
		t.Fatalf("the full ladder took %d events before the agency's report, budget 60", ladder)
	}
	if n := len(events); n > 67 {
		t.Fatalf("full ladder with the agency's closing report: %d events, budget 67", n)
	}
}
