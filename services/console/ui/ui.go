// Package ui serves the console's pages: server-rendered templates and
// embedded assets, laid out one small file per page action (worklist.go
// shows the worklist, task_complete.go handles its form), a form package
// that parses each form into the API's request, one view helper, and the
// session and CSRF middleware in files of their own. Every read and write
// goes through the collector API with the user's session token.
package ui

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/relance/relance/services/console/apiclient"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the console needs.
type Config struct {
	API *apiclient.Client
	// Secret keys the CSRF tokens (32 bytes or more); every replica
	// shares it.
	Secret []byte
	// TemporalUI is the base URL of the Temporal UI (case links), and
	// Namespace the namespace of the cases.
	TemporalUI, Namespace string
	// SecureCookies marks cookies Secure even when the request did not
	// come over TLS (a TLS-terminating proxy in front).
	SecureCookies bool
	Logger        *slog.Logger
	// Location is where dates are shown (Europe/Paris).
	Location *time.Location
}

// Console is the console's HTTP handler.
type Console struct {
	cfg   Config
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// pageNames are the templates under templates/, each rendered inside layout.html.
var pageNames = []string{"signin", "resubmit", "error", "worklist", "case", "debtor", "cases", "dashboard", "users", "tokens", "import"}

// New parses the templates and sets the routes.
func New(cfg Config) (*Console, error) {
	if len(cfg.Secret) < 32 {
		return nil, fmt.Errorf("console: the secret must hold at least 32 bytes")
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	c := &Console{cfg: cfg, pages: map[string]*template.Template{}, mux: http.NewServeMux()}
	for _, name := range pageNames {
		t, err := template.New("layout.html").ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: parse template %s: %w", name, err)
		}
		c.pages[name] = t
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("console: static assets: %w", err)
	}
	c.routes(static)
	return c, nil
}

func (c *Console) routes(static fs.FS) {
	files := http.FileServerFS(static)
	c.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, files)))
	c.mux.HandleFunc("GET /signin", c.signinShow)
	c.mux.HandleFunc("POST /signin", c.guard(c.signinSubmit))
	c.mux.HandleFunc("POST /signout", c.guard(c.signedIn(c.signout)))

	c.mux.HandleFunc("GET /{$}", c.signedIn(c.home))
	c.mux.HandleFunc("GET /worklist", c.signedIn(c.worklistShow))
	c.mux.HandleFunc("POST /tasks/{id}/complete", c.guard(c.signedIn(c.taskComplete)))
	c.mux.HandleFunc("GET /cases", c.signedIn(c.casesList))
	c.mux.HandleFunc("GET /cases/{id}", c.signedIn(c.caseShow))
	c.mux.HandleFunc("POST /cases/{id}/{action}", c.guard(c.signedIn(c.caseAction)))
	c.mux.HandleFunc("GET /debtors/{id}", c.signedIn(c.debtorShow))
	c.mux.HandleFunc("GET /documents/{id}", c.signedIn(c.documentShow))
	c.mux.HandleFunc("GET /dashboard", c.signedIn(c.dashboardShow))

	c.mux.HandleFunc("GET /admin/users", c.signedIn(c.usersShow))
	c.mux.HandleFunc("POST /admin/users", c.guard(c.signedIn(c.userCreate)))
	c.mux.HandleFunc("POST /admin/users/{id}", c.guard(c.signedIn(c.userSave)))
	c.mux.HandleFunc("POST /admin/users/{id}/password", c.guard(c.signedIn(c.userPassword)))
	c.mux.HandleFunc("GET /admin/tokens", c.signedIn(c.tokensShow))
	c.mux.HandleFunc("POST /admin/tokens", c.guard(c.signedIn(c.tokenCreate)))
	c.mux.HandleFunc("POST /admin/tokens/{id}/revoke", c.guard(c.signedIn(c.tokenRevoke)))
	c.mux.HandleFunc("GET /admin/import", c.signedIn(c.importShow))
	c.mux.HandleFunc("POST /admin/import", c.guard(c.signedIn(c.importSubmit)))
}

// ServeHTTP serves the console with its security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// Pages load only their own scripts and styles; letters are framed
	// from the console itself; no other site may frame the console.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'self'; frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	c.mux.ServeHTTP(w, r)
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// home sends each role to its first page.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	me := userOf(r)
	switch me.Role {
	case "manager":
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
	case "admin":
		http.Redirect(w, r, "/admin/users", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/worklist", http.StatusSeeOther)
	}
}
