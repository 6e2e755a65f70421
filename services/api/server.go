package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/serviceerror"
	"golang.org/x/crypto/bcrypt"

	"github.com/relance/relance/internal/caseclient"
	"github.com/relance/relance/internal/documents"
	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/httpx"
	"github.com/relance/relance/internal/intake"
	"github.com/relance/relance/internal/pgtext"
	"github.com/relance/relance/internal/store"
	"github.com/relance/relance/internal/tokenauth"
)

// Cases is what the API asks of the collection workflow
// (caseclient.Client in production, a fake in unit tests).
type Cases interface {
	intake.CaseStarter
	Update(ctx context.Context, invoiceID, name, updateID string, arg any) (domain.CaseState, error)
	State(ctx context.Context, invoiceID string) (domain.CaseState, error)
}

// API serves the collector API under /v1.
type API struct {
	Store  *store.Store
	Cases  Cases
	Intake *intake.Importer
	Logger *slog.Logger
	// Now is the clock (time.Now when nil); dates are Paris dates.
	Now func() time.Time
	// Metrics records requests when set.
	Metrics *Metrics
	// ScoreBlockBelow is the payment-behaviour score under which a debtor's
	// order-block signal is raised (analytics.DefaultBlockBelow when 0).
	ScoreBlockBelow int
	// Documents serves stored documents (letters, packs, statements).
	Documents *documents.Archive

	// tokens checks bearer tokens; Handler makes it.
	tokens *tokenauth.Verifier
	// dummyHash is compared against when a sign-in names an unknown
	// e-mail, so it takes as long to refuse as a wrong password.
	dummyHash []byte
}

// maxBody bounds request bodies; a CSV export of MaxLines invoices fits.
const maxBody = 16 << 20

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.UTC
	}
	return loc
}()

