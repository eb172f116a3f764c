package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// SourceConfig says which objects hold transactions and how to parse them.
type SourceConfig struct {
	Config
	// Exactly one of Key (one object) and Prefix (every object under it, in
	// lexical key order; "directory" placeholder keys ending in "/" are skipped).
	Key    string
	Prefix string
	// Options are the parse options. When Options.Format is empty it is taken
	// from each key: ".parquet" (optionally before ".gz") means Parquet, else CSV.
	// Gzip is detected from the data itself; ".gz" keys are also marked Gzip.
	Options input.Options
	Channel string
}

func (c *SourceConfig) validate() error {
	if (c.Key == "") == (c.Prefix == "") {
		return fmt.Errorf("%w: exactly one of key and prefix must be set", ErrInvalidConfig)
	}
	return nil
}

// Sources lists the objects and returns one input.Source per object, in
// lexical key order. Objects are read lazily when the engine opens them; ctx
// bounds those reads. An empty prefix match is ErrNotFound.
func Sources(ctx context.Context, cfg SourceConfig) ([]input.Source, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cl, err := cfg.client()
	if err != nil {
		return nil, err
	}
	objs, err := cfg.list(ctx, cl)
	if err != nil {
		return nil, err
	}
	out := make([]input.Source, 0, len(objs))
	for _, o := range objs {
		out = append(out, cfg.source(ctx, cl, o))
	}
	return out, nil
}

// list returns the matching objects with their sizes.
func (cfg *SourceConfig) list(ctx context.Context, cl *minio.Client) ([]minio.ObjectInfo, error) {
	if cfg.Key != "" {
		info, err := cl.StatObject(ctx, cfg.Bucket, cfg.Key, minio.StatObjectOptions{})
		if err != nil && kindOf(err) == ErrPermission {
			err = explain(ctx, cl, cfg.Bucket, cfg.Key, err)
		}
		if err != nil {
			if kindOf(err) == ErrNotFound {
				// Tell a missing bucket from a missing key.
				if bErr := cfg.checkBucket(ctx, cl); bErr != nil {
					return nil, bErr
				}
			}
			return nil, cfg.wrap("object "+cfg.Key, err)
		}
		return []minio.ObjectInfo{info}, nil
	}
	var objs []minio.ObjectInfo
	for o := range cl.ListObjects(ctx, cfg.Bucket, minio.ListObjectsOptions{Prefix: cfg.Prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, cfg.wrap("list "+cfg.Bucket+"/"+cfg.Prefix, o.Err)
		}
		if strings.HasSuffix(o.Key, "/") {
			continue
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		if err := cfg.checkBucket(ctx, cl); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("objectstore: no objects under %s/%s: %w", cfg.Bucket, cfg.Prefix, ErrNotFound)
	}
	slices.SortFunc(objs, func(a, b minio.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return objs, nil
}

func (cfg *SourceConfig) source(ctx context.Context, cl *minio.Client, o minio.ObjectInfo) input.Source {
	opts := cfg.Options
	key, size := o.Key, o.Size
	base := strings.ToLower(path.Base(key))
	if strings.HasSuffix(base, ".gz") {
		opts.Gzip = true
		base = strings.TrimSuffix(base, ".gz")
	}
	if opts.Format == "" {
		opts.Format = "csv"
		if strings.HasSuffix(base, ".parquet") {
			opts.Format = "parquet"
		}
	}
	name := "s3://" + cfg.Bucket + "/" + key
	get := func() (*minio.Object, error) {
		obj, err := cl.GetObject(ctx, cfg.Bucket, key, minio.GetObjectOptions{})
		if err != nil {
			return nil, cfg.wrap("get "+name, err)
		}
		return obj, nil
	}
	src := input.Source{
		Name: name, Channel: cfg.Channel, Options: opts,
		Open: func() (io.ReadCloser, error) {
			obj, err := get()
			if err != nil {
				return nil, err
			}
			return &objReader{obj: obj, cfg: &cfg.Config, name: name}, nil
		},
	}
	if opts.Format == "parquet" && !opts.Gzip {
		// Parquet needs random access; minio objects serve ReadAt with range requests.
		src.OpenAt = func() (input.ReaderAtCloser, error) {
			obj, err := get()
			if err != nil {
				return nil, err
			}
			return &objAt{objReader{obj: obj, cfg: &cfg.Config, name: name}, size}, nil
		}
	}
	return src
}

// explain replaces a HEAD request's bodiless 403 with the store's own error
// code, fetched by a one-byte GET: it tells bad credentials from missing rights.
func explain(ctx context.Context, cl *minio.Client, bucket, key string, headErr error) error {
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(0, 0); err != nil {
		return headErr
	}
	obj, err := cl.GetObject(ctx, bucket, key, opts)
	if err == nil {
		defer obj.Close()
		_, err = obj.Read(make([]byte, 1))
	}
	if err != nil && err != io.EOF && minio.ToErrorResponse(err).Code != "" {
		return err
	}
	return headErr
}

// objReader classifies read errors (minio-go reports request failures lazily, on first read).
type objReader struct {
	obj  *minio.Object
	cfg  *Config
	name string
}

func (r *objReader) Read(p []byte) (int, error) {
	n, err := r.obj.Read(p)
	if err != nil && err != io.EOF {
		err = r.cfg.wrap("read "+r.name, err)
	}
	return n, err
}

func (r *objReader) Close() error { return r.obj.Close() }

type objAt struct {
	objReader
	size int64
}

func (r *objAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.obj.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = r.cfg.wrap("read "+r.name, err)
	}
	return n, err
}

func (r *objAt) Size() int64 { return r.size }

// errStop ends a probe read after the first row.
var errStop = errors.New("probe: enough rows")

type firstRow struct{}

func (firstRow) Record(*input.Record) error             { return errStop }
func (firstRow) Reject(int64, txn.RejectReason, string) {}

// Probe checks the credentials, that the bucket and the key (or at least one
// object under the prefix) exist, and that the first object's columns resolve
// with the mapping. Errors wrap ErrAuthFailed, ErrUnreachable, ErrTLS,
// ErrNotFound, ErrPermission, ErrSchemaMismatch or ErrInvalidConfig.
func Probe(ctx context.Context, cfg SourceConfig) error {
	srcs, err := Sources(ctx, cfg)
	if err != nil {
		return err
	}
	err = input.Read(ctx, srcs[0], firstRow{})
	switch {
	case err == nil, errors.Is(err, errStop):
		return nil
	case kindOf(err) != nil, errors.Is(err, ErrAuthFailed), errors.Is(err, ErrNotFound), errors.Is(err, ErrUnreachable),
		errors.Is(err, ErrPermission), errors.Is(err, ErrTLS), errors.Is(err, ErrTimeout), errors.Is(err, context.Canceled):
		return err
	default:
		// The reader's remaining source-level errors are about the content:
		// unknown or unmapped columns, a file that is not CSV/Parquet.
		return fmt.Errorf("objectstore: %s: %w: %w", srcs[0].Name, ErrSchemaMismatch, err)
	}
}
