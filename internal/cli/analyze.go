// Package cli implements the analyst-facing `crmlens analyze` command.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/analytics/lifecycle"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/sample"
	"github.com/crmlens/crmlens/analytics/txn"
)

const usage = `usage: crmlens analyze -f FILE [-f FILE2 --channel LABEL …] [flags]

Runs the analytics engine on local files and prints the result document.

Input:
  -f FILE                 input file (repeatable)
  --channel LABEL         channel label of the preceding -f
  --format csv|parquet    input format (default: detected; Parquet by its magic bytes or
                          .parquet, else CSV; gzip-compressed CSV is detected too)
  --delimiter D           any one-byte character except CR, LF and '"' (default ','),
                          tab, or whitespace (runs of spaces and tabs)
  --no-header             the first line is data; map columns by 1-based index
  --map SPEC              customer=COL,order=COL,time=COL,amount=COL,channel=COL,
                          category=COL,product=COL,quantity=COL,gift=COL,price=COL
                          (COL is a header name or a 1-based index; quantity and price
                          without amount: amount = quantity × unit price, exactly)
  --time-layout LAYOUT    Auto (detect per value, the default), RFC3339 (with zone
                          offset), Unix (seconds), UnixMilli, or a Go time layout
                          such as 2006-01-02
  --time-zone NAME        time zone of timestamps without one, and of calendar days (default UTC)
  --sample N              use the built-in synthetic shop with N customers instead of files

Cleaning (defaults are the SegmentationModel's: docs/result-document.md):
  --drop-gifts=true|false reject gift / zero-price rows (default true)
  --dedupe=true|false     reject repeated order lines (default true)
  --refunds net|drop      net refunds, cancellations and returns against revenue
                          (default) or drop them
  --cancellation-prefix P an order ID starting with P is a cancellation (e.g. C)
  --min-amount X          reject amounts below X (reason belowMinAmount)
  --max-amount X          reject amounts above X as outliers (reason aboveMaxAmount)
  --merge-same-day        count a customer's purchases of one day as one (frequency = purchase days)
  --window-start DATE     reject purchases before DATE

Analysis:
  --as-of DATE            reference date for recency, end of the data window (default: last purchase day)
  --calibration-end DATE  end of the CLV calibration period
  --time-unit U           day, week (default) or month (CLV)
  --method M              rfm (default), kmeans, valuematrix, lifecycle, clv
  --report R,R            kpi, vip, pareto, cohort, forecast, basket (comma list, repeatable)
  --segment-map FILE      custom RFM segment map (CSV "code,segment", see docs)
  --previous FILE         earlier lifecycle per-customer output (customer,stage), for transitions
  --campaign FILE         campaign contacts CSV (customer_id, contact_time, cost), for KPI response rate and ROI
  --response-days N       a purchase up to N days after a contact is a response (default 14)

%s
Output:
  -o json|table           result document as JSON (default) or a readable summary
  --customers-out FILE    write the per-customer part (NDJSON for .ndjson/.jsonl, else CSV)
  --workers N             parser goroutines per file (default: all cores)
  -q                      no progress messages on stderr

DATE is 2006-01-02, 20060102 or RFC 3339; a bare date means the end of that day.
`

// fileList collects -f flags; --channel labels the last one.
type fileList struct{ files []fileSpec }

type fileSpec struct{ path, channel string }

func (l *fileList) String() string { return "" }
func (l *fileList) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("empty file name")
	}
	l.files = append(l.files, fileSpec{path: v})
	return nil
}

type channelFlag struct{ l *fileList }

func (c channelFlag) String() string { return "" }
func (c channelFlag) Set(v string) error {
	if len(c.l.files) == 0 {
		return errors.New("--channel must follow the -f it labels")
	}
	last := &c.l.files[len(c.l.files)-1]
	if last.channel != "" {
		return fmt.Errorf("file %s already has channel %q", last.path, last.channel)
	}
	last.channel = v
	return nil
}

// listFlag collects comma-separated values from repeated flags.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, strings.ToLower(p))
		}
	}
	return nil
}

// options is the parsed command line.
type options struct {
	cfg          engine.Config
	output       string
	customersOut string
	quiet        bool
}

// usageError is a bad command line (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// Analyze runs the engine on local files and prints the result document.
// It returns the process exit code: 0 on success, 1 when the run fails,
// 2 for a bad command line.
func Analyze(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		// A bug must still end as one line on stderr and a failing status,
		// never a stack trace in the analyst's terminal.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "crmlens analyze: internal error: %s\n", oneLine(fmt.Errorf("%v", r)))
			code = 1
		}
	}()
	opts, err := parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, usage, modelUsage)
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "crmlens analyze: %v (see crmlens analyze -h)\n", oneLine(err))
		return 2
	}
	if err != nil { // a file named by a flag could not be read
		fmt.Fprintf(stderr, "crmlens analyze: %v\n", oneLine(err))
		return 1
	}
	if err := run(ctx, opts, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "crmlens analyze: %v\n", oneLine(err))
		return 1
	}
	return 0
}

