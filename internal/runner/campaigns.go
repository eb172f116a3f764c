package runner

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/sources"
)

// contentCampaigns marks a plan source holding campaign contacts.
const contentCampaigns = "Campaigns"

// readCampaigns reads the campaign contacts of the plan's Campaigns sources
// (CSV from a ConfigMap, HTTP or an object store; columns as declared in
// schema.campaigns) for the KPI report's response rate and ROI. Malformed
// rows are counted in the report, never fatal.
func readCampaigns(ctx context.Context, srcs []runplan.Source, creds sources.Creds, cm sources.ConfigMapReader) ([]kpi.Contact, *kpi.ContactsReport, error) {
	contacts := []kpi.Contact{}
	rep := &kpi.ContactsReport{}
	for _, s := range srcs {
		if s.Sample != nil || s.Postgres != nil || s.Format == "parquet" {
			return nil, nil, fmt.Errorf("campaign source %s: campaign contacts are read as CSV (configMap, http or objectStore with format CSV)", s.Name)
		}
		opts, err := sources.Options(s)
		if err != nil {
			return nil, nil, fmt.Errorf("campaign source %s: %w", s.Name, err)
		}
		built, err := sources.Build(ctx, s, creds, cm)
		if err != nil {
			return nil, nil, err
		}
		comma, err := delimiter(opts.Delimiter)
		if err != nil {
			return nil, nil, fmt.Errorf("campaign source %s: %w", s.Name, err)
		}
		f := kpi.ContactFormat{Customer: s.Columns["customer"], Time: s.Columns["time"], Cost: s.Columns["cost"], Campaign: s.Columns["campaign"], Comma: comma,
			Parser: input.TimeParser{Layout: opts.TimeLayout, Location: opts.Location}}
		for _, b := range built {
			cs, r, err := readContactsFrom(b, f)
			if err != nil {
				return nil, nil, fmt.Errorf("campaign source %s: %w", s.Name, err)
			}
			contacts = append(contacts, cs...)
			rep.Rows += r.Rows
			rep.Rejected += r.Rejected
			for _, smp := range r.Samples {
				if len(rep.Samples) < kpi.MaxContactSamples {
					rep.Samples = append(rep.Samples, smp)
				}
			}
		}
	}
	return contacts, rep, nil
}

func readContactsFrom(src input.Source, f kpi.ContactFormat) ([]kpi.Contact, kpi.ContactsReport, error) {
	if src.Open == nil {
		return nil, kpi.ContactsReport{}, errors.New("source cannot be read as a stream")
	}
	rc, err := src.Open()
	if err != nil {
		return nil, kpi.ContactsReport{}, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	var r io.Reader = br
	if magic, _ := br.Peek(2); src.Options.Gzip || (len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, kpi.ContactsReport{}, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	return kpi.ReadContactsWith(r, src.Name, f)
}

// delimiter maps the source's CSV delimiter to the reader's; runs of
// whitespace have no encoding/csv equivalent.
func delimiter(d string) (rune, error) {
	switch d {
	case "", ",":
		return ',', nil
	case `\t`, "tab":
		return '\t', nil
	}
	// As the transaction reader: any one character but CR, LF and the quote;
	// encoding/csv matches runes of UTF-8 text, so only ASCII here.
	if len(d) == 1 && d[0] > 0 && d[0] < 0x80 && d[0] != '\r' && d[0] != '\n' && d[0] != '"' && d[0] != ' ' {
		return rune(d[0]), nil
	}
	return 0, fmt.Errorf("delimiter %q is not supported for campaign contacts (want one ASCII character other than CR, LF, space and '\"')", d)
}
