package objectstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/store/retention"
)

// Object names inside a run directory.
const (
	CustomersCSV     = "customers.csv"
	CustomersParquet = "customers.parquet"
	ResultJSON       = "result.json"
	// CompleteMarker is written last, after every other object of the run is in
	// place. Readers must treat a run directory without it as not there.
	CompleteMarker = "_COMPLETE"
	stagingDir     = ".staging"
)

// SinkConfig says where a run's results go:
//
//	<Prefix>/<Namespace>/<Name>/<RunID>/customers.csv (or .parquet)
//	<Prefix>/<Namespace>/<Name>/<RunID>/result.json
//	<Prefix>/<Namespace>/<Name>/<RunID>/_COMPLETE   (written last)
//
// Objects are first uploaded under <Prefix>/<Namespace>/<Name>/.staging/<RunID>/,
// then copied into the run directory (server-side copy: up to 5 GiB per
// object, S3's single-copy limit); the marker follows, then the staging copies
// are deleted. An interrupted run leaves no marker, so no reader sees it:
// readers must list runs with CompleteRuns (or check for the marker).
type SinkConfig struct {
	Config
	Prefix          string
	Namespace, Name string
	RunID           string
	Format          string          // "csv" (default) or "parquet"
	Columns         []result.Column // per-customer columns; empty means all
	// KeepRuns is how many complete runs to keep, this one included; 0 means 3.
	KeepRuns int
	// StaleAfter is the age after which an incomplete run (or staging leftovers)
	// is removed by retention; 0 means 1h. Younger ones may be another writer's.
	StaleAfter time.Duration
	// PartSize is the multipart upload part size; 0 means 8 MiB.
	PartSize uint64
	// MaxAge deletes complete runs that finished longer ago than this when
	// a run publishes (0: no age limit); the run published is kept.
	MaxAge time.Duration
}

// AllColumns are the per-customer columns written when SinkConfig.Columns is empty.
var AllColumns = []result.Column{
	result.ColCustomer, result.ColRecencyDays, result.ColFrequency, result.ColMonetary, result.ColAOV,
	result.ColFirstPurchase, result.ColLastPurchase, result.ColR, result.ColF, result.ColM, result.ColRFM,
	result.ColSegment, result.ColStage, result.ColCluster, result.ColPAlive, result.ColExpectedPurchases, result.ColCLV,
	result.ColRepeatPurchases, result.ColRecencyTx, result.ColAgeT, result.ColExpectedSpend,
}

func validSegment(s string) bool {
	return s != "" && !strings.HasPrefix(s, ".") && !strings.ContainsAny(s, "/\\")
}

func (c *SinkConfig) modelDir() string {
	return strings.Trim(path.Join(c.Prefix, c.Namespace, c.Name), "/") + "/"
}

func (c *SinkConfig) runDir(run string) string { return c.modelDir() + run + "/" }
func (c *SinkConfig) stagingRun(run string) string {
	return c.modelDir() + stagingDir + "/" + run + "/"
}

func (c *SinkConfig) customersName() string {
	if c.Format == "parquet" {
		return CustomersParquet
	}
	return CustomersCSV
}

// RunWriter streams one run's per-customer results to the store. It
// implements result.CustomerWriter; Close finishes the customers object (in
// staging), Finish publishes the run, Abort removes what was staged.
type RunWriter struct {
	cfg    SinkConfig
	cl     *minio.Client
	ctx    context.Context
	cancel context.CancelFunc

	cols    []result.Column
	pw      *io.PipeWriter
	cw      result.CustomerWriter
	upload  chan error
	closed  bool
	err     error
	staged  []string // object names (not keys) uploaded to staging
	written int64
}

var _ result.CustomerWriter = (*RunWriter)(nil)

// OpenRun checks the bucket and starts the streaming upload of the customers object.
func OpenRun(ctx context.Context, cfg SinkConfig) (*RunWriter, error) {
	for _, s := range []struct{ name, v string }{{"namespace", cfg.Namespace}, {"name", cfg.Name}, {"run ID", cfg.RunID}} {
		if !validSegment(s.v) {
			return nil, fmt.Errorf("%w: sink %s %q must be non-empty, without '/' and not start with '.'", ErrInvalidConfig, s.name, s.v)
		}
	}
	switch cfg.Format {
	case "", "csv", "parquet":
	default:
		return nil, fmt.Errorf("%w: sink format %q: want csv or parquet", ErrInvalidConfig, cfg.Format)
	}
	if cfg.KeepRuns == 0 {
		cfg.KeepRuns = 3
	}
	if cfg.KeepRuns < 0 {
		return nil, fmt.Errorf("%w: keepRuns must be positive", ErrInvalidConfig)
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = time.Hour
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = 8 << 20
	}
	cl, err := cfg.client()
	if err != nil {
		return nil, err
	}
	if err := cfg.checkBucket(ctx, cl); err != nil {
		return nil, err
	}
	w := &RunWriter{cfg: cfg, cl: cl, cols: cfg.Columns}
	if len(w.cols) == 0 {
		w.cols = AllColumns
	}
	w.ctx, w.cancel = context.WithCancel(ctx)
	pr, pw := io.Pipe()
	w.pw = pw
	name := cfg.customersName()
	w.upload = make(chan error, 1)
	go func() {
		_, err := cl.PutObject(w.ctx, cfg.Bucket, cfg.stagingRun(cfg.RunID)+name, pr, -1,
			minio.PutObjectOptions{ContentType: contentType(name), PartSize: cfg.PartSize})
		pr.CloseWithError(err) // unblocks the writer when the upload fails
		w.upload <- err
	}()
	w.staged = append(w.staged, name)
	if cfg.Format == "parquet" {
		w.cw = newParquetWriter(pw, w.cols)
	} else if w.cw, err = result.NewCSVWriter(pw, w.cols); err != nil {
		w.Abort()
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return w, nil
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".csv":
		return "text/csv"
	case ".json":
		return "application/json"
	case ".html":
		return "text/html; charset=utf-8"
	}
	return "application/octet-stream"
}

