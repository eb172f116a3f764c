package pgtest

import (
	"strings"
	"testing"
)

func TestStartStopRestart(t *testing.T) {
	s := Start(t, Options{TLS: true})
	out, err := s.Psql("", "SELECT 40+2")
	if err != nil || !strings.Contains(out, "42") {
		t.Fatalf("psql: %v %s", err, out)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Psql("", "SELECT 1"); err == nil {
		t.Fatal("query succeeded on a stopped server")
	}
	if err := s.StartServer(); err != nil {
		t.Fatal(err)
	}
	if out, err := s.Psql("", "SHOW ssl"); err != nil || !strings.Contains(out, "on") {
		t.Fatalf("after restart: %v %s", err, out)
	}
}
