package kpi

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// contactColumns are the accepted header names of a contacts file.
var contactColumns = [4][]string{
	{"customer_id", "customer", "customerid", "client_id"},
	{"contact_time", "contacted_at", "time", "timestamp", "date"},
	{"cost", "contact_cost"},
	{"campaign", "campaign_id", "campaign_name"},
}

// MaxContactSamples bounds the malformed contact rows kept as samples.
const MaxContactSamples = 10

// ContactsReport counts what ReadContacts refused.
type ContactsReport struct {
	Rows     int64              // data rows read
	Rejected int64              // malformed rows skipped
	Samples  []txn.RejectSample // the first MaxContactSamples of them, without values
}

// ReadContacts reads campaign contacts from CSV with a header naming a
// customer column (customer_id, customer, …), a time column (contact_time,
// time, timestamp, date, …; any layout input.TimeParser auto-detects, zone
// loc when absent) and optionally a cost column. Rows with an empty
// customer, a bad time or a bad cost are skipped and counted, never fatal;
// a header without the required columns is an error.
func ReadContacts(r io.Reader, name string, loc *time.Location) ([]Contact, ContactsReport, error) {
	return ReadContactsWith(r, name, ContactFormat{Parser: input.TimeParser{Location: loc}})
}

// ContactFormat describes a contacts CSV whose columns are declared (as a
// DataSource's schema.campaigns does) rather than guessed from the header.
type ContactFormat struct {
	// Customer, Time, Cost and Campaign name the header columns
	// (case-insensitive); an empty name accepts the defaults ReadContacts
	// knows. A declared Campaign column must be present and filled in every
	// row; without one the contacts carry no campaign.
	Customer, Time, Cost, Campaign string
	// Comma is the field delimiter; 0 means ','.
	Comma rune
	// Parser reads the contact time (layout and zone).
	Parser input.TimeParser
}

// ReadContactsWith is ReadContacts with declared columns, delimiter and
// time layout.
func ReadContactsWith(r io.Reader, name string, f ContactFormat) ([]Contact, ContactsReport, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if f.Comma != 0 {
		cr.Comma = f.Comma
	}
	var rep ContactsReport
	header, err := cr.Read()
	if err != nil {
		return nil, rep, fmt.Errorf("campaign contacts %s: read header: %w", name, err)
	}
	accepted := contactColumns
	for i, v := range []string{f.Customer, f.Time, f.Cost, f.Campaign} {
		if v != "" {
			accepted[i] = []string{strings.ToLower(strings.TrimSpace(v))}
		}
	}
	idx := [4]int{-1, -1, -1, -1}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		for f, names := range accepted {
			for _, n := range names {
				if h == n && idx[f] < 0 {
					idx[f] = i
				}
			}
		}
	}
	if idx[0] < 0 || idx[1] < 0 {
		return nil, rep, fmt.Errorf("campaign contacts %s: header needs a customer column (%s) and a time column (%s)", name, strings.Join(accepted[0], ", "), strings.Join(accepted[1], ", "))
	}
	if f.Cost != "" && idx[2] < 0 {
		return nil, rep, fmt.Errorf("campaign contacts %s: header has no cost column %q", name, f.Cost)
	}
	if f.Campaign != "" && idx[3] < 0 {
		return nil, rep, fmt.Errorf("campaign contacts %s: header has no campaign column %q", name, f.Campaign)
	}
	tp := f.Parser
	var out []Contact
	reject := func(line int, detail string) {
		rep.Rejected++
		if len(rep.Samples) < MaxContactSamples {
			rep.Samples = append(rep.Samples, txn.RejectSample{Source: name, Line: int64(line), Reason: txn.RejectMalformed, Detail: detail})
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rep.Rows++
				reject(pe.Line, "unparseable CSV row")
				continue
			}
			return nil, rep, fmt.Errorf("campaign contacts %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0) // only valid after a successful Read
		rep.Rows++
		get := func(f int) string {
			if idx[f] < 0 || idx[f] >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[idx[f]])
		}
		if idx[0] >= len(rec) || idx[1] >= len(rec) {
			reject(line, "too few columns")
			continue
		}
		c := Contact{Customer: get(0), Campaign: get(3)}
		if c.Customer == "" {
			reject(line, "column customer: empty")
			continue
		}
		if f.Campaign != "" && c.Campaign == "" {
			reject(line, "column campaign: empty")
			continue
		}
		if c.Time, err = tp.Parse([]byte(get(1))); err != nil {
			reject(line, "column time: invalid timestamp")
			continue
		}
		if s := get(2); s != "" {
			if c.Cost, err = input.ParseAmount([]byte(s), '.', 0); err != nil || c.Cost < 0 {
				reject(line, "column cost: invalid or negative amount")
				continue
			}
		}
		out = append(out, c)
	}
	if out == nil {
		out = []Contact{}
	}
	return out, rep, nil
}