// today is the current Paris calendar date at midnight UTC.
func (a *API) today() time.Time {
	y, m, d := a.now().In(paris).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Handler returns the gin engine with every route.
func (a *API) Handler() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(a.recover, a.observe, httpx.AnswerUnwritten(a.Logger))
	r.NoRoute(func(c *gin.Context) { problem(c, httpx.NewProblem(http.StatusNotFound, "no such route")) })
	r.NoMethod(func(c *gin.Context) {
		problem(c, httpx.NewProblem(http.StatusMethodNotAllowed, "method not allowed on this route"))
	})
	r.GET("/v1/openapi.yaml", serveOpenAPI)

	var tokens store.Querier // none in tests that only list the routes
	if a.Store != nil {
		tokens = a.Store.Pool
	}
	a.tokens = tokenauth.NewVerifier(tokens)
	a.dummyHash, _ = bcrypt.GenerateFromPassword([]byte("relance-no-such-user"), bcrypt.DefaultCost)
	// Signing in is the one call made without a token: it makes one.
	r.POST("/v1/sessions", a.createSession)
	v1 := r.Group("/v1", tokenauth.Authenticate(a.tokens))
	everyone := []string{store.RoleCollector, store.RoleManager, store.RoleAdmin, store.RoleService}
	intakeRoles := []string{store.RoleService, store.RoleManager, store.RoleAdmin}
	workers := []string{store.RoleCollector, store.RoleManager, store.RoleAdmin}
	managers := []string{store.RoleManager, store.RoleAdmin}

	v1.POST("/debtors", allow(intakeRoles...), a.createDebtor)
	v1.PUT("/debtors/:id", allow(intakeRoles...), a.putDebtor)
	v1.GET("/debtors/:id", allow(everyone...), a.getDebtor)
	v1.GET("/debtors/:id/360", allow(everyone...), a.debtor360)
	v1.GET("/debtors/:id/score", allow(everyone...), a.debtorScore)
	v1.GET("/interactions/:id/file", allow(everyone...), a.interactionFile)
	v1.GET("/documents/:id", allow(everyone...), a.getDocument)

	v1.POST("/invoices", allow(intakeRoles...), a.createInvoice)
	v1.POST(`/invoices\:bulk`, allow(intakeRoles...), a.bulkInvoices)
	v1.GET("/invoices/:id", allow(everyone...), a.getInvoice)
	v1.POST("/invoices/:id/credit-notes", allow(intakeRoles...), a.creditNote)
	v1.POST("/invoices/:id/cancel", allow(intakeRoles...), a.cancelInvoice)

	v1.GET("/cases", allow(everyone...), a.listCases)
	v1.GET("/cases/:id", allow(everyone...), a.getCase)
	v1.GET("/cases/:id/documents", allow(everyone...), a.caseDocuments)
	v1.POST("/cases/:id/promise", allow(workers...), a.promise)
	v1.POST("/cases/:id/plan", allow(workers...), a.plan)
	v1.POST("/cases/:id/hold", allow(workers...), a.hold)
	v1.POST("/cases/:id/resume", allow(workers...), a.resume)
	v1.POST("/cases/:id/notes", allow(workers...), a.note)
	v1.POST("/cases/:id/write-off", allow(managers...), a.writeOff)
	v1.POST("/cases/:id/reassign", allow(managers...), a.reassign)

	v1.GET("/worklist", allow(workers...), a.worklist)
	v1.POST("/tasks/:id/claim", allow(workers...), a.claimTask)
	v1.POST("/tasks/:id/reschedule", allow(workers...), a.rescheduleTask)
	v1.POST("/tasks/:id/complete", allow(workers...), a.completeTask)

	v1.GET("/reports/kpis", allow(managers...), a.kpis)
	v1.GET("/reports/effectiveness", allow(managers...), a.effectiveness)
	v1.GET("/reports/scores", allow(managers...), a.scoresReport)
	v1.GET("/reports/forecast", allow(managers...), a.forecast)
	v1.GET("/reports/champion-challenger", allow(managers...), a.championChallenger)
	v1.GET("/reconciliation", allow(managers...), a.latestReconciliation)
	v1.GET("/outgoing-webhooks", allow(managers...), a.outgoingWebhooks)

	v1.POST("/invoices/:id/interruptions", allow(workers...), a.recordInterruption)
	v1.GET("/reports/prescription", allow(workers...), a.prescriptionReport)
	v1.GET("/interest-rates", allow(everyone...), a.listRates)
	v1.PUT("/interest-rates/:half", allow(store.RoleAdmin), a.putRates)

	v1.POST("/tokens", allow(store.RoleAdmin), a.createToken)
	v1.GET("/tokens", allow(store.RoleAdmin), a.listTokens)
	v1.DELETE("/tokens/:id", allow(store.RoleAdmin), a.revokeToken)

	v1.GET("/me", allow(everyone...), a.me)
	v1.DELETE("/sessions/current", allow(everyone...), a.deleteSession)
	v1.GET("/users", allow(store.RoleAdmin), a.listUsers)
	v1.POST("/users", allow(store.RoleAdmin), a.createUser)
	v1.GET("/users/:id", allow(store.RoleAdmin), a.getUser)
	v1.PUT("/users/:id", allow(store.RoleAdmin), a.putUser)
	v1.POST("/users/:id/password", allow(store.RoleAdmin), a.setPassword)
	return r
}

// --- middleware ---

func (a *API) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			a.Logger.Error("panic serving request", "path", c.Request.URL.Path, "panic", fmt.Sprint(v))
			problem(c, httpx.NewProblem(http.StatusInternalServerError, "internal error"))
		}
	}()
	c.Next()
}

