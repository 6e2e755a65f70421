package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics count webhook requests and the events they carried.
type Metrics struct {
	Requests *prometheus.CounterVec // provider, code
	Events   *prometheus.CounterVec // provider, result: recorded, duplicate, unknown
}

// NewMetrics registers the service's counters on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relance_delivery_webhook_requests_total",
			Help: "Delivery webhook requests by provider and HTTP status (401: forged, 400: stale or malformed, 503: retry).",
		}, []string{"provider", "code"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relance_delivery_events_total",
			Help: "Verified delivery events by provider and result (recorded, duplicate, unknown message).",
		}, []string{"provider", "result"}),
	}
	reg.MustRegister(m.Requests, m.Events)
	return m
}

func (m *Metrics) event(provider, result string) {
	if m != nil {
		m.Events.WithLabelValues(provider, result).Inc()
	}
}

// count wraps the routes to count each request by provider and status.
func (m *Metrics) count(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		provider, ok := strings.CutPrefix(r.URL.Path, "/v1/webhooks/")
		if !ok || strings.Contains(provider, "/") {
			provider = "other"
		}
		m.Requests.WithLabelValues(provider, strconv.Itoa(rec.code)).Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}
