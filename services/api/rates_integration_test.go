//go:build integration

package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

// The rate table ships 2024-H1 to 2026-H1 (migration 00070); an admin adds
// the next half-year over HTTP, audited, and a half-year leaving a gap is
// refused without writing anything.
func TestIntegrationAdminExtendsTheRateTable(t *testing.T) {
	hs := newHarness(t)
	_, secret, err := store.CreateToken(context.Background(), hs.st.Pool, "root", store.RoleAdmin, "")
	if err != nil {
		t.Fatal(err)
	}
	hs.tok["admin"] = secret

	var list RateList
	hs.expect(hs.do("manager", "GET", "/v1/interest-rates", nil), http.StatusOK).json(t, &list)
	if len(list.Items) != 5 || list.Items[0].Half.String() != "2024-H1" || list.Items[4].Half.String() != "2026-H1" ||
		list.Items[3].ECBRefiBP != 215 || list.Items[3].LegalOtherBP != 276 || list.Items[4].LegalOtherBP != 262 {
		t.Fatalf("shipped rates = %+v", list.Items)
	}
	if _, err := domain.NewRateTable(list.Items); err != nil {
		t.Errorf("the shipped table has a gap: %v", err)
	}

	body := map[string]any{"ecb_refi_bp": 215, "legal_other_bp": 300, "legal_individual_bp": 700, "source": "test figures"}
	hs.expect(hs.do("manager", "PUT", "/v1/interest-rates/2026-H2", body), http.StatusForbidden)
	gap := hs.expect(hs.do("admin", "PUT", "/v1/interest-rates/2027-H1", body), http.StatusUnprocessableEntity)
	if gap.problemField(t) != "half" || !strings.Contains(gap.Body.String(), "gap between 2026-H1 and 2027-H1") {
		t.Errorf("gap answer = %s", gap.Body.String())
	}
	hs.expect(hs.do("admin", "PUT", "/v1/interest-rates/2026-H2", map[string]any{"ecb_refi_bp": 215, "source": "x"}),
		http.StatusUnprocessableEntity)
	hs.expect(hs.do("admin", "PUT", "/v1/interest-rates/2026-H3", body), http.StatusUnprocessableEntity)
	if n := hs.count(`SELECT count(*) FROM interest_rates`); n != 5 {
		t.Fatalf("refused puts wrote rows: %d", n)
	}

	var put domain.HalfYearRates
	hs.expect(hs.do("admin", "PUT", "/v1/interest-rates/2026-H2", body), http.StatusCreated).json(t, &put)
	if put.Half.String() != "2026-H2" || put.LegalOtherBP != 300 {
		t.Errorf("put = %+v", put)
	}
	body["legal_other_bp"] = 301
	hs.expect(hs.do("admin", "PUT", "/v1/interest-rates/2026-h2", body), http.StatusOK)
	table, err := store.RateTable(context.Background(), hs.st.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := table.For(domain.HalfYear{Year: 2026, Second: true}); err != nil || r.LegalOtherBP != 301 {
		t.Errorf("2026-H2 = %+v, %v", r, err)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action = 'interest_rates.put' AND entity_id = '2026-H2'`); n != 2 {
		t.Errorf("%d audit lines, want 2", n)
	}
	if n := hs.count(`SELECT count(*) FROM audit_log WHERE action = 'interest_rates.put' AND before->>'legal_other_bp' = '300'`); n != 1 {
		t.Errorf("the correction's audit line lacks the previous figures")
	}
}
