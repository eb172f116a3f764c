package input

import (
	"bytes"
	"fmt"
	"io"
)

// maxRecord bounds one CSV record; a longer one means the input is not CSV
// (or a quote was never closed), and the read fails with an error.
const maxRecord = 64 << 20

// csvReader splits a byte stream into records without allocating per row.
// Fields point into its buffer (or its scratch buffer for quoted records) and
// are valid until the next call.
type csvReader struct {
	r          io.Reader
	buf        []byte
	start, end int   // unconsumed bytes are buf[start:end]
	quoteAt    int   // index of the first '"' in buf[start:end], or end when none
	eof        bool  // r is exhausted
	offset     int64 // bytes consumed from r
	line       int64 // physical line of the next record, 1-based
	delim      byte  // whitespaceDelim for runs of blanks
	fields     [][]byte
	bounds     []int // field boundaries in scratch, slow path
	scratch    []byte
	sawQuote   bool // a '"' appeared anywhere in the stream
}

func newCSVReader(r io.Reader, delim byte, bufSize int) *csvReader {
	return &csvReader{r: r, buf: make([]byte, bufSize), delim: delim, line: 1}
}

// fill moves the unconsumed bytes to the front and reads more.
func (c *csvReader) fill() error {
	if c.eof {
		return nil
	}
	if c.start > 0 {
		n := copy(c.buf, c.buf[c.start:c.end])
		c.quoteAt -= c.start
		c.start, c.end = 0, n
	}
	if c.end == len(c.buf) {
		if len(c.buf) >= maxRecord {
			return fmt.Errorf("line %d: record longer than %d MiB", c.line, maxRecord>>20)
		}
		nb := make([]byte, 2*len(c.buf))
		copy(nb, c.buf[:c.end])
		c.buf = nb
	}
	for {
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if err == io.EOF {
			c.eof = true
			break
		}
		if err != nil {
			return err
		}
		if n > 0 {
			break
		}
	}
	c.scanQuote()
	return nil
}

// scanQuote finds the first quote in the unconsumed bytes, so quote-free lines
// (the common case) skip the quoted-field parser without checking each line.
func (c *csvReader) scanQuote() {
	if c.quoteAt >= c.start && c.quoteAt < c.end && c.buf[c.quoteAt] == '"' {
		return
	}
	from := max(c.start, c.quoteAt)
	if i := bytes.IndexByte(c.buf[from:c.end], '"'); i >= 0 {
		c.quoteAt = from + i
		c.sawQuote = true
	} else {
		c.quoteAt = c.end
	}
}

// next returns the next non-blank record and its first physical line. problem is
// non-empty when the record is malformed at the CSV level (it is still consumed).
// It returns io.EOF after the last record.
func (c *csvReader) next() (fields [][]byte, line int64, problem string, err error) {
	for {
		i := bytes.IndexByte(c.buf[c.start:c.end], '\n')
		if i < 0 && !c.eof {
			if err := c.fill(); err != nil {
				return nil, c.line, "", err
			}
			continue
		}
		lineEnd := c.end
		next := c.end
		if i >= 0 {
			lineEnd = c.start + i
			next = lineEnd + 1
		}
		if c.start == c.end {
			return nil, c.line, "", io.EOF
		}
		if c.quoteAt < lineEnd {
			line = c.line
			f, prob, ok, err := c.slow()
			if err != nil {
				return nil, c.line, "", err
			}
			if !ok {
				continue // needed more data; fill happened
			}
			if f == nil {
				continue // blank
			}
			return f, line, prob, nil
		}
		rec := c.buf[c.start:lineEnd]
		if len(rec) > 0 && rec[len(rec)-1] == '\r' {
			rec = rec[:len(rec)-1]
		}
		line = c.line
		c.line++
		c.offset += int64(next - c.start)
		c.start = next
		if c.quoteAt < c.start {
			c.scanQuote()
		}
		if c.split(rec) {
			return c.fields, line, "", nil
		}
	}
}

