package s3test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func client(t *testing.T, s *Server, key, secret string, tlsOn bool) *minio.Client {
	t.Helper()
	opts := &minio.Options{Creds: credentials.NewStaticV4(key, secret, ""), Region: s.Region, BucketLookup: minio.BucketLookupPath, Secure: tlsOn}
	if tlsOn {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CACertPEM)
		opts.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	}
	c, err := minio.New(s.Endpoint, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSignatureChecked(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		s := Start(t, Options{TLS: tlsOn})
		if err := s.CreateBucket("bkt"); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		good := client(t, s, s.AccessKey, s.SecretKey, tlsOn)
		data := bytes.Repeat([]byte("crmlens "), 1000)
		if _, err := good.PutObject(ctx, "bkt", "dir/a b+c.csv", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
			t.Fatalf("put with good credentials (tls=%v): %v", tlsOn, err)
		}
		obj, err := good.GetObject(ctx, "bkt", "dir/a b+c.csv", minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(obj)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get: %v (%d bytes)", err, len(got))
		}
		for _, bad := range []*minio.Client{client(t, s, s.AccessKey, "wrong", tlsOn), client(t, s, "NOPE", s.SecretKey, tlsOn)} {
			_, err := bad.StatObject(ctx, "bkt", "dir/a b+c.csv", minio.StatObjectOptions{})
			if code := minio.ToErrorResponse(err).StatusCode; code != http.StatusForbidden {
				t.Errorf("bad credentials: status %d (%v), want 403", code, err)
			}
		}
	}
}
