package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// minPartBytes is the smallest byte range worth a goroutine of its own.
var minPartBytes int64 = 4 << 20 // a variable so tests can make small parts

// Part is one byte range of a source parsed by ReadParallel, with the handler
// that received its rows.
type Part struct {
	Handler Handler
	// LineOffset is added to the line numbers the handler saw to get physical
	// lines of the source: each part counts its lines from 1.
	LineOffset int64
}

// ReadParallel parses a CSV source with up to n goroutines. The file (after its
// header) is cut into n contiguous byte ranges at line starts; each range is
// parsed by its own goroutine into its own handler from newHandler, so handlers
// need no locking. Parts come back in file order, which lets callers merge
// partial results exactly as if the file had been read sequentially.
//
// Parquet files with OpenAt are split by row groups (line numbers are row
// indexes, offset the same way). CSV sources with OpenAt, without gzip and
// without any '"' in the data are split by bytes. A quoted field may hide a newline that the range cut would have
// treated as a line start, so when any range sees a quote the parallel results
// are discarded and the source is re-read sequentially with a fresh handler.
// Everything else (streams, gzip, single-row-group Parquet, n <= 1, small
// files) is read sequentially into one part.
func ReadParallel(ctx context.Context, src Source, n int, newHandler func() Handler) ([]Part, error) {
	sequential := func() ([]Part, error) {
		h := newHandler()
		if err := Read(ctx, src, h); err != nil {
			return nil, err
		}
		return []Part{{Handler: h}}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	if n <= 1 || src.OpenAt == nil || src.Options.Gzip {
		return sequential()
	}
	if err := src.Options.Validate(); err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	src.Options.Format = DetectFormat(src)
	if src.Options.Format == "parquet" {
		parts, err := parquetParts(ctx, src, n, newHandler)
		if err != nil || parts != nil {
			return parts, err
		}
		return sequential()
	}
	ra, err := src.OpenAt()
	if err != nil {
		return nil, fmt.Errorf("source %s: open: %w", src.Name, err)
	}
	defer ra.Close()
	size := ra.Size()
	var magic [2]byte
	if m, _ := ra.ReadAt(magic[:], 0); m == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return sequential()
	}
	delim, _ := delimiterByte(src.Options.Delimiter)
	hc := newCSVReader(io.NewSectionReader(ra, 0, size), delim, 64<<10)
	hp, err := csvHeader(hc, &src)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	if hc.sawQuote {
		return sequential()
	}
	bodyStart, headerLines := hc.offset, hc.line-1
	body := size - bodyStart
	n = int(min(int64(n), max(1, body/minPartBytes)))
	if n <= 1 {
		return sequential()
	}
	bounds := make([]int64, n+1)
	bounds[0], bounds[n] = bodyStart, size
	for k := 1; k < n; k++ {
		b, err := lineStartAfter(ra, bodyStart+int64(k)*body/int64(n), size)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", src.Name, err)
		}
		bounds[k] = max(b, bounds[k-1])
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make([]Part, n)
	lines := make([]int64, n)
	quoted := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		parts[k].Handler = newHandler()
		wg.Go(func() {
			c := newCSVReader(io.NewSectionReader(ra, bounds[k], bounds[k+1]-bounds[k]), delim, bufSize)
			p := newRowParser(&src, hp.idx)
			if err := csvRows(ctx, c, p, parts[k].Handler, -1); err != nil {
				errs[k] = err
				cancel()
			}
			lines[k], quoted[k] = c.line-1, c.sawQuote
		})
	}
	wg.Wait()
	if err := rootCause(src.Name, errs); err != nil {
		return nil, err
	}
	off := headerLines
	for k := range parts {
		if quoted[k] {
			return sequential()
		}
		parts[k].LineOffset = off
		off += lines[k]
	}
	return parts, nil
}

// lineStartAfter returns the offset just past the first '\n' at or after pos-1,
// i.e. the start of the first line that begins at or after pos.
func lineStartAfter(ra io.ReaderAt, pos, size int64) (int64, error) {
	buf := make([]byte, 64<<10)
	for at := pos - 1; at < size; at += int64(len(buf)) {
		m, err := ra.ReadAt(buf, at)
		if i := bytes.IndexByte(buf[:m], '\n'); i >= 0 {
			return at + int64(i) + 1, nil
		}
		if err != nil && err != io.EOF {
			return 0, err
		}
		if m == 0 {
			break
		}
	}
	return size, nil
}

// rootCause picks the error to report from the parts' errors: the first that
// is not a cancellation caused by another part's failure.
func rootCause(source string, errs []error) error {
	var first error
	for k, err := range errs {
		if err == nil {
			continue
		}
		err = fmt.Errorf("source %s: part %d: %w", source, k, err)
		if first == nil || (errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
	}
	return first
}
