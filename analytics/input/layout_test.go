package input

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// TestNamedLayouts checks each layout name the API documents (and the CLI's
// --time-layout passes through): RFC3339 accepts exactly the fast path's
// RFC 3339 forms, Unix integer seconds, UnixMilli integer milliseconds.
func TestNamedLayouts(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	ok := []struct {
		layout, in string
		loc        *time.Location
		want       time.Time
	}{
		{LayoutRFC3339, "2024-03-05T14:22:10Z", nil, utc(2024, 3, 5, 14, 22, 10)},
		{LayoutRFC3339, "2024-03-05t14:22:10z", nil, utc(2024, 3, 5, 14, 22, 10)},
		{LayoutRFC3339, "2024-03-05 14:22:10+02:00", nil, utc(2024, 3, 5, 12, 22, 10)},
		{LayoutRFC3339, "2024-03-05T14:22:10.123456789-05:30", nil, time.Date(2024, 3, 5, 19, 52, 10, 123456789, time.UTC)},
		{LayoutRFC3339, "2024-03-05T14:22:10,5Z", nil, time.Date(2024, 3, 5, 14, 22, 10, 500000000, time.UTC)},
		{LayoutRFC3339, " 2024-03-05T14:22:10Z ", berlin, utc(2024, 3, 5, 14, 22, 10)},
		{LayoutRFC3339Nano, "2024-03-05T14:22:10.5Z", nil, time.Date(2024, 3, 5, 14, 22, 10, 500000000, time.UTC)},
		{LayoutUnix, "1709648530", nil, utc(2024, 3, 5, 14, 22, 10)},
		{LayoutUnix, "20240305", nil, time.Unix(20240305, 0)}, // 8 digits are seconds here, not a date
		{LayoutUnix, "-86400", nil, utc(1969, 12, 31, 0, 0, 0)},
		{LayoutUnix, "0", berlin, time.Unix(0, 0)},
		{LayoutUnixMilli, "1709648530123", nil, time.Date(2024, 3, 5, 14, 22, 10, 123000000, time.UTC)},
		{LayoutUnixMilli, "1709648530", nil, time.Date(1970, 1, 20, 18, 54, 8, 530000000, time.UTC)},
		{LayoutUnixMilli, "-1", nil, time.Date(1969, 12, 31, 23, 59, 59, 999000000, time.UTC)},
	}
	for _, tc := range ok {
		got, err := TimeParser{Layout: tc.layout, Location: tc.loc}.Parse([]byte(tc.in))
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%s: Parse(%q) = %v, %v; want %v", tc.layout, tc.in, got, err, tc.want)
		}
		if want := cmpLoc(tc.loc); got.Location() != want {
			t.Errorf("%s: Parse(%q) in %v, want %v", tc.layout, tc.in, got.Location(), want)
		}
	}
	bad := []struct{ layout, in string }{
		{LayoutRFC3339, "2024-03-05"},                // a date is not an RFC 3339 date-time
		{LayoutRFC3339, "2024-03-05T14:22:10"},       // no offset
		{LayoutRFC3339, "2024-03-05 14:22:10.5"},     // no offset
		{LayoutRFC3339, "1709648530"},                // Unix seconds
		{LayoutRFC3339, "20240305"},                  // compact date
		{LayoutRFC3339, "2024-03-05T14:22:10+0200"},  // offset without colon
		{LayoutRFC3339, "2024-03-05T14:22:10+24:00"}, // offset out of range
		{LayoutRFC3339, "2024-02-30T14:22:10Z"},
		{LayoutUnix, "1709648530.5"},
		{LayoutUnix, "2024-03-05T14:22:10Z"},
		{LayoutUnix, "1234567890123"}, // 13 digits: milliseconds, not seconds
		{LayoutUnix, "-"},
		{LayoutUnix, "+5"},
		{LayoutUnixMilli, "1709648530123.0"},
		{LayoutUnixMilli, "1234567890123456"},
		{LayoutUnixMilli, "2024-03-05"},
	}
	for _, tc := range bad {
		if got, err := (TimeParser{Layout: tc.layout}).Parse([]byte(tc.in)); err == nil {
			t.Errorf("%s: Parse(%q) = %v, want an error", tc.layout, tc.in, got)
		}
	}
	// The name is resolved, never handed to time.Parse: with "RFC3339" as a
	// Go layout every row would fail.
	rows := readString(t, "customer,time,amount\nc1,2024-03-05T14:22:10Z,1\nc2,2024-03-05T15:00:00+01:00,2\n",
		Options{TimeLayout: "RFC3339", Mapping: mustMap(t, "customer=customer,time=time,amount=amount")})
	if len(rows.rejects) != 0 || len(rows.rows) != 2 || !rows.rows[1].Time.Equal(utc(2024, 3, 5, 14, 0, 0)) {
		t.Errorf("CSV with layout RFC3339: rows %v rejects %v", rows.rows, rows.rejects)
	}
	rows = readString(t, "customer,time,amount\nc1,2024-03-05 14:22:10,1\n",
		Options{TimeLayout: "RFC3339", Mapping: mustMap(t, "customer=customer,time=time,amount=amount")})
	if len(rows.rejects) != 1 || !strings.Contains(rows.rejects[0], "no zone offset") {
		t.Errorf("offset-less row under RFC3339: rejects %v", rows.rejects)
	}
}