// Write sends one customer's row.
func (w *RunWriter) Write(r *result.Row) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("objectstore sink: write after close")
	}
	if err := w.cw.Write(r); err != nil {
		return w.fail(w.uploadErr(err))
	}
	w.written++
	return nil
}

// uploadErr prefers the upload's own error (the pipe only says "closed").
func (w *RunWriter) uploadErr(err error) error {
	select {
	case upErr := <-w.upload:
		w.upload <- upErr
		if upErr != nil {
			return w.cfg.wrap("upload customers", upErr)
		}
	default:
	}
	return w.cfg.wrap("write customers", err)
}

func (w *RunWriter) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	w.cancel()
	if w.pw != nil {
		w.pw.CloseWithError(err)
	}
	return w.err
}

// Close finishes the customers object in staging. The run is not visible
// until Finish.
func (w *RunWriter) Close() error {
	if w.err != nil || w.closed {
		return w.err
	}
	w.closed = true
	if err := w.cw.Close(); err != nil {
		return w.fail(w.uploadErr(err))
	}
	w.pw.Close()
	if err := <-w.upload; err != nil {
		return w.fail(w.cfg.wrap("upload customers", err))
	}
	return nil
}

// Finish closes the customers object if needed, stages the result document,
// publishes the run (copy into the run directory, then the completion marker)
// and applies retention.
func (w *RunWriter) Finish(doc *result.Document) error {
	if err := w.Close(); err != nil {
		w.Abort()
		return err
	}
	ctx, cfg := w.ctx, &w.cfg
	if doc != nil {
		body, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			w.Abort()
			return fmt.Errorf("objectstore sink: encode result: %w", err)
		}
		if err := w.put(cfg.stagingRun(cfg.RunID)+ResultJSON, body); err != nil {
			w.Abort()
			return err
		}
		w.staged = append(w.staged, ResultJSON)
	}
	// A rerun of the same run ID is unpublished first, so no reader sees old and new mixed.
	if err := w.remove(cfg.runDir(cfg.RunID) + CompleteMarker); err != nil {
		w.Abort()
		return err
	}
	for _, name := range w.staged {
		src := minio.CopySrcOptions{Bucket: cfg.Bucket, Object: cfg.stagingRun(cfg.RunID) + name}
		dst := minio.CopyDestOptions{Bucket: cfg.Bucket, Object: cfg.runDir(cfg.RunID) + name}
		if _, err := w.cl.CopyObject(ctx, dst, src); err != nil {
			w.Abort()
			return cfg.wrap("publish "+name, err)
		}
	}
	marker, _ := json.Marshal(map[string]any{"run": cfg.RunID, "finishedAt": time.Now().UTC(), "objects": w.staged, "customers": w.written})
	if err := w.put(cfg.runDir(cfg.RunID)+CompleteMarker, marker); err != nil {
		w.Abort()
		return err
	}
	w.dropStaging() // the run is published: the staging copies are garbage
	w.err = errors.New("objectstore sink: run already finished")
	return retain(ctx, w.cl, cfg)
}

// Attach stages an extra object (such as report.html) that Finish publishes
// with the run. name is a plain file name inside the run directory.
func (w *RunWriter) Attach(name string, body []byte) error {
	if w.err != nil {
		return w.err
	}
	if !validSegment(name) || slices.Contains(w.staged, name) || name == CompleteMarker {
		return fmt.Errorf("%w: attachment name %q", ErrInvalidConfig, name)
	}
	if err := w.put(w.cfg.stagingRun(w.cfg.RunID)+name, body); err != nil {
		return err
	}
	w.staged = append(w.staged, name)
	return nil
}

func (w *RunWriter) put(key string, body []byte) error {
	_, err := w.cl.PutObject(w.ctx, w.cfg.Bucket, key, bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: contentType(key)})
	return w.cfg.wrap("put "+key, err)
}

