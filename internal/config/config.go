// Package config reads settings from the environment. A missing or
// malformed setting is reported as one line naming the variable.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Lookup finds an environment variable (os.LookupEnv in production).
type Lookup func(name string) (string, bool)

// Env reads typed settings and remembers the first problem, so a service
// can read all its settings and then check Err once.
type Env struct {
	lookup Lookup
	errs   []error
}

// NewEnv reads through lookup.
func NewEnv(lookup Lookup) *Env { return &Env{lookup: lookup} }

// Err returns the first problem met, or nil.
func (e *Env) Err() error { return errors.Join(e.errs...) }

func (e *Env) fail(name, format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf("config: %s %s", name, fmt.Sprintf(format, args...)))
}

// Fail records a problem with a setting that a caller checked itself
// (opening what it names, for instance).
func (e *Env) Fail(name, format string, args ...any) { e.fail(name, format, args...) }

func (e *Env) raw(name string) (string, bool) {
	v, ok := e.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

// String returns the variable or def when unset.
func (e *Env) String(name, def string) string {
	if v, ok := e.raw(name); ok {
		return v
	}
	return def
}

// Required returns the variable and records a problem when it is unset.
func (e *Env) Required(name string) string {
	v, ok := e.raw(name)
	if !ok {
		e.fail(name, "is required and not set")
	}
	return v
}

// Int returns an integer variable or def.
func (e *Env) Int(name string, def int) int {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.fail(name, "must be an integer, got %q", v)
		return def
	}
	return n
}

// Bool returns a boolean variable (true/false/1/0) or def.
func (e *Env) Bool(name string, def bool) bool {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail(name, "must be true or false, got %q", v)
		return def
	}
	return b
}

// Duration returns a Go duration variable ("30s") or def.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.fail(name, "must be a duration such as 30s or 5m, got %q", v)
		return def
	}
	return d
}

// URL returns an absolute http(s) URL variable or def (which may be empty).
func (e *Env) URL(name, def string) string {
	v, ok := e.raw(name)
	if !ok {
		return def
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		e.fail(name, "must be an absolute http(s) URL, got %q", v)
		return def
	}
	return v
}

// List returns a comma-separated variable as a slice (empty entries dropped).
func (e *Env) List(name string) []string {
	v, ok := e.raw(name)
	if !ok {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// OneOf returns the variable, which must be one of allowed, or def.
func (e *Env) OneOf(name, def string, allowed ...string) string {
	v := e.String(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	e.fail(name, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	return def
}

// Common holds the settings every service reads.
type Common struct {
	// DatabaseURL is the Postgres connection string (DATABASE_URL).
	DatabaseURL string
	// HTTPAddr is where the service listens (HTTP_ADDR).
	HTTPAddr string
	// LogLevel is debug, info, warn or error (LOG_LEVEL).
	LogLevel string
	Temporal Temporal
}

// Temporal holds how to reach the Temporal cluster.
type Temporal struct {
	Address   string // TEMPORAL_ADDRESS
	Namespace string // TEMPORAL_NAMESPACE
	TaskQueue string // TEMPORAL_TASK_QUEUE
	APIKey    string // TEMPORAL_API_KEY (Temporal Cloud); implies TLS
	TLSCert   string // TEMPORAL_TLS_CERT: client certificate file (mTLS)
	TLSKey    string // TEMPORAL_TLS_KEY
	TLSCA     string // TEMPORAL_TLS_CA: CA bundle file for the server
	TLS       bool   // TEMPORAL_TLS: TLS with system roots
}

// ReadCommon reads the shared settings; defaultAddr is the service's own port.
func ReadCommon(e *Env, defaultAddr string) Common {
	c := Common{
		DatabaseURL: e.Required("DATABASE_URL"),
		HTTPAddr:    e.String("HTTP_ADDR", defaultAddr),
		LogLevel:    e.OneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		Temporal: Temporal{
			Address:   e.String("TEMPORAL_ADDRESS", "localhost:7233"),
			Namespace: e.String("TEMPORAL_NAMESPACE", "default"),
			TaskQueue: e.String("TEMPORAL_TASK_QUEUE", "relance-cases"),
			APIKey:    e.String("TEMPORAL_API_KEY", ""),
			TLSCert:   e.String("TEMPORAL_TLS_CERT", ""),
			TLSKey:    e.String("TEMPORAL_TLS_KEY", ""),
			TLSCA:     e.String("TEMPORAL_TLS_CA", ""),
			TLS:       e.Bool("TEMPORAL_TLS", false),
		},
	}
	if (c.Temporal.TLSCert == "") != (c.Temporal.TLSKey == "") {
		e.fail("TEMPORAL_TLS_KEY", "and TEMPORAL_TLS_CERT must be set together")
	}
	return c
}
