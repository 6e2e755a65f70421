package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/store"
)

// demoTokenPrefix names the demo tokens, replaced on every run.
const demoTokenPrefix = "demo-"

func ptr[T any](v T) *T { return &v }

// demoDebtors are fictional: two French businesses (one opted out of
// e-mail), an English consumer and a French consumer, all on the demo
// segment whose ladder runs in seconds.
func demoDebtors() []intake.DebtorInput {
	return []intake.DebtorInput{
		{ID: "demo-boulangerie", Name: "Boulangerie Martin SARL", RegistrationNumber: "552100554",
			Email: "compta@boulangerie-martin.example", Phone: "+33612345678",
			AddressLines: []string{"12 rue des Lilas"}, PostalCode: "75011", City: "Paris",
			Segment: "demo", CollectorID: "c-alice"},
		{ID: "demo-garage", Name: "Garage du Centre SAS", RegistrationNumber: "732829320",
			Email: "contact@garage-centre.example", Phone: "+33478000000",
			AddressLines: []string{"4 place Bellecour"}, PostalCode: "69002", City: "Lyon",
			Segment: "demo", CollectorID: "c-alice", Consents: map[domain.Channel]bool{domain.ChannelEmail: false}},
		{ID: "demo-smith", Name: "John Smith", IsBusiness: ptr(false), Language: "en", Timezone: "Europe/London",
			Email: "john.smith@example.org", Phone: "+447700900123",
			AddressLines: []string{"221B Baker Street"}, PostalCode: "NW1 6XE", City: "London", Country: "GB",
			Segment: "demo", CollectorID: "c-bob"},
		{ID: "demo-dupont", Name: "Marie Dupont", IsBusiness: ptr(false), Email: "marie.dupont@example.fr",
			Phone: "+33699887766", AddressLines: []string{"8 avenue Jean Jaurès"}, PostalCode: "33000", City: "Bordeaux",
			Segment: "demo", CollectorID: "c-bob"},
	}
}

// demoInvoices is batch number batch of the demo invoices.
func demoInvoices(today time.Time, batch int) []intake.Line {
	inv := func(n int, debtor string, overdueDays int, cents int64, what string) intake.Line {
		due := today.AddDate(0, 0, -overdueDays)
		number := fmt.Sprintf("DEMO-B%03d-%02d", batch, n)
		return intake.Line{Line: n, Input: intake.InvoiceInput{
			Number: number, DebtorID: debtor,
			IssueDate: due.AddDate(0, 0, -30).Format(intake.DateLayout), DueDate: due.Format(intake.DateLayout),
			Currency: "EUR", AmountCents: cents, Description: what,
			PaymentLink: "https://pay.example/" + number,
		}}
	}
	return []intake.Line{
		inv(1, "demo-boulangerie", 12, 1_234_56, "Maintenance fours, janvier"),
		inv(2, "demo-boulangerie", 3, 480_00, "Pièces détachées"),
		inv(3, "demo-garage", 25, 3_900_00, "Location pont élévateur"),
		inv(4, "demo-smith", 8, 249_90, "Annual subscription"),
		inv(5, "demo-dupont", 40, 89_00, "Abonnement trimestriel"),
		inv(6, "demo-dupont", -30, 89_00, "Abonnement trimestriel (à échoir)"),
	}
}

// demoBatch is the batch of demo invoices to load: the latest while one of
// its cases still runs (loading it again changes nothing), else a new one,
// so every `make dev` has cases walking the ladder to watch.
func demoBatch(ctx context.Context, st *store.Store) (int, error) {
	var latest, open int
	err := st.Pool.QueryRow(ctx, `
		WITH demo AS (
			SELECT substring(number FROM '^DEMO-B([0-9]+)-')::int AS batch, status FROM invoices WHERE number ~ '^DEMO-B[0-9]+-')
		SELECT coalesce(max(batch), 0), count(*) FILTER (WHERE status = 'open' AND batch = (SELECT max(batch) FROM demo))
		FROM demo`).Scan(&latest, &open)
	if err != nil {
		return 0, fmt.Errorf("find the demo batch: %w", err)
	}
	if latest == 0 || open == 0 {
		return latest + 1, nil
	}
	return latest, nil
}