// Metrics are the API's request counters and latencies by route and status.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the request metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relance_api_requests_total", Help: "HTTP requests served, by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "relance_api_request_duration_seconds", Help: "HTTP request latency, by route, method and status.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 10),
		}, []string{"route", "method", "status"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (a *API) observe(c *gin.Context) {
	start := time.Now()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := fmt.Sprint(c.Writer.Status())
	elapsed := time.Since(start)
	if a.Metrics != nil {
		a.Metrics.requests.WithLabelValues(route, c.Request.Method, status).Inc()
		a.Metrics.latency.WithLabelValues(route, c.Request.Method, status).Observe(elapsed.Seconds())
	}
	attrs := []any{"method", c.Request.Method, "route", route, "status", c.Writer.Status(), "duration", elapsed}
	if tok := tokenauth.Token(c); tok.ID != "" {
		attrs = append(attrs, "token", tok.ID)
	}
	if len(c.Errors) > 0 {
		attrs = append(attrs, "err", c.Errors.String())
	}
	a.Logger.Info("request", attrs...)
}

func allow(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok := tokenauth.Token(c)
		for _, r := range roles {
			if tok.Role == r {
				c.Next()
				return
			}
		}
		problem(c, httpx.NewProblem(http.StatusForbidden, fmt.Sprintf("the %s role may not do this", tok.Role)))
	}
}

// taskOwner names who claims and completes tasks: the collector, else the token.
func taskOwner(c *gin.Context) string {
	if tok := tokenauth.Token(c); tok.CollectorID != "" {
		return tok.CollectorID
	}
	return tokenauth.Token(c).ID
}

// --- responses ---

func problem(c *gin.Context, p httpx.Problem) {
	httpx.Write(c.Writer, p)
	c.Abort()
}

func fieldProblem(c *gin.Context, status int, field, reason string) {
	problem(c, httpx.FieldProblem(status, domain.FieldError{Field: field, Reason: reason}))
}

func invalid(c *gin.Context, field, reason string) {
	fieldProblem(c, http.StatusUnprocessableEntity, field, reason)
}

func notFound(c *gin.Context, what string) {
	problem(c, httpx.NewProblem(http.StatusNotFound, what+" not found"))
}

// fail answers an unexpected error: field errors become 422, the rest 500
// (logged here, with no internals sent to the caller).
func (a *API) fail(c *gin.Context, err error) {
	var fe domain.FieldError
	if errors.As(err, &fe) {
		problem(c, httpx.FieldProblem(http.StatusUnprocessableEntity, fe))
		return
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		problem(c, httpx.NewProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body exceeds %d bytes", tooBig.Limit)))
		return
	}
	if errors.Is(err, context.Canceled) {
		c.Abort()
		return
	}
	a.Logger.Error("request failed", "path", c.Request.URL.Path, "err", err)
	problem(c, httpx.NewProblem(http.StatusInternalServerError, "internal error"))
}

// caseFailed maps the case client's errors: a rejection is 422 naming the
// field, a closed case 409, no case 404, Temporal unreachable 503.
func (a *API) caseFailed(c *gin.Context, err error) {
	var rej *caseclient.RejectedError
	switch {
	case errors.Is(err, caseclient.ErrCaseClosed):
		problem(c, httpx.NewProblem(http.StatusConflict, "the case is closed: nothing was changed"))
	case errors.As(err, &rej):
		p := httpx.NewProblem(http.StatusUnprocessableEntity, rej.Reason)
		if rej.Field != "" {
			p = httpx.FieldProblem(http.StatusUnprocessableEntity, domain.FieldError{Field: rej.Field, Reason: rej.Reason})
		}
		problem(c, p)
	case errors.Is(err, caseclient.ErrCaseNotFound):
		problem(c, httpx.NewProblem(http.StatusNotFound, "no case runs for this invoice"))
	case isUnavailable(err):
		a.Logger.Warn("case engine unavailable", "path", c.Request.URL.Path, "err", err)
		problem(c, httpx.NewProblem(http.StatusServiceUnavailable, "the case engine is unavailable: retry with the same Idempotency-Key"))
	default:
		a.fail(c, err)
	}
}

func isUnavailable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded)
}

