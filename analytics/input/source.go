package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Options says how to read one source. The zero value reads a comma-separated
// CSV file with a header, auto-detected timestamps in UTC and '.' as the decimal
// separator.
type Options struct {
	Format string // "csv" or "parquet"; "" detects it (see DetectFormat)
	// Delimiter is one byte other than CR, LF, NUL and '"' (such as
	// ",", ";", "|", "\t"), "tab", or "whitespace" (runs of spaces/tabs; also
	// " "); default ",".
	Delimiter string
	NoHeader  bool // the first line is data; map columns by 1-based index
	Mapping   Mapping
	// TimeLayout is "" for auto-detection (RFC 3339, 2006-01-02,
	// 2006-01-02 15:04:05, 20060102, Unix seconds), one of the names
	// RFC3339, Unix or UnixMilli (see LayoutRFC3339), or a Go reference layout.
	TimeLayout string
	// Location is the time zone of timestamps that carry none; nil means UTC.
	Location           *time.Location
	ThousandsSeparator byte // 0: none accepted; e.g. ',' to accept "1,234.50"
	DecimalSeparator   byte // 0 means '.'
	// Gzip forces gzip decompression; gzip streams are also detected by their
	// magic bytes, so this is only needed to reject non-gzip data early.
	Gzip bool
}

// Validate checks the options and returns an error naming the bad option.
func (o Options) Validate() error {
	switch o.Format {
	case "", "csv", "parquet":
	default:
		return fmt.Errorf("format %q: want csv or parquet", o.Format)
	}
	if _, err := delimiterByte(o.Delimiter); err != nil {
		return err
	}
	if err := checkLayout(o.TimeLayout); err != nil {
		return err
	}
	dec := o.decimal()
	if dec != '.' && dec != ',' {
		return fmt.Errorf("decimal separator %q: want '.' or ','", dec)
	}
	switch o.ThousandsSeparator {
	case 0, ',', '.', ' ', '\'', '_':
	default:
		return fmt.Errorf("thousands separator %q: want ',', '.', ' ', '\\'' or '_'", o.ThousandsSeparator)
	}
	if o.ThousandsSeparator == dec {
		return fmt.Errorf("thousands and decimal separator are both %q", dec)
	}
	return nil
}

func (o Options) decimal() byte {
	if o.DecimalSeparator == 0 {
		return '.'
	}
	return o.DecimalSeparator
}

// whitespaceDelim is the internal marker for the "whitespace" delimiter.
const whitespaceDelim = 0

// delimiterByte maps the Delimiter option to a byte (0 for whitespace): any
// single byte except CR, LF and the quote character (which have their own
// meaning in CSV) and NUL (the internal whitespace marker), or a name. A lone space means whitespace,
// as in fixed-width exports padded with runs of spaces.
func delimiterByte(d string) (byte, error) {
	switch d {
	case "", ",":
		return ',', nil
	case `\t`, "tab":
		return '\t', nil
	case "whitespace", " ":
		return whitespaceDelim, nil
	}
	if len(d) != 1 {
		// The reader splits bytes: "§" is two bytes in UTF-8.
		return 0, fmt.Errorf("delimiter %q: want a single-byte character (such as ',', ';', '|' or a tab), tab or whitespace", d)
	}
	switch c := d[0]; c {
	case '\r', '\n':
		return 0, fmt.Errorf("delimiter %q: a line break cannot separate fields", d)
	case '"':
		return 0, fmt.Errorf("delimiter %q: the quote character cannot separate fields", d)
	case 0:
		return 0, fmt.Errorf("delimiter %q: NUL cannot separate fields", d)
	default:
		return c, nil
	}
}

// ReaderAtCloser is random access to a source of known size; it lets CSV files be
// split into byte ranges and parsed in parallel, and Parquet files be read.
type ReaderAtCloser interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// Source is one stream of transaction rows: a file, an HTTP body, an S3 object or
// a ConfigMap string all look the same to the readers.
type Source struct {
	Name    string // shown in reject samples and errors, e.g. the file path
	Channel string // channel label for rows whose channel column is unmapped or empty
	Options Options
	// Open returns the raw byte stream (possibly gzip-compressed). Required.
	Open func() (io.ReadCloser, error)
	// OpenAt, when set, gives random access; used for parallel CSV parsing and
	// for Parquet. Parquet sources without it are read into memory first.
	OpenAt func() (ReaderAtCloser, error)
}

// FileSource reads a local file.
func FileSource(path string, opts Options, channel string) Source {
	return Source{
		Name: path, Channel: channel, Options: opts,
		Open: func() (io.ReadCloser, error) { return os.Open(path) },
		OpenAt: func() (ReaderAtCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			st, err := f.Stat()
			if err != nil {
				f.Close()
				return nil, err
			}
			return fileAt{f, st.Size()}, nil
		},
	}
}

type fileAt struct {
	*os.File
	size int64
}

// Size is the file size at open time.
func (f fileAt) Size() int64 { return f.size }

// BytesSource reads data held in memory (a ConfigMap value, a test fixture).
func BytesSource(name string, data []byte, opts Options, channel string) Source {
	return Source{
		Name: name, Channel: channel, Options: opts,
		Open:   func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		OpenAt: func() (ReaderAtCloser, error) { return bytesAt{bytes.NewReader(data)}, nil },
	}
}

type bytesAt struct{ *bytes.Reader }

// Close is a no-op: the data stays with the caller.
func (bytesAt) Close() error { return nil }

// ReaderSource wraps a function returning a stream (HTTP body, object-store
// reader, generator pipe). It is read sequentially.
func ReaderSource(name string, open func() (io.ReadCloser, error), opts Options, channel string) Source {
	return Source{Name: name, Channel: channel, Options: opts, Open: open}
}

// errNoOpen is returned for a Source without an Open function.
var errNoOpen = errors.New("source has no Open function")

// DetectFormat names the format of a source whose Options.Format is empty:
// "parquet" when its name ends in .parquet or its data starts with Parquet's
// magic bytes "PAR1" (sources with random access only: a stream is not
// consumed to look), else "csv" (gzip-compressed CSV is detected when read).
// A declared format is returned as is.
func DetectFormat(src Source) string {
	if src.Options.Format != "" {
		return src.Options.Format
	}
	if strings.HasSuffix(strings.ToLower(src.Name), ".parquet") {
		return "parquet"
	}
	if src.OpenAt != nil {
		if ra, err := src.OpenAt(); err == nil {
			var magic [4]byte
			n, _ := ra.ReadAt(magic[:], 0)
			ra.Close()
			if n == 4 && string(magic[:]) == "PAR1" {
				return "parquet"
			}
		}
	}
	return "csv"
}
