package config

import (
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) *Env {
	return NewEnv(func(k string) (string, bool) { v, ok := m[k]; return v, ok })
}

func TestReadCommonDefaults(t *testing.T) {
	e := envOf(map[string]string{"DATABASE_URL": "postgres://x/y"})
	c := ReadCommon(e, ":8080")
	if err := e.Err(); err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8080" || c.Temporal.Address != "localhost:7233" || c.Temporal.TaskQueue != "relance-cases" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"DATABASE_URL":     {},
		"LOG_LEVEL":        {"DATABASE_URL": "x", "LOG_LEVEL": "loud"},
		"TEMPORAL_TLS":     {"DATABASE_URL": "x", "TEMPORAL_TLS": "maybe"},
		"TEMPORAL_TLS_KEY": {"DATABASE_URL": "x", "TEMPORAL_TLS_CERT": "/c.pem"},
	}
	for name, env := range cases {
		e := envOf(env)
		ReadCommon(e, ":1")
		err := e.Err()
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("want an error naming %s, got %v", name, err)
		}
		if err != nil && strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("error for %s spans several lines: %q", name, err)
		}
	}
}

func TestTypedReaders(t *testing.T) {
	e := envOf(map[string]string{"N": "12", "D": "90s", "U": "ftp://x", "L": " a, ,b "})
	if e.Int("N", 0) != 12 || e.Duration("D", 0) != 90*time.Second {
		t.Fatal("int or duration misread")
	}
	if got := e.List("L"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("List = %v", got)
	}
	if e.URL("U", "") != "" || e.Err() == nil || !strings.Contains(e.Err().Error(), "U must be an absolute") {
		t.Fatalf("bad URL accepted: %v", e.Err())
	}
}