func (w *RunWriter) remove(key string) error {
	err := w.cl.RemoveObject(w.ctx, w.cfg.Bucket, key, minio.RemoveObjectOptions{})
	if err != nil && !errors.Is(kindOf(err), ErrNotFound) {
		return w.cfg.wrap("remove "+key, err)
	}
	return nil
}

// Abort stops the upload and deletes the staged objects (best effort, with a
// fresh context: the run's own may be the one that was cancelled).
func (w *RunWriter) Abort() {
	if w.err == nil {
		w.err = errors.New("objectstore sink: run aborted")
	}
	w.cancel()
	if w.pw != nil {
		w.pw.CloseWithError(w.err)
	}
	w.dropStaging()
}

func (w *RunWriter) dropStaging() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 30*time.Second)
	defer cancel()
	for _, name := range w.staged {
		_ = w.cl.RemoveObject(ctx, w.cfg.Bucket, w.cfg.stagingRun(w.cfg.RunID)+name, minio.RemoveObjectOptions{})
	}
	_ = w.cl.RemoveIncompleteUpload(ctx, w.cfg.Bucket, w.cfg.stagingRun(w.cfg.RunID)+w.cfg.customersName())
}

// Run is one complete run found in the store.
type Run struct {
	ID         string
	FinishedAt time.Time // the completion marker's modification time
}

// CompleteRuns lists the complete runs of the model, newest first. Runs
// without the completion marker are not listed.
func CompleteRuns(ctx context.Context, cfg SinkConfig) ([]Run, error) {
	cl, err := cfg.client()
	if err != nil {
		return nil, err
	}
	runs, _, err := scan(ctx, cl, &cfg)
	return runs, err
}

// scan lists the model directory: complete runs (newest first) and every
// other top-level entry with its newest object time.
func scan(ctx context.Context, cl *minio.Client, cfg *SinkConfig) ([]Run, map[string]time.Time, error) {
	dir := cfg.modelDir()
	var runs []Run
	other := map[string]time.Time{}
	for o := range cl.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if o.Err != nil {
			return nil, nil, cfg.wrap("list "+dir, o.Err)
		}
		rel := strings.TrimPrefix(o.Key, dir)
		top, rest, _ := strings.Cut(rel, "/")
		if top == stagingDir {
			run, _, _ := strings.Cut(rest, "/")
			top = stagingDir + "/" + run
		}
		if rest == CompleteMarker && top != stagingDir {
			runs = append(runs, Run{ID: top, FinishedAt: o.LastModified})
			continue
		}
		if o.LastModified.After(other[top]) {
			other[top] = o.LastModified
		}
	}
	slices.SortFunc(runs, func(a, b Run) int {
		if c := b.FinishedAt.Compare(a.FinishedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return runs, other, nil
}

// retain deletes complete runs beyond KeepRuns, and incomplete runs and
// staging leftovers older than StaleAfter.
func retain(ctx context.Context, cl *minio.Client, cfg *SinkConfig) error {
	runs, other, err := scan(ctx, cl, cfg)
	if err != nil {
		return err
	}
	complete := map[string]bool{}
	var drop []string
	rr := make([]retention.Run, len(runs))
	for i, r := range runs {
		complete[r.ID] = true
		rr[i] = retention.Run{ID: r.ID, FinishedAt: r.FinishedAt}
	}
	drop = retention.Expired(rr, retention.Policy{KeepRuns: cfg.KeepRuns, MaxAge: cfg.MaxAge, Current: cfg.RunID}, time.Now())
	for top, newest := range other {
		if !complete[top] && top != cfg.RunID && time.Since(newest) > cfg.StaleAfter {
			drop = append(drop, top)
		}
	}
	for _, top := range drop {
		dir := cfg.modelDir() + top + "/"
		// The marker goes first, so a run being deleted is never seen half-present.
		if err := cl.RemoveObject(ctx, cfg.Bucket, dir+CompleteMarker, minio.RemoveObjectOptions{}); err != nil && !errors.Is(kindOf(err), ErrNotFound) {
			return cfg.wrap("retention", err)
		}
		for o := range cl.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
			if o.Err != nil {
				return cfg.wrap("retention list", o.Err)
			}
			if err := cl.RemoveObject(ctx, cfg.Bucket, o.Key, minio.RemoveObjectOptions{}); err != nil && !errors.Is(kindOf(err), ErrNotFound) {
				return cfg.wrap("retention", err)
			}
		}
	}
	return nil
}

// ProbeSink checks that results can be written: the bucket exists and a
// small object can be written to and removed from the model's staging area.
func ProbeSink(ctx context.Context, cfg SinkConfig) error {
	if cfg.RunID == "" {
		cfg.RunID = "probe"
	}
	w, err := OpenRun(ctx, cfg)
	if err != nil {
		return err
	}
	defer w.Abort()
	key := cfg.stagingRun(cfg.RunID) + ".probe"
	if err := w.put(key, []byte("crmlens")); err != nil {
		return err
	}
	return w.remove(key)
}
