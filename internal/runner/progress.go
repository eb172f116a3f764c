package runner

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/input"
)

// Progress logs a run's phases and, while reading, rows read, the read rate
// and, when every source's size is known, bytes read and an ETA. It is safe
// for concurrent use (the readers report from several goroutines).
type Progress struct {
	Log logr.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu       sync.Mutex
	start    time.Time
	lastRows int64

	sources    int          // sources wrapped
	sized      atomic.Int64 // sources whose size is known
	totalBytes atomic.Int64 // sum of known sizes
	readBytes  atomic.Int64
}

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Wrap counts the bytes read from srcs. A source's size is learnt from its
// random-access reader (files, object-store objects); a stream of unknown
// length (HTTP) leaves the ETA out.
func (p *Progress) Wrap(srcs []input.Source) []input.Source {
	p.start = p.now()
	out := make([]input.Source, len(srcs))
	for i, s := range srcs {
		p.sources++
		sized := &sync.Once{}
		if open := s.Open; open != nil {
			s.Open = func() (io.ReadCloser, error) {
				rc, err := open()
				if err != nil {
					return nil, err
				}
				return &countingReader{ReadCloser: rc, n: &p.readBytes}, nil
			}
		}
		if openAt := s.OpenAt; openAt != nil {
			s.OpenAt = func() (input.ReaderAtCloser, error) {
				ra, err := openAt()
				if err != nil {
					return nil, err
				}
				// Parallel readers open a source several times; count its size once.
				sized.Do(func() {
					p.totalBytes.Add(ra.Size())
					p.sized.Add(1)
				})
				return &countingReaderAt{ReaderAtCloser: ra, n: &p.readBytes}, nil
			}
		}
		out[i] = s
	}
	return out
}

// Estimate returns the read rate in rows per second and, when the total size
// is known and some bytes were read, the seconds left at the current pace.
func Estimate(rows, readBytes, totalBytes int64, elapsed time.Duration) (rowsPerSecond float64, etaSeconds float64, etaKnown bool) {
	secs := elapsed.Seconds()
	if secs <= 0 {
		return 0, 0, false
	}
	rowsPerSecond = float64(rows) / secs
	if totalBytes <= 0 || readBytes <= 0 {
		return rowsPerSecond, 0, false
	}
	left := totalBytes - readBytes
	if left < 0 {
		left = 0 // readers may re-read range boundaries
	}
	return rowsPerSecond, secs * float64(left) / float64(readBytes), true
}

// Event is the engine's progress callback.
func (p *Progress) Event(e engine.Event) {
	if e.Stage != "read" {
		p.Log.Info("progress", "phase", e.Stage, "detail", e.Msg)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// The readers report about every million rows; never more often than that.
	if e.Rows-p.lastRows < 1_000_000 {
		return
	}
	p.lastRows = e.Rows
	elapsed := p.now().Sub(p.start)
	read, total := p.readBytes.Load(), p.totalBytes.Load()
	if int(p.sized.Load()) != p.sources {
		total = 0 // some source has no known size: no honest ETA
	}
	rate, eta, ok := Estimate(e.Rows, read, total, elapsed)
	kv := []any{"phase", "read", "rows", e.Rows, "rowsPerSecond", int64(rate), "elapsedSeconds", int64(elapsed.Seconds())}
	if ok {
		kv = append(kv, "bytesRead", read, "bytesTotal", total, "etaSeconds", int64(eta+0.5))
	}
	p.Log.Info("progress", kv...)
}

type countingReader struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n.Add(int64(n))
	return n, err
}

type countingReaderAt struct {
	input.ReaderAtCloser
	n *atomic.Int64
}

func (c *countingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.ReaderAtCloser.ReadAt(b, off)
	c.n.Add(int64(n))
	return n, err
}
