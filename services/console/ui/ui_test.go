package ui

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/relance/relance/services/console/apiclient"
)

// fakeAPI answers the few API calls these tests make: a live session
// "tok-live" of a French collector, "tok-old" expired; a case action
// records its body.
type fakeAPI struct {
	posted []string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	problem := func(status int, field, reason string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "detail": reason, "field": field,
			"errors": []map[string]string{{"field": field, "reason": reason}}})
	}
	if token != "tok-live" {
		problem(http.StatusUnauthorized, "", "unknown or revoked token")
		return
	}
	switch {
	case r.URL.Path == "/v1/me":
		_, _ = io.WriteString(w, `{"user_id":"usr_1","name":"Zoé <b>Leroy</b>","role":"collector","collector_id":"c-1","language":"fr","token_id":"tok_1"}`)
	case r.URL.Path == "/v1/worklist":
		_, _ = io.WriteString(w, `{"items":[{"task_id":"t1","kind":"call","status":"open","invoice_id":"inv1","invoice_number":"F-1","debtor_id":"d1",
			"debtor_name":"<script>alert(1)</script> SARL","balance_cents":123456,"currency":"EUR","days_overdue":12,"priority_score":1300,
			"script":{"language":"fr","opening":"Bonjour","ask":"Pouvez-vous régler ?","phone":"+33612345678"}}]}`)
	case r.URL.Path == "/v1/tasks/t1/complete":
		body, _ := io.ReadAll(r.Body)
		f.posted = append(f.posted, string(body))
		problem(http.StatusUnprocessableEntity, "promise.date", "is in the past")
	case r.URL.Path == "/v1/users" && r.Method == http.MethodGet:
		_, _ = io.WriteString(w, `{"items":[{"id":"usr_1","email":"zoe@example.com","name":"Zoé <i>L</i>","role":"collector","collector_id":"c-1","language":"fr","has_password":true}]}`)
	case r.URL.Path == "/v1/users" && r.Method == http.MethodPost:
		problem(http.StatusConflict, "email", "another user has this e-mail address")
	case r.URL.Path == "/v1/reports/kpis":
		problem(http.StatusForbidden, "", "the collector role may not do this")
	default:
		problem(http.StatusNotFound, "", "no such route")
	}
}