// split cuts a quote-free record into fields; false for a blank line.
func (c *csvReader) split(rec []byte) bool {
	c.fields = c.fields[:0]
	if c.delim == whitespaceDelim {
		for {
			for len(rec) > 0 && (rec[0] == ' ' || rec[0] == '\t') {
				rec = rec[1:]
			}
			if len(rec) == 0 {
				return len(c.fields) > 0
			}
			j := 0
			for j < len(rec) && rec[j] != ' ' && rec[j] != '\t' {
				j++
			}
			c.fields = append(c.fields, rec[:j])
			rec = rec[j:]
		}
	}
	if len(rec) == 0 {
		return false
	}
	for {
		j := bytes.IndexByte(rec, c.delim)
		if j < 0 {
			c.fields = append(c.fields, rec)
			return true
		}
		c.fields = append(c.fields, rec[:j])
		rec = rec[j+1:]
	}
}

func (c *csvReader) isDelim(b byte) bool {
	if c.delim == whitespaceDelim {
		return b == ' ' || b == '\t'
	}
	return b == c.delim
}

// slow parses one record that contains quotes, RFC 4180 style: a field that
// starts with '"' runs to the matching quote, "" is a literal quote, and
// newlines inside it belong to the field. Quotes inside unquoted fields are
// kept literally. ok is false when more data had to be read first.
func (c *csvReader) slow() (fields [][]byte, problem string, ok bool, err error) {
	data := c.buf[c.start:c.end]
	c.scratch = c.scratch[:0]
	c.bounds = c.bounds[:0]
	newlines := int64(0)
	i := 0
	atEnd := false // record ended by newline or end of data
	for !atEnd {
		if c.delim == whitespaceDelim {
			for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
				i++
			}
			if i >= len(data)-1 && !c.eof {
				return nil, "", false, c.fill()
			}
			if i >= len(data) || data[i] == '\n' || (data[i] == '\r' && (i+1 == len(data) || data[i+1] == '\n')) {
				break
			}
		}
		fieldStart := len(c.scratch)
		if i < len(data) && data[i] == '"' {
			i++
			closed := false
			for i < len(data) {
				b := data[i]
				if b == '"' {
					if i+1 < len(data) && data[i+1] == '"' {
						c.scratch = append(c.scratch, '"')
						i += 2
						continue
					}
					if i+1 == len(data) && !c.eof {
						break // cannot tell "" from " yet
					}
					i++
					closed = true
					break
				}
				if b == '\n' {
					newlines++
				}
				c.scratch = append(c.scratch, b)
				i++
			}
			if !closed {
				if !c.eof {
					return nil, "", false, c.fill()
				}
				problem = "quoted field not closed before end of input"
				i = len(data)
			} else {
				// anything between the closing quote and the delimiter is an error
				j := i
				for j < len(data) && !c.isDelim(data[j]) && data[j] != '\n' {
					j++
				}
				if trimmed := trimSpace(data[i:j]); len(trimmed) > 0 && problem == "" {
					problem = "text after a closing quote"
				}
				i = j
			}
		} else {
			for i < len(data) && !c.isDelim(data[i]) && data[i] != '\n' {
				c.scratch = append(c.scratch, data[i])
				i++
			}
			if f := c.scratch[fieldStart:]; len(f) > 0 && f[len(f)-1] == '\r' && (i == len(data) || data[i] == '\n') {
				c.scratch = c.scratch[:len(c.scratch)-1]
			}
		}
		c.bounds = append(c.bounds, fieldStart, len(c.scratch))
		switch {
		case i >= len(data):
			if !c.eof {
				return nil, "", false, c.fill()
			}
			atEnd = true
		case data[i] == '\n':
			i++
			atEnd = true
		default: // delimiter
			i++
			if c.delim != whitespaceDelim && i == len(data) && c.eof {
				c.bounds = append(c.bounds, len(c.scratch), len(c.scratch))
				atEnd = true
			}
		}
	}
	if i < len(data) && data[i] == '\n' { // whitespace mode broke before the newline
		i++
	} else if i+1 < len(data) && data[i] == '\r' && data[i+1] == '\n' {
		i += 2
	}
	c.line += 1 + newlines
	c.offset += int64(i)
	c.start += i
	if c.quoteAt < c.start {
		c.scanQuote()
	}
	c.fields = c.fields[:0]
	for k := 0; k < len(c.bounds); k += 2 {
		c.fields = append(c.fields, c.scratch[c.bounds[k]:c.bounds[k+1]])
	}
	if len(c.fields) == 0 || (len(c.fields) == 1 && len(c.fields[0]) == 0 && problem == "") {
		return nil, "", true, nil
	}
	return c.fields, problem, true, nil
}
