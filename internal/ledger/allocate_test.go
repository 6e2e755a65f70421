package ledger

import (
	"errors"
	"reflect"
	"testing"
)

func TestAllocate(t *testing.T) {
	// Three EUR invoices of one debtor, deliberately not in date order,
	// and one USD invoice that a EUR payment must never touch.
	a := OpenInvoice{ID: "a", Number: "F-3", Currency: "EUR", IssueDate: "2026-01-01", DueDate: "2026-03-01", BalanceCents: 300_00}
	b := OpenInvoice{ID: "b", Number: "F-1", Currency: "EUR", IssueDate: "2025-12-01", DueDate: "2026-01-15", BalanceCents: 100_00}
	c := OpenInvoice{ID: "c", Number: "F-2", Currency: "EUR", IssueDate: "2026-01-10", DueDate: "2026-02-01", BalanceCents: 200_00}
	usd := OpenInvoice{ID: "u", Number: "F-9", Currency: "USD", IssueDate: "2025-01-01", DueDate: "2025-02-01", BalanceCents: 500_00}
	paid := OpenInvoice{ID: "p", Number: "F-0", Currency: "EUR", IssueDate: "2025-01-01", DueDate: "2025-01-02", BalanceCents: 0}
	all := []OpenInvoice{a, b, c, usd, paid}

	tests := []struct {
		name      string
		amount    int64
		currency  string
		reference string
		invoices  []OpenInvoice
		want      Result
	}{
		{"exact payment of the referenced invoice", 200_00, "EUR", "F-2", all,
			Result{Allocations: []Allocation{{"c", 200_00}}}},
		{"partial payment of the referenced invoice", 50_00, "EUR", "F-3", all,
			Result{Allocations: []Allocation{{"a", 50_00}}}},
		{"overpaid reference keeps the surplus, does not spread it", 250_00, "EUR", "F-2", all,
			Result{Allocations: []Allocation{{"c", 200_00}}, UnallocatedCents: 50_00}},
		{"reference to a settled invoice leaves it all unallocated", 40_00, "EUR", "F-0", all,
			Result{UnallocatedCents: 40_00}},
		{"no reference: oldest due first, across invoices", 250_00, "EUR", "", all,
			Result{Allocations: []Allocation{{"b", 100_00}, {"c", 150_00}}}},
		{"no reference: exactly everything", 600_00, "EUR", "", all,
			Result{Allocations: []Allocation{{"b", 100_00}, {"c", 200_00}, {"a", 300_00}}}},
		{"no reference: overpayment kept", 650_00, "EUR", "", all,
			Result{Allocations: []Allocation{{"b", 100_00}, {"c", 200_00}, {"a", 300_00}}, UnallocatedCents: 50_00}},
		{"no reference: other currency only", 10_00, "USD", "", all,
			Result{Allocations: []Allocation{{"u", 10_00}}}},
		{"no reference: no open invoice", 10_00, "EUR", "", nil,
			Result{UnallocatedCents: 10_00}},
		{"one cent", 1, "EUR", "", all,
			Result{Allocations: []Allocation{{"b", 1}}}},
		{"same due date: older issue date first", 150_00, "EUR", "", []OpenInvoice{
			{ID: "x", Number: "F-20", Currency: "EUR", IssueDate: "2026-01-05", DueDate: "2026-02-01", BalanceCents: 100_00},
			{ID: "y", Number: "F-10", Currency: "EUR", IssueDate: "2026-01-01", DueDate: "2026-02-01", BalanceCents: 100_00},
		}, Result{Allocations: []Allocation{{"y", 100_00}, {"x", 50_00}}}},
		{"same dates: number breaks the tie", 150_00, "EUR", "", []OpenInvoice{
			{ID: "x", Number: "F-20", Currency: "EUR", IssueDate: "2026-01-01", DueDate: "2026-02-01", BalanceCents: 100_00},
			{ID: "y", Number: "F-10", Currency: "EUR", IssueDate: "2026-01-01", DueDate: "2026-02-01", BalanceCents: 100_00},
		}, Result{Allocations: []Allocation{{"y", 100_00}, {"x", 50_00}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Allocate(tt.amount, tt.currency, tt.reference, tt.invoices)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Allocate = %+v, want %+v", got, tt.want)
			}
			var sum int64
			for _, al := range got.Allocations {
				sum += al.AmountCents
			}
			if sum+got.UnallocatedCents != tt.amount {
				t.Fatalf("allocated %d + unallocated %d != paid %d", sum, got.UnallocatedCents, tt.amount)
			}
		})
	}
}

func TestAllocateDoesNotReorderCallerSlice(t *testing.T) {
	in := []OpenInvoice{
		{ID: "late", Currency: "EUR", DueDate: "2026-05-01", BalanceCents: 1},
		{ID: "early", Currency: "EUR", DueDate: "2026-01-01", BalanceCents: 1},
	}
	if _, err := Allocate(2, "EUR", "", in); err != nil {
		t.Fatal(err)
	}
	if in[0].ID != "late" {
		t.Fatal("Allocate sorted the caller's slice")
	}
}

func TestAllocateErrors(t *testing.T) {
	inv := []OpenInvoice{{ID: "a", Number: "F-1", Currency: "EUR", DueDate: "2026-01-01", BalanceCents: 100}}
	if _, err := Allocate(0, "EUR", "", inv); err == nil {
		t.Fatal("zero amount accepted")
	}
	if _, err := Allocate(-5, "EUR", "", inv); err == nil {
		t.Fatal("negative amount accepted")
	}
	if _, err := Allocate(10, "EUR", "F-404", inv); !errors.Is(err, ErrReferenceNotFound) {
		t.Fatalf("unknown reference: want ErrReferenceNotFound, got %v", err)
	}
	if _, err := Allocate(10, "USD", "F-1", inv); !errors.Is(err, ErrCurrencyMismatch) {
		t.Fatalf("currency mismatch: want ErrCurrencyMismatch, got %v", err)
	}
}
