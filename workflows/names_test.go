package workflows

import (
	"testing"

	"github.com/relance/relance/internal/temporalx"
)

// The workflow repeats temporalx's search attribute keys (it may import
// nothing but domain and the SDK); they must stay the same.
func TestSearchAttributeKeysMatchTemporalx(t *testing.T) {
	pairs := [][2]string{
		{saCustomerID.GetName(), temporalx.CustomerID.GetName()},
		{saInvoiceNumber.GetName(), temporalx.InvoiceNumber.GetName()},
		{saCaseStatus.GetName(), temporalx.CaseStatus.GetName()},
		{saCollectionStage.GetName(), temporalx.CollectionStage.GetName()},
		{saCollector.GetName(), temporalx.Collector.GetName()},
		{saSegment.GetName(), temporalx.Segment.GetName()},
		{saAmountDueCents.GetName(), temporalx.AmountDueCents.GetName()},
		{saNextActionAt.GetName(), temporalx.NextActionAt.GetName()},
	}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("workflow key %s, temporalx key %s", p[0], p[1])
		}
	}
	if temporalx.CaseWorkflowType != "CollectionCase" {
		t.Fatalf("the tests register the workflow as CollectionCase, temporalx says %s", temporalx.CaseWorkflowType)
	}
}