// warningLine is one warnings[] entry as a line of text.
func warningLine(w result.Warning) string {
	if w.Failed {
		return fmt.Sprintf("report %s not delivered: %s", w.Report, strings.ReplaceAll(w.Reason, "\n", "; "))
	}
	return fmt.Sprintf("%s: %s", w.Report, strings.ReplaceAll(w.Reason, "\n", "; "))
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

func parse(args []string) (*options, error) {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var (
		files                                  fileList
		reports                                listFlag
		format, delim, mapping, layout, tz     string
		asOf, calEnd, unit, method, out        string
		custOut, segMap, refunds, minAmt, wsrt string
		previous, campaign, maxAmt             string
		cancelPrefix                           string
		noHeader, dropGifts, dedupe, quiet     bool
		mergeSameDay                           bool
		sampleN, workers, responseDays         int
		models                                 modelFlags
	)
	fs.Var(&files, "f", "")
	fs.Var(channelFlag{&files}, "channel", "")
	fs.StringVar(&format, "format", "", "")
	fs.StringVar(&delim, "delimiter", ",", "")
	fs.BoolVar(&noHeader, "no-header", false, "")
	fs.StringVar(&mapping, "map", "", "")
	fs.StringVar(&layout, "time-layout", "", "")
	fs.StringVar(&tz, "time-zone", "UTC", "")
	fs.IntVar(&sampleN, "sample", 0, "")
	def := clean.Defaults()
	fs.BoolVar(&dropGifts, "drop-gifts", def.DropGifts, "")
	fs.BoolVar(&dedupe, "dedupe", def.DedupeOrders, "")
	fs.StringVar(&refunds, "refunds", def.Refunds, "")
	fs.StringVar(&cancelPrefix, "cancellation-prefix", "", "")
	fs.StringVar(&minAmt, "min-amount", "", "")
	fs.StringVar(&maxAmt, "max-amount", "", "")
	fs.BoolVar(&mergeSameDay, "merge-same-day", false, "")
	fs.IntVar(&responseDays, "response-days", 0, "")
	fs.StringVar(&wsrt, "window-start", "", "")
	fs.StringVar(&asOf, "as-of", "", "")
	fs.StringVar(&calEnd, "calibration-end", "", "")
	fs.StringVar(&unit, "time-unit", "", "")
	fs.StringVar(&method, "method", "rfm", "")
	fs.Var(&reports, "report", "")
	fs.StringVar(&segMap, "segment-map", "", "")
	fs.StringVar(&previous, "previous", "", "")
	fs.StringVar(&campaign, "campaign", "", "")
	fs.StringVar(&out, "o", "json", "")
	fs.StringVar(&custOut, "customers-out", "", "")
	fs.IntVar(&workers, "workers", 0, "")
	fs.BoolVar(&quiet, "q", false, "")
	models.define(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	o := &options{output: strings.ToLower(out), customersOut: custOut, quiet: quiet}
	if o.output != "json" && o.output != "table" {
		return nil, usagef("-o %q: want json or table", out)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, usagef("--time-zone %q: unknown time zone", tz)
	}
	cfg := &o.cfg
	cfg.Location = loc
	cfg.Method = engine.Method(strings.ToLower(method))
	for _, r := range reports {
		cfg.Reports = append(cfg.Reports, engine.Report(r))
	}
	cfg.TimeUnit = strings.ToLower(unit)
	cfg.Workers = workers
	if workers < 0 {
		return nil, usagef("--workers %d: want 0 or more", workers)
	}
	if cfg.AsOf, err = parseDate("--as-of", asOf, loc, true); err != nil {
		return nil, err
	}
	if cfg.CalibrationEnd, err = parseDate("--calibration-end", calEnd, loc, true); err != nil {
		return nil, err
	}
	if cfg.Rules.WindowStart, err = parseDate("--window-start", wsrt, loc, false); err != nil {
		return nil, err
	}
	cfg.Rules.Refunds = strings.ToLower(refunds)
	if cfg.Rules.Refunds != clean.RefundNet && cfg.Rules.Refunds != clean.RefundDrop {
		return nil, usagef("--refunds %q: want net or drop", refunds)
	}
	cfg.Rules.DropGifts, cfg.Rules.DedupeOrders = dropGifts, dedupe
	if set["cancellation-prefix"] && strings.TrimSpace(cancelPrefix) == "" {
		return nil, usagef("--cancellation-prefix: want a non-empty prefix such as C")
	}
	cfg.Rules.CancellationPrefix = strings.TrimSpace(cancelPrefix)
	if minAmt != "" {
		f, err := strconv.ParseFloat(minAmt, 64)
		if err != nil || f < 0 {
			return nil, usagef("--min-amount %q: want a non-negative number", minAmt)
		}
		cfg.Rules.MinAmount = txn.MoneyFromFloat(f)
	}
	if maxAmt != "" {
		f, err := strconv.ParseFloat(maxAmt, 64)
		if err != nil || f <= 0 {
			return nil, usagef("--max-amount %q: want a positive number", maxAmt)
		}
		cfg.Rules.MaxAmount = txn.MoneyFromFloat(f)
	}
	cfg.Rules.MergeSameDay = mergeSameDay
	if set["response-days"] {
		if responseDays <= 0 {
			return nil, usagef("--response-days %d: want a positive number of days", responseDays)
		}
		if campaign == "" {
			return nil, usagef("--response-days needs --campaign")
		}
		cfg.KPI.ResponseDays = responseDays
	}
	if segMap != "" {
		if cfg.Method != engine.RFM {
			return nil, usagef("--segment-map needs --method rfm")
		}
		f, err := os.Open(segMap)
		if err != nil {
			return nil, fmt.Errorf("--segment-map: %w", err)
		}
		m, err := rfm.ParseSegmentMap(f)
		f.Close()
		if err != nil {
			return nil, usagef("--segment-map %s: %w", segMap, err)
		}
		cfg.SegmentMap = m
	}
	if previous != "" {
		if cfg.Method != engine.Lifecycle {
			return nil, usagef("--previous needs --method lifecycle")
		}
		f, err := os.Open(previous)
		if err != nil {
			return nil, fmt.Errorf("--previous: %w", err)
		}
		cfg.PreviousStages, err = lifecycle.ReadAssignments(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--previous %s: %w", previous, err)
		}
	}
	if err := models.apply(set, cfg); err != nil {
		return nil, err
	}
	if campaign != "" {
		if !slices.Contains(cfg.Reports, engine.KPI) {
			return nil, usagef("--campaign needs --report kpi")
		}
		f, err := os.Open(campaign)
		if err != nil {
			return nil, fmt.Errorf("--campaign: %w", err)
		}
		contacts, rep, err := kpi.ReadContacts(f, campaign, loc)
		f.Close()
		if err != nil {
			return nil, err
		}
		cfg.Contacts, cfg.ContactsReport = contacts, &rep
	}

	switch {
	case sampleN > 0 && len(files.files) > 0:
		return nil, usagef("give either -f files or --sample, not both")
	case sampleN < 0:
		return nil, usagef("--sample %d: want a positive number of customers", sampleN)
	case sampleN > 0:
		for _, name := range []string{"format", "delimiter", "no-header", "map", "time-layout"} {
			if set[name] {
				return nil, usagef("--%s does not apply to --sample", name)
			}
		}
		cfg.Sources = []input.Source{sample.Source(sample.DefaultConfig(sampleN))}
	case len(files.files) == 0:
		return nil, usagef("no input: give -f FILE or --sample N")
	default:
		m, err := input.ParseMapping(mapping)
		if err != nil {
			return nil, usagef("--map: %w", err)
		}
		in := input.Options{Format: strings.ToLower(format), Delimiter: delim, NoHeader: noHeader, Mapping: m, TimeLayout: layout, Location: loc}
		if err := in.Validate(); err != nil {
			return nil, usageError{err}
		}
		for _, f := range files.files {
			src := input.FileSource(f.path, in, f.channel)
			// Detected once here, so the result document names the format read.
			src.Options.Format = input.DetectFormat(src)
			cfg.Sources = append(cfg.Sources, src)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, usageError{err}
	}
	return o, nil
}

// parseDate reads DATE flags: 2006-01-02 or 20060102 (the start of that day
// in loc, or its last nanosecond when endOfDay) or RFC 3339 (exact).
func parseDate(name, s string, loc *time.Location, endOfDay bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.DateOnly, "20060102"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			if endOfDay {
				t = t.AddDate(0, 0, 1).Add(-time.Nanosecond)
			}
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("%s %q: want 2006-01-02, 20060102 or RFC 3339", name, s)
}

func run(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	cfg := o.cfg
	start := time.Now()
	if !o.quiet {
		cfg.Progress = func(e engine.Event) {
			// Only long runs talk: read events come every million rows.
			if e.Stage == "read" || time.Since(start) > 2*time.Second {
				fmt.Fprintf(stderr, "crmlens analyze: %s (%.1fs)\n", e.Msg, time.Since(start).Seconds())
			}
		}
	}
	var w result.CustomerWriter
	var file *os.File
	if o.customersOut != "" {
		f, err := os.Create(o.customersOut)
		if err != nil {
			return fmt.Errorf("--customers-out: %w", err)
		}
		defer f.Close() // on early return; the success path closes and checks
		file = f
		switch strings.ToLower(filepath.Ext(o.customersOut)) {
		case ".ndjson", ".jsonl":
			w, err = result.NewNDJSONWriter(f, engine.Columns(cfg))
		default:
			w, err = result.NewCSVWriter(f, engine.Columns(cfg))
		}
		if err != nil {
			return err
		}
	}
	doc, err := engine.Run(ctx, cfg, w)
	if err != nil {
		return err
	}
	// Warnings go to stderr in every output mode (and -q): a report that
	// failed or a fit to read with care is not progress chatter.
	for _, wn := range doc.Warnings {
		fmt.Fprintf(stderr, "crmlens analyze: warning: %s\n", warningLine(wn))
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return fmt.Errorf("--customers-out: %w", err)
		}
	}
	if o.output == "table" {
		return writeTable(stdout, doc)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}
