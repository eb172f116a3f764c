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
func (c *SourceConfig) list(ctx context.Context, cl *minio.Client) ([]minio.ObjectInfo, error) {
	if c.Key != "" {
		info, err := cl.StatObject(ctx, c.Bucket, c.Key, minio.StatObjectOptions{})
		if err != nil && errors.Is(kindOf(err), ErrPermission) {
			err = explain(ctx, cl, c.Bucket, c.Key, err)
		}
		if err != nil {
			if errors.Is(kindOf(err), ErrNotFound) {
				// Tell a missing bucket from a missing key.
				if bErr := c.checkBucket(ctx, cl); bErr != nil {
					return nil, bErr
				}
			}
			return nil, c.wrap("object "+c.Key, err)
		}
		return []minio.ObjectInfo{info}, nil
	}
	var objs []minio.ObjectInfo
	for o := range cl.ListObjects(ctx, c.Bucket, minio.ListObjectsOptions{Prefix: c.Prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, c.wrap("list "+c.Bucket+"/"+c.Prefix, o.Err)
		}
		if strings.HasSuffix(o.Key, "/") {
			continue
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 {
		if err := c.checkBucket(ctx, cl); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("objectstore: no objects under %s/%s: %w", c.Bucket, c.Prefix, ErrNotFound)
	}
	slices.SortFunc(objs, func(a, b minio.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return objs, nil
}

func (c *SourceConfig) source(ctx context.Context, cl *minio.Client, o minio.ObjectInfo) input.Source {
	opts := c.Options
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
	name := "s3://" + c.Bucket + "/" + key
	get := func() (*minio.Object, error) {
		obj, err := cl.GetObject(ctx, c.Bucket, key, minio.GetObjectOptions{})
		if err != nil {
			return nil, c.wrap("get "+name, err)
		}
		return obj, nil
	}
	src := input.Source{
		Name: name, Channel: c.Channel, Options: opts,
		Open: func() (io.ReadCloser, error) {
			obj, err := get()
			if err != nil {
				return nil, err
			}
			return &objReader{obj: obj, cfg: &c.Config, name: name}, nil
		},
	}
	if opts.Format == "parquet" && !opts.Gzip {
		// Parquet needs random access; minio objects serve ReadAt with range requests.
		src.OpenAt = func() (input.ReaderAtCloser, error) {
			obj, err := get()
			if err != nil {
				return nil, err
			}
			return &objAt{objReader{obj: obj, cfg: &c.Config, name: name}, size}, nil
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
	if err != nil && !errors.Is(err, io.EOF) && minio.ToErrorResponse(err).Code != "" {
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
	if err != nil && !errors.Is(err, io.EOF) {
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
	if err != nil && !errors.Is(err, io.EOF) {
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
