package runner

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/sources"
)

// failingWriter is a result store that goes away after n rows.
type failingWriter struct{ n int }

func (w *failingWriter) Write(*result.Row) error {
	if w.n--; w.n < 0 {
		return fmt.Errorf("write row: %w", storeerr.ErrUnreachable)
	}
	return nil
}
func (w *failingWriter) Close() error { return nil }

// TestStoreWriteFailureIsTheStores: a store that fails while the analysis
// streams rows into it fails the run as StoreUnreachable, not as an
// analysis failure (which would send people to the wrong side).
func TestStoreWriteFailureIsTheStores(t *testing.T) {
	ctx := context.Background()
	src := runplan.Source{Name: "shop", Sample: &runplan.Sample{Customers: 50, Seed: 1, Months: 6}}
	srcs, err := sources.Build(ctx, src, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := EngineConfig(&runplan.Plan{Sources: []runplan.Source{src}, Analysis: runplan.Analysis{Method: "rfm"}}, srcs)
	if err != nil {
		t.Fatal(err)
	}
	w := &tee{tracker: NewTracker("uid"), next: &storeSink{w: &failingWriter{n: 5}}}
	_, err = analyze(ctx, cfg, nil, w)
	var we *storeWriteError
	if !errors.As(err, &we) {
		t.Fatalf("analysis error %v does not carry the store's failure", err)
	}
	// What Run returns for it, and the reason the controller shows.
	if got := Reason(&Failure{Reason: "Store", Err: err}); got != "StoreUnreachable" {
		t.Errorf("reason %q, want StoreUnreachable", got)
	}
}
