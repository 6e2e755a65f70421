package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/store"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// CaseUpdater is the part of the case client the portal uses: the same
// validated updates the collector API sends.
type CaseUpdater interface {
	Update(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error)
}

// Settings are the portal's own settings.
type Settings struct {
	// BaseURL is the portal's public URL; links and return URLs start with it.
	BaseURL      string
	CreditorName string
	// IBAN and BIC of the creditor's account, shown for transfers.
	IBAN, BIC string
	// MaxAttachment bounds a dispute's file.
	MaxAttachment int64
}

// Portal serves the debtor portal.
type Portal struct {
	Store    *store.Store
	Cases    CaseUpdater
	Checkout CheckoutProvider
	// Local is the stand-in for Stripe Checkout, nil when Stripe is used.
	Local    *LocalCheckout
	Limiter  *Limiter
	Logger   *slog.Logger
	Settings Settings
	Now      func() time.Time

	pages map[string]*template.Template
}

// Init parses the embedded templates; call it once before serving.
func (p *Portal) Init() error {
	p.pages = map[string]*template.Template{}
	for _, name := range []string{"neutral", "landing", "home", "transfer", "statement", "checkout"} {
		t, err := template.New(name).ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		p.pages[name] = t
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Limiter == nil {
		p.Limiter = NewLimiter(20, 15*time.Minute)
	}
	return nil
}

// Router returns the portal's routes.
func (p *Portal) Router() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFiles, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(http.FileServerFS(static))))
	mux.HandleFunc("GET /{$}", p.landing)
	mux.HandleFunc("GET /p/{token}", p.withLink(p.home))
	mux.HandleFunc("GET /p/{token}/statement", p.withLink(p.statement))
	mux.HandleFunc("GET /p/{token}/transfer/{number}", p.withLink(p.transfer))
	mux.HandleFunc("POST /p/{token}/pay", p.withLink(p.pay))
	mux.HandleFunc("POST /p/{token}/promise", p.withLink(p.action(p.doPromise)))
	mux.HandleFunc("POST /p/{token}/plan", p.withLink(p.action(p.doPlan)))
	mux.HandleFunc("POST /p/{token}/dispute", p.withLink(p.action(p.doDispute)))
	mux.HandleFunc("POST /p/{token}/message", p.withLink(p.action(p.doMessage)))
	mux.HandleFunc("POST /p/{token}/consent", p.withLink(p.action(p.doConsent)))
	if p.Local != nil {
		mux.HandleFunc("GET /checkout/{id}", p.localCheckoutPage)
		mux.HandleFunc("POST /checkout/{id}", p.localCheckoutPay)
	}
	return secure(mux)
}

// secure sets the headers every page carries: the token in the URL must
// not leak through a Referer, and no page may be framed.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self' https://checkout.stripe.com")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

func cacheFor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// session is what a request through a valid link knows.
type session struct {
	Link   store.PortalLink
	Debtor store.Debtor
	Lang   lang
	// Base is the path of the link's pages (/p/<token>).
	Base string
}

// clientAddr is the address failures are counted against.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// withLink resolves the token of the URL. A wrong, expired or revoked
// token, or a malformed one, gets the same neutral page and status, and
// counts against the client; a client over its limit gets the neutral
// page with 429 whatever its token.
func (p *Portal) withLink(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		client := clientAddr(r)
		if p.Limiter.Blocked(client) {
			w.Header().Set("Retry-After", "900")
			p.neutral(w, r, http.StatusTooManyRequests)
			return
		}
		token := r.PathValue("token")
		link, err := store.ResolvePortalLink(r.Context(), p.Store.Pool, token, p.Now())
		if errors.Is(err, store.ErrLinkInvalid) {
			p.Limiter.Fail(client)
			p.neutral(w, r, http.StatusNotFound)
			return
		}
		if err != nil {
			p.fail(w, r, err)
			return
		}
		debtor, err := store.GetDebtor(r.Context(), p.Store.Pool, link.DebtorID)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		s := &session{Link: link, Debtor: debtor, Base: "/p/" + token}
		s.Lang, _ = parseLang(debtor.Language)
		if l, ok := parseLang(r.URL.Query().Get("lang")); ok {
			s.Lang = l
		}
		h(w, r, s)
	}
}

// view is what every page's layout needs.
type view struct {
	L        lang
	Other    lang
	Title    string
	Creditor string
	Base     string
	Flash    string
	Error    string
	Nonce    string
	Reasons  []string
	Data     any
}

func (p *Portal) newView(s *session, title string) *view {
	v := &view{L: fr, Other: en, Creditor: p.Settings.CreditorName, Reasons: disputeReasons}
	if s != nil {
		v.L, v.Base = s.Lang, s.Base
		if v.L == en {
			v.Other = fr
		}
	}
	v.Title = v.L.T(title)
	v.Nonce = rand.Text()
	return v
}

// render writes page with status; a template error is ours (500).
func (p *Portal) render(w http.ResponseWriter, r *http.Request, status int, page string, v *view) {
	var buf bytes.Buffer
	if err := p.pages[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		p.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// neutral is the one answer to every link that does not open a space.
func (p *Portal) neutral(w http.ResponseWriter, r *http.Request, status int) {
	v := p.newView(nil, "neutral_title")
	if l, ok := parseLang(r.URL.Query().Get("lang")); ok && l == en {
		v.L, v.Other, v.Title = en, fr, en.T("neutral_title")
	}
	p.render(w, r, status, "neutral", v)
}

func (p *Portal) landing(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, "landing", p.newView(nil, "title"))
}

// fail answers an error of ours: logged, a plain 500 page.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	p.Logger.Error("portal request failed", "path", redact(r.URL.Path), "err", err)
	http.Error(w, "Erreur interne, réessayez plus tard. / Internal error, please try again later.", http.StatusInternalServerError)
}

// redact hides the token of a /p/ path in logs.
func redact(path string) string {
	if rest, ok := strings.CutPrefix(path, "/p/"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return "/p/…" + rest[i:]
		}
		return "/p/…"
	}
	return path
}
