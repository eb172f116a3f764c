package objectstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/crmlens/crmlens/analytics/store/retention"
)

// EraseResult counts what Erase changed.
type EraseResult struct {
	// Lines is the number of per-customer lines (CSV rows, Parquet rows,
	// JSON entries) removed.
	Lines int64
	// Objects is the number of objects rewritten or deleted.
	Objects int64
}

// maxEraseObject bounds an object Erase rewrites in memory.
const maxEraseObject = 2 << 30

// Erase rewrites every object of the model's run folders without the
// customers' lines: customers.csv and customers.parquet lose their rows,
// JSON documents lose the entries that name them, and any other object that
// mentions one of them (such as report.html) is deleted. Staging leftovers
// are deleted. The run's _COMPLETE marker keeps its place and its customer
// count is lowered. Running it again changes nothing. ids are the values
// stored (pseudonyms when the owner pseudonymises).
func Erase(ctx context.Context, cfg SinkConfig, ids []string) (EraseResult, error) {
	var res EraseResult
	if len(ids) == 0 {
		return res, nil
	}
	cl, err := cfg.client()
	if err != nil {
		return res, err
	}
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	dir := cfg.modelDir()
	var keys []string
	for o := range cl.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
		if o.Err != nil {
			return res, cfg.wrap("list "+dir, o.Err)
		}
		keys = append(keys, o.Key)
	}
	removedPerRun := map[string]int64{}
	for _, key := range keys {
		rel := strings.TrimPrefix(key, dir)
		run, name, _ := strings.Cut(rel, "/")
		if run == stagingDir {
			// Unpublished leftovers: nothing reads them, so they go whole.
			if err := removeObject(ctx, cl, &cfg, key); err != nil {
				return res, err
			}
			res.Objects++
			continue
		}
		if name == CompleteMarker {
			continue
		}
		body, err := getObject(ctx, cl, &cfg, key)
		if err != nil {
			return res, err
		}
		out, n, del, err := scrub(name, body, drop)
		if err != nil {
			return res, fmt.Errorf("objectstore: erase %s: %w", key, err)
		}
		switch {
		case del:
			if err := removeObject(ctx, cl, &cfg, key); err != nil {
				return res, err
			}
			res.Objects++
		case n > 0:
			if _, err := cl.PutObject(ctx, cfg.Bucket, key, bytes.NewReader(out), int64(len(out)),
				minio.PutObjectOptions{ContentType: contentType(key)}); err != nil {
				return res, cfg.wrap("rewrite "+key, err)
			}
			res.Objects++
		}
		res.Lines += n
		if name == CustomersCSV || name == CustomersParquet {
			removedPerRun[run] += n
		}
	}
	for run, n := range removedPerRun {
		if n == 0 {
			continue
		}
		if err := lowerMarkerCount(ctx, cl, &cfg, cfg.runDir(run)+CompleteMarker, n); err != nil {
			return res, err
		}
	}
	return res, nil
}

func getObject(ctx context.Context, cl *minio.Client, cfg *SinkConfig, key string) ([]byte, error) {
	o, err := cl.GetObject(ctx, cfg.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, cfg.wrap("get "+key, err)
	}
	defer o.Close()
	b, err := io.ReadAll(io.LimitReader(o, maxEraseObject+1))
	if err != nil {
		return nil, cfg.wrap("get "+key, err)
	}
	if len(b) > maxEraseObject {
		return nil, fmt.Errorf("%w: object %s is larger than %d bytes", ErrInvalidConfig, key, maxEraseObject)
	}
	return b, nil
}

func removeObject(ctx context.Context, cl *minio.Client, cfg *SinkConfig, key string) error {
	if err := cl.RemoveObject(ctx, cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil && !errors.Is(kindOf(err), ErrNotFound) {
		return cfg.wrap("remove "+key, err)
	}
	return nil
}

func lowerMarkerCount(ctx context.Context, cl *minio.Client, cfg *SinkConfig, key string, n int64) error {
	b, err := getObject(ctx, cl, cfg, key)
	if err != nil {
		if errors.Is(kindOf(err), ErrNotFound) {
			return nil
		}
		return err
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	if c, ok := m["customers"].(float64); ok {
		m["customers"] = max(int64(c)-n, 0)
	}
	out, _ := json.Marshal(m)
	if _, err := cl.PutObject(ctx, cfg.Bucket, key, bytes.NewReader(out), int64(len(out)), minio.PutObjectOptions{ContentType: contentType(key)}); err != nil {
		return cfg.wrap("rewrite "+key, err)
	}
	return nil
}

// DeleteRuns removes whole run folders (marker first, so a run being
// deleted is never seen half-present).
func DeleteRuns(ctx context.Context, cfg SinkConfig, runIDs []string) error {
	cl, err := cfg.client()
	if err != nil {
		return err
	}
	for _, run := range runIDs {
		if !validSegment(run) {
			continue
		}
		dir := cfg.runDir(run)
		if err := removeObject(ctx, cl, &cfg, dir+CompleteMarker); err != nil {
			return err
		}
		for o := range cl.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: dir, Recursive: true}) {
			if o.Err != nil {
				return cfg.wrap("list "+dir, o.Err)
			}
			if err := removeObject(ctx, cl, &cfg, o.Key); err != nil {
				return err
			}
		}
	}
	return nil
}

// ApplyRetention deletes the complete runs p expires at now and returns
// their IDs.
func ApplyRetention(ctx context.Context, cfg SinkConfig, p retention.Policy, now time.Time) ([]string, error) {
	runs, err := CompleteRuns(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rr := make([]retention.Run, len(runs))
	for i, r := range runs {
		rr[i] = retention.Run{ID: r.ID, FinishedAt: r.FinishedAt}
	}
	drop := retention.Expired(rr, p, now)
	return drop, DeleteRuns(ctx, cfg, drop)
}