// decode reads a JSON body into v: malformed JSON is 400, a wrong type or
// an unknown field 422 naming it. It answers and returns false on error.
func decode(c *gin.Context, v any) bool {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			problem(c, httpx.NewProblem(http.StatusRequestEntityTooLarge, "the body is too large"))
			return false
		}
		problem(c, httpx.NewProblem(http.StatusBadRequest, "cannot read the body"))
		return false
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	// Go decodes what Postgres cannot store (a \u0000 escape): refuse it
	// here, before a case is updated and its audit line then fails.
	if err := pgtext.CheckJSON(body); err != nil {
		fieldProblem(c, http.StatusBadRequest, "body", err.Error())
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			field := typeErr.Field
			if field == "" {
				field = "body"
			}
			invalid(c, field, "must be a "+typeErr.Type.String())
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
			problem(c, httpx.NewProblem(http.StatusBadRequest, "malformed JSON: "+err.Error()))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			invalid(c, strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a known field")
		default:
			invalid(c, "body", err.Error())
		}
		return false
	}
	if dec.More() {
		problem(c, httpx.NewProblem(http.StatusBadRequest, "malformed JSON: one value expected"))
		return false
	}
	return true
}

// idempotencyKey is the client's Idempotency-Key, or a fresh one: a client
// that sends none gets no protection against its own retries.
func idempotencyKey(c *gin.Context) (string, bool) {
	k := strings.TrimSpace(c.GetHeader("Idempotency-Key"))
	if k == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b), true
	}
	if len(k) > 200 {
		fieldProblem(c, http.StatusBadRequest, "Idempotency-Key", "is longer than 200 characters")
		return "", false
	}
	return k, true
}

// derivedID makes a stable ID from parts, so a retried request names the
// same promise, plan or credit note.
func derivedID(prefix string, parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return prefix + hex.EncodeToString(h[:8])
}

// --- scope ---

// debtorInScope loads a debtor the caller may see; it answers 404 for a
// debtor outside a collector's portfolio, so existence does not leak.
func (a *API) debtorInScope(c *gin.Context, debtorID string) (store.Debtor, bool) {
	return a.debtorInScopeAs(c, debtorID, "debtor")
}

// debtorInScopeAs is debtorInScope for something of the debtor's (a
// document): the refusal names that thing, exactly as when it does not exist.
func (a *API) debtorInScopeAs(c *gin.Context, debtorID, what string) (store.Debtor, bool) {
	d, err := store.GetDebtor(c.Request.Context(), a.Store.Pool, debtorID)
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, what)
		return d, false
	}
	if err != nil {
		a.fail(c, err)
		return d, false
	}
	if !maysee(c, d) {
		notFound(c, what)
		return d, false
	}
	return d, true
}

func maysee(c *gin.Context, d store.Debtor) bool {
	tok := tokenauth.Token(c)
	return tok.Role != store.RoleCollector || d.CollectorID == tok.CollectorID
}

// invoiceInScope loads an invoice and its debtor if the caller may see them.
func (a *API) invoiceInScope(c *gin.Context, invoiceID string) (store.Invoice, store.Debtor, bool) {
	return a.invoiceInScopeAs(c, invoiceID, "invoice")
}

// invoiceInScopeAs is invoiceInScope for something of the invoice's case
// (a document): the refusal names that thing, exactly as when it does not exist.
func (a *API) invoiceInScopeAs(c *gin.Context, invoiceID, what string) (store.Invoice, store.Debtor, bool) {
	inv, err := store.GetInvoice(c.Request.Context(), a.Store.Pool, invoiceID)
	if errors.Is(err, store.ErrNotFound) {
		notFound(c, what)
		return inv, store.Debtor{}, false
	}
	if err != nil {
		a.fail(c, err)
		return inv, store.Debtor{}, false
	}
	d, err := store.GetDebtor(c.Request.Context(), a.Store.Pool, inv.DebtorID)
	if err != nil {
		a.fail(c, err)
		return inv, d, false
	}
	if !maysee(c, d) {
		notFound(c, what)
		return inv, d, false
	}
	return inv, d, true
}