func newTestConsole(t *testing.T) (*Console, *fakeAPI) {
	t.Helper()
	api := &fakeAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c, err := New(Config{API: apiclient.New(srv.URL), Secret: []byte(strings.Repeat("k", 32)),
		Logger: slog.New(slog.DiscardHandler), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return c, api
}

func do(c *Console, method, path, token string, form url.Values, headers ...string) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	c.ServeHTTP(w, req)
	return w
}

func TestWorklistEscapesAndFormatsInFrench(t *testing.T) {
	c, _ := newTestConsole(t)
	w := do(c, "GET", "/worklist", "tok-live", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /worklist = %d %s", w.Code, w.Body.String())
	}
	page := w.Body.String()
	if strings.Contains(page, "<script>alert(1)</script>") || strings.Contains(page, "<b>Leroy</b>") {
		t.Error("user text reached the page unescaped")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt; SARL") {
		t.Error("the debtor's name is not shown escaped")
	}
	if !strings.Contains(page, "1\u00a0234,56\u00a0€") {
		t.Error("the balance is not written 1 234,56 €")
	}
	if !strings.Contains(page, `lang="fr"`) || !strings.Contains(page, "Pouvez-vous régler ?") {
		t.Error("the call script in the debtor's language is missing")
	}
	ck := w.Result().Header.Values("Content-Security-Policy")
	if len(ck) == 0 {
		t.Error("no Content-Security-Policy")
	}
}

func TestForgedAndCrossSitePostsAre403(t *testing.T) {
	c, api := newTestConsole(t)
	good := c.mac("session:tok-live")
	form := url.Values{"outcome": {"promise"}, "promise.amount_cents": {"10"}, "promise.date": {"2020-01-01"}}
	// No token, a wrong token, a token of another session: 403.
	for _, tok := range []string{"", "forged", c.mac("session:someone-else")} {
		f := url.Values{csrfField: {tok}}
		for k, v := range form {
			f[k] = v
		}
		if w := do(c, "POST", "/tasks/t1/complete", "tok-live", f); w.Code != http.StatusForbidden {
			t.Errorf("post with csrf %q = %d, want 403", tok, w.Code)
		}
	}
	// The right token sent from another site: 403.
	f := url.Values{csrfField: {good}}
	for k, v := range form {
		f[k] = v
	}
	if w := do(c, "POST", "/tasks/t1/complete", "tok-live", f, "Sec-Fetch-Site", "cross-site"); w.Code != http.StatusForbidden {
		t.Errorf("cross-site post = %d, want 403", w.Code)
	}
	if w := do(c, "POST", "/tasks/t1/complete", "tok-live", f, "Origin", "https://evil.example"); w.Code != http.StatusForbidden {
		t.Errorf("post from another origin = %d, want 403", w.Code)
	}
	if len(api.posted) != 0 {
		t.Fatalf("a refused post reached the API: %v", api.posted)
	}
	// The right token from this site reaches the API; its refusal names the field.
	w := do(c, "POST", "/tasks/t1/complete", "tok-live", f, "Sec-Fetch-Site", "same-origin")
	if w.Code != http.StatusUnprocessableEntity || len(api.posted) != 1 {
		t.Fatalf("good post = %d, %d API calls", w.Code, len(api.posted))
	}
	if !strings.Contains(w.Body.String(), "promise.date : is in the past") {
		t.Error("the API's field error is not shown on the form")
	}
	if !strings.Contains(api.posted[0], `"amount_cents":1000`) {
		t.Errorf("API got %s, want the amount in cents", api.posted[0])
	}
}

func TestExpiredSessionKeepsTheForm(t *testing.T) {
	c, _ := newTestConsole(t)
	f := url.Values{csrfField: {c.mac("session:tok-old")}, "outcome": {"promise"}, "note": {"rappeler <mardi>"}}
	w := do(c, "POST", "/tasks/t1/complete", "tok-old", f)
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("post on an expired session = %d, want the sign-in page (401)", w.Code)
	}
	page := w.Body.String()
	if !strings.Contains(page, `name="_pending_action" value="/tasks/t1/complete"`) ||
		!strings.Contains(page, `name="_p:note" value="rappeler &lt;mardi&gt;"`) {
		t.Errorf("the sign-in page does not keep the form: %s", page)
	}
	if strings.Contains(page, `name="_p:csrf"`) {
		t.Error("the old CSRF token is kept")
	}
}

func TestCollectorRefusedManagerPage(t *testing.T) {
	c, _ := newTestConsole(t)
	w := do(c, "GET", "/dashboard", "tok-live", nil)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "pas accessible avec votre rôle") {
		t.Fatalf("GET /dashboard as a collector = %d", w.Code)
	}
	if w := do(c, "GET", "/worklist", "", nil); w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/signin") {
		t.Errorf("GET /worklist without a session = %d %s", w.Code, w.Header().Get("Location"))
	}
}

func TestLocaleFormats(t *testing.T) {
	fr, en := newLocale("fr", time.UTC), newLocale("en", time.UTC)
	for _, c := range []struct{ got, want string }{
		{fr.Money(123456, "EUR"), "1\u00a0234,56\u00a0€"},
		{fr.Money(-5, "EUR"), "-0,05\u00a0€"},
		{fr.Money(100000000, "EUR"), "1\u00a0000\u00a0000,00\u00a0€"},
		{en.Money(123456, "EUR"), "€1,234.56"},
		{fr.Date("2026-12-28"), "28/12/2026"},
		{en.Date("2026-12-28"), "28 Dec 2026"},
		{fr.T("nav.worklist"), "Mes appels"},
		{en.T("nav.worklist"), "My worklist"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestUserFormShowsTheAPIsFieldError(t *testing.T) {
	c, _ := newTestConsole(t)
	w := do(c, "GET", "/admin/users", "tok-live", nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="user-new-email"`) || strings.Contains(w.Body.String(), "<i>L</i>") {
		t.Fatalf("GET /admin/users = %d %s", w.Code, w.Body.String())
	}
	f := url.Values{csrfField: {c.mac("session:tok-live")}, "name": {"Zoé"}, "email": {"zoe@example.com"}, "role": {"manager"}, "password": {"secret secret"}}
	w = do(c, "POST", "/admin/users", "tok-live", f)
	page := w.Body.String()
	if w.Code != http.StatusConflict || !strings.Contains(page, `id="user-new-email-error">email : another user has this e-mail address`) {
		t.Fatalf("refused user = %d %s", w.Code, page)
	}
	if strings.Contains(page, "secret secret") {
		t.Error("the password is shown again")
	}
}
