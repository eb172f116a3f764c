package input

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
)

// bufSize is the CSV read buffer; large enough that refills are rare.
const bufSize = 1 << 20

// ctxCheckEvery is how many rows pass between context checks.
const ctxCheckEvery = 1 << 14

// Read streams every row of src to h, in order: parsed rows to h.Record,
// unparseable ones to h.Reject. It returns an error only for source-level
// failures (open/read errors, an unresolvable column mapping, a Record error,
// a cancelled context), wrapped with the source name.
func Read(ctx context.Context, src Source, h Handler) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("source %s: %w", src.Name, err)
	}
	if err := src.Options.Validate(); err != nil {
		return fmt.Errorf("source %s: %w", src.Name, err)
	}
	declared := src.Options.Format
	src.Options.Format = DetectFormat(src)
	if src.Options.Format == "parquet" {
		if err := readParquet(ctx, src, h); err != nil {
			return fmt.Errorf("source %s: %w", src.Name, err)
		}
		return nil
	}
	if src.Open == nil {
		return fmt.Errorf("source %s: %w", src.Name, errNoOpen)
	}
	rc, err := src.Open()
	if err != nil {
		return fmt.Errorf("source %s: open: %w", src.Name, err)
	}
	defer rc.Close()
	var in io.Reader = rc
	if declared == "" && src.OpenAt == nil {
		// A stream (HTTP body, object) without a declared format: Parquet is
		// recognised by its magic bytes and read from memory (it needs its
		// footer first).
		br := bufio.NewReaderSize(rc, 64<<10)
		if magic, _ := br.Peek(4); string(magic) == "PAR1" {
			data, err := io.ReadAll(br)
			if err != nil {
				return fmt.Errorf("source %s: read: %w", src.Name, err)
			}
			pq := BytesSource(src.Name, data, src.Options, src.Channel)
			pq.Options.Format = "parquet"
			if err := readParquet(ctx, pq, h); err != nil {
				return fmt.Errorf("source %s: %w", src.Name, err)
			}
			return nil
		}
		in = br
	}
	r, err := maybeGunzip(in, src.Options.Gzip)
	if err != nil {
		return fmt.Errorf("source %s: %w", src.Name, err)
	}
	delim, _ := delimiterByte(src.Options.Delimiter)
	c := newCSVReader(r, delim, bufSize)
	p, err := csvHeader(c, &src)
	if err != nil {
		return fmt.Errorf("source %s: %w", src.Name, err)
	}
	if err := csvRows(ctx, c, p, h, -1); err != nil {
		return fmt.Errorf("source %s: %w", src.Name, err)
	}
	return nil
}

// maybeGunzip wraps r in a gzip reader when forced or when the stream starts
// with the gzip magic bytes.
func maybeGunzip(r io.Reader, force bool) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(2)
	if force || (len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// csvHeader reads the header (unless NoHeader) and resolves the mapping.
func csvHeader(c *csvReader, src *Source) (*rowParser, error) {
	var header []string
	if !src.Options.NoHeader {
		fields, _, problem, err := c.next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty input: no header line")
		}
		if err != nil {
			return nil, fmt.Errorf("read header: %w", err)
		}
		if problem != "" {
			return nil, fmt.Errorf("header: %s", problem)
		}
		header = make([]string, len(fields))
		for i, f := range fields {
			header[i] = string(f)
		}
	}
	idx, err := src.Options.Mapping.resolve(header)
	if err != nil {
		return nil, err
	}
	return newRowParser(src, idx), nil
}

// csvRows parses records until EOF, or until limit bytes were consumed when
// limit >= 0 (the reader is then positioned at a record boundary).
func csvRows(ctx context.Context, c *csvReader, p *rowParser, h Handler, limit int64) error {
	n := 0
	for limit < 0 || c.offset < limit {
		fields, line, problem, err := c.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n++; n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if problem != "" {
			rejectMalformed(h, line, problem)
			continue
		}
		rec, detail := p.parse(fields, line)
		if detail != "" {
			rejectMalformed(h, line, detail)
			continue
		}
		if err := h.Record(rec); err != nil {
			return err
		}
	}
	return nil
}
