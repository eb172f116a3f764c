package objectstore

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/crmlens/crmlens/analytics/result"
)

// An attachment is published with the run (and only then); bad names are
// refused before anything is uploaded.
func TestSinkAttachPublishesWithRun(t *testing.T) {
	_, cfg, cl := setup(t, false)
	ctx := context.Background()
	w, err := OpenRun(ctx, sinkCfg(cfg, "run-a"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resultRows(2) {
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	page := []byte("<!doctype html><title>r</title>")
	if err := w.Attach("report.html", page); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "a/b", ".hidden", "report.html", CompleteMarker} {
		if err := w.Attach(bad, page); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Attach(%q) = %v, want ErrInvalidConfig", bad, err)
		}
	}
	if got := keys(t, cl, "results/shop-ns/rfm-model/run-a/"); len(got) != 0 {
		t.Fatalf("visible before Finish: %v", got)
	}
	if err := w.Finish(&result.Document{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"results/shop-ns/rfm-model/run-a/_COMPLETE", "results/shop-ns/rfm-model/run-a/customers.csv",
		"results/shop-ns/rfm-model/run-a/report.html", "results/shop-ns/rfm-model/run-a/result.json"}
	if got := keys(t, cl, "results/"); !reflect.DeepEqual(got, want) {
		t.Fatalf("objects = %v, want %v", got, want)
	}
	if got := string(get(t, cl, want[2])); got != string(page) {
		t.Errorf("report.html = %q", got)
	}
	st, err := cl.StatObject(ctx, "shop", want[2], minio.StatObjectOptions{})
	if err != nil || st.ContentType != "text/html; charset=utf-8" {
		t.Errorf("content type %q (%v)", st.ContentType, err)
	}
}