// TestAutoLayoutIsDetection: "Auto" reads exactly what an empty layout
// reads, offset-less local times in the parser's zone included.
func TestAutoLayoutIsDetection(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in   string
		want time.Time
	}{
		{"2024-03-05 14:22:10", time.Date(2024, 3, 5, 14, 22, 10, 0, berlin)},
		{"2024-07-01", time.Date(2024, 7, 1, 0, 0, 0, 0, berlin)},
		{"2024-03-05T14:22:10Z", utc(2024, 3, 5, 14, 22, 10)},
		{"20240305", time.Date(2024, 3, 5, 0, 0, 0, 0, berlin)},
		{"1709648530", time.Unix(1709648530, 0)},
	}
	for _, tc := range cases {
		got, err := (TimeParser{Layout: LayoutAuto, Location: berlin}).Parse([]byte(tc.in))
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("Auto: Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		empty, err2 := (TimeParser{Location: berlin}).Parse([]byte(tc.in))
		if err2 != nil || !empty.Equal(got) {
			t.Errorf("empty layout: Parse(%q) = %v, %v; Auto gave %v", tc.in, empty, err2, got)
		}
	}
}

func cmpLoc(l *time.Location) *time.Location {
	if l == nil {
		return time.UTC
	}
	return l
}

// TestLayoutValidation: a name in the wrong case or a layout with no time
// element is refused before any row is read.
func TestLayoutValidation(t *testing.T) {
	for _, l := range []string{"", "Auto", "RFC3339", "RFC3339Nano", "Unix", "UnixMilli", "2006-01-02", "20060102", "02/01/2006 15:04", "Jan _2 2006"} {
		if err := (Options{TimeLayout: l}).Validate(); err != nil {
			t.Errorf("layout %q refused: %v", l, err)
		}
	}
	for l, msg := range map[string]string{"auto": `did you mean "Auto"`, "rfc3339": `did you mean "RFC3339"`, "unixmilli": `did you mean "UnixMilli"`, "UNIX": `did you mean "Unix"`, "epoch": "not a Go reference layout"} {
		err := (Options{TimeLayout: l}).Validate()
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("layout %q: error %v, want %q", l, err, msg)
		}
	}
}

// TestParquetMilliIntegers: a plain INT64 time column is Unix seconds, or
// milliseconds with the UnixMilli layout.
func TestParquetMilliIntegers(t *testing.T) {
	type row struct {
		Customer string `parquet:"customer_id"`
		TS       int64  `parquet:"ts"`
		Amount   string `parquet:"amount"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	if _, err := w.Write([]row{{"a", 1709648530123, "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for layout, want := range map[string]time.Time{
		LayoutUnixMilli: time.Date(2024, 3, 5, 14, 22, 10, 123000000, time.UTC),
		"":              time.Unix(1709648530123, 0).UTC(),
	} {
		c := &collect{}
		src := BytesSource("t.parquet", buf.Bytes(), Options{Format: "parquet", TimeLayout: layout, Mapping: mustMap(t, "customer=customer_id,time=ts,amount=amount")}, "")
		if err := Read(context.Background(), src, c); err != nil {
			t.Fatal(err)
		}
		if len(c.rows) != 1 || !c.rows[0].Time.Equal(want) {
			t.Errorf("layout %q: rows %v rejects %v, want time %v", layout, c.rows, c.rejects, want)
		}
	}
}

// TestAnyDelimiter: every single byte except CR, LF, NUL and the quote
// separates fields; other values are refused with a message that says why.
func TestAnyDelimiter(t *testing.T) {
	ok := []struct {
		delim string
		want  byte
	}{
		{"", ','}, {",", ','}, {";", ';'}, {"|", '|'}, {"\t", '\t'}, {`\t`, '\t'}, {"tab", '\t'},
		{"#", '#'}, {"^", '^'}, {"~", '~'}, {":", ':'}, {"\x1f", 0x1f}, {"\xa6", 0xa6}, // ASCII unit separator, Latin-1 broken bar
		{"whitespace", whitespaceDelim}, {" ", whitespaceDelim},
	}
	for _, tc := range ok {
		got, err := delimiterByte(tc.delim)
		if err != nil || got != tc.want {
			t.Errorf("delimiterByte(%q) = %q, %v; want %q", tc.delim, got, err, tc.want)
			continue
		}
		if tc.want == whitespaceDelim {
			continue
		}
		t.Run(strconv.Quote(tc.delim), func(t *testing.T) {
			d := string([]byte{tc.want})
			data := "customer" + d + "time" + d + "amount\nc1" + d + "2024-01-02" + d + "12.5\n"
			c := readString(t, data, Options{Delimiter: tc.delim, Mapping: mustMap(t, "customer=customer,time=time,amount=amount")})
			if len(c.rows) != 1 || c.rows[0].Customer != "c1" || c.rows[0].Amount != 125000 {
				t.Errorf("delimiter %q: rows %v rejects %v", tc.delim, c.rows, c.rejects)
			}
		})
	}
	bad := map[string]string{
		"\r": "line break", "\n": "line break", `"`: "quote character", "\x00": "NUL",
		"::": "single-byte", "§": "single-byte", "comma": "single-byte",
	}
	for d, msg := range bad {
		_, err := delimiterByte(d)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("delimiterByte(%q): error %v, want one mentioning %q", d, err, msg)
		}
		if err := (Options{Delimiter: d}).Validate(); err == nil {
			t.Errorf("Options{Delimiter: %q}.Validate accepted", d)
		}
	}
}
