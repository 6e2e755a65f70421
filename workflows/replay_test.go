package workflows

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

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
// scaled to seconds) stays within its history budget.
func TestRecordedLadderHistoryBudget(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "ladder_to_agency.json"))
	if err != nil {
		t.Fatal(err)
	}
	hist, err := client.HistoryFromJSON(bytes.NewReader(b), client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var handoff int
	for i, ev := range hist.GetEvents() {
		if attrs := ev.GetMarkerRecordedEventAttributes(); attrs != nil {
			if p, ok := attrs.GetDetails()["data"]; ok && len(p.GetPayloads()) > 0 {
				var marker struct{ ActivityType string }
				if json.Unmarshal(p.GetPayloads()[0].GetData(), &marker) == nil && marker.ActivityType == "HandOffToAgency" {
					handoff = i + 1
				}
			}
		}
	}
	// Up to the handoff's upsert: the handoff marker, the projection and the attributes.
	if handoff == 0 || handoff+2 > 76 {
		t.Fatalf("handoff at event %d: the full ladder must stay within 76 events", handoff)
	}
	if n := len(hist.GetEvents()); n > 83 {
		t.Fatalf("full ladder with the agency's closing report: %d events, budget 83", n)
	}
}