// loadDemo creates the demo collectors, debtors and invoices, starts their
// cases and writes fresh demo tokens to tokensPath. Running it again while
// the demo cases run changes nothing but the tokens; once they have all
// ended it loads a new batch of invoices.
func loadDemo(ctx context.Context, st *store.Store, cases *caseclient.Client, tokensPath string, logger *slog.Logger) error {
	for _, c := range []store.Collector{
		{ID: "c-alice", Name: "Alice Moreau", Email: "alice@relance.example", Active: true},
		{ID: "c-bob", Name: "Bob Durand", Email: "bob@relance.example", Active: true},
	} {
		if err := store.UpsertCollector(ctx, st.Pool, c); err != nil {
			return err
		}
	}
	who := store.Actor{ID: "migrate-demo", Role: "system"}
	im := &intake.Importer{Store: st, Cases: cases}
	for _, d := range demoDebtors() {
		if _, _, err := im.UpsertDebtor(ctx, who, d); err != nil {
			return fmt.Errorf("demo debtor %s: %w", d.ID, err)
		}
	}
	batch, err := demoBatch(ctx, st)
	if err != nil {
		return err
	}
	rep, err := im.ImportInvoices(ctx, who, demoInvoices(time.Now(), batch))
	if err != nil {
		return fmt.Errorf("demo invoices: %w", err)
	}
	for _, l := range rep.Lines {
		if l.Outcome == intake.Rejected || l.Case == intake.CaseStartFailed {
			return fmt.Errorf("demo invoice %s: %s %s %s", l.Number, l.Field, l.Reason, l.CaseError)
		}
	}
	logger.Info("demo invoices loaded", "batch", batch, "created", rep.Created, "unchanged", rep.Unchanged, "updated", rep.Updated)

	if err := store.RevokeTokensNamed(ctx, st.Pool, demoTokenPrefix); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Relance demo API tokens (replaced by each `migrate -demo`). Use: Authorization: Bearer <secret>\n")
	for _, t := range []struct{ name, role, collector string }{
		{"demo-admin", store.RoleAdmin, ""}, {"demo-manager", store.RoleManager, ""}, {"demo-service", store.RoleService, ""},
		{"demo-alice", store.RoleCollector, "c-alice"}, {"demo-bob", store.RoleCollector, "c-bob"},
	} {
		_, secret, err := store.CreateToken(ctx, st.Pool, t.name, t.role, t.collector)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%-13s %-9s %-8s %s\n", t.name, t.role, t.collector, secret)
	}
	if err := os.MkdirAll(filepath.Dir(tokensPath), 0o755); err != nil {
		return fmt.Errorf("demo tokens: %w", err)
	}
	if err := os.WriteFile(tokensPath, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("demo tokens: %w", err)
	}
	logger.Info("demo tokens written", "path", tokensPath)
	return writeDemoAccounts(ctx, st, filepath.Join(filepath.Dir(tokensPath), "demo-accounts.txt"))
}

// demoPassword is every demo account's password: a development database
// only, printed by `make dev`.
const demoPassword = "relance-demo"

// writeDemoAccounts creates (or resets the password of) the console's demo
// users and lists them in path for `make dev` to print.
func writeDemoAccounts(ctx context.Context, st *store.Store, path string) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(demoPassword), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("demo accounts: %w", err)
	}
	var b strings.Builder
	b.WriteString("Console demo accounts (password: " + demoPassword + ")\n")
	for _, u := range []store.User{
		{ID: "usr_demo_admin", Email: "admin@relance.example", Name: "Agnès Admin", Role: store.RoleAdmin, Language: "fr"},
		{ID: "usr_demo_manager", Email: "manager@relance.example", Name: "Marc Manager", Role: store.RoleManager, Language: "fr"},
		{ID: "usr_demo_alice", Email: "alice@relance.example", Name: "Alice Moreau", Role: store.RoleCollector, CollectorID: "c-alice", Language: "fr"},
		{ID: "usr_demo_bob", Email: "bob@relance.example", Name: "Bob Durand", Role: store.RoleCollector, CollectorID: "c-bob", Language: "en"},
	} {
		existing, _, err := store.UserForSignIn(ctx, st.Pool, u.Email)
		switch {
		case errors.Is(err, store.ErrNotFound):
			if _, err := store.CreateUser(ctx, st.Pool, u, string(hash)); err != nil {
				return fmt.Errorf("demo account %s: %w", u.Email, err)
			}
		case err != nil:
			return fmt.Errorf("demo account %s: %w", u.Email, err)
		default:
			if err := store.SetPasswordHash(ctx, st.Pool, existing.ID, string(hash)); err != nil {
				return fmt.Errorf("demo account %s: %w", u.Email, err)
			}
		}
		fmt.Fprintf(&b, "  %-9s %-26s %s\n", u.Role, u.Email, u.Name)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("demo accounts: %w", err)
	}
	return nil
}
