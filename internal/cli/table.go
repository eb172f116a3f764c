package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
)

// maxTableOffsets bounds the cohort columns printed in the table view.
const maxTableOffsets = 12

// writeTable prints a readable summary of doc.
func writeTable(out io.Writer, doc *result.Document) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	in := doc.Input
	fmt.Fprintf(w, "Method %s, as of %s", doc.Run.Method, doc.Run.AsOf.Format(time.DateOnly))
	if len(doc.Run.Reports) > 0 {
		fmt.Fprintf(w, ", reports %s", strings.Join(doc.Run.Reports, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Input: %d rows, %d transactions, %d customers\n", in.Rows, in.Transactions, in.Customers)
	if len(in.Rejected) > 0 {
		keys := make([]string, 0, len(in.Rejected))
		for k := range in.Rejected {
			keys = append(keys, string(k))
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, in.Rejected[txn.RejectReason(k)])
		}
		fmt.Fprintf(w, "Rejected: %s\n", strings.Join(parts, ", "))
	}
	if len(in.Netted) > 0 {
		keys := make([]string, 0, len(in.Netted))
		for k := range in.Netted {
			keys = append(keys, string(k))
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, in.Netted[txn.RejectReason(k)])
		}
		fmt.Fprintf(w, "Netted against revenue: %s\n", strings.Join(parts, ", "))
	}
	switch in.OrderUnit {
	case result.OrderUnitOrder:
		fmt.Fprintln(w, "An order is a distinct order ID of a customer")
	case result.OrderUnitLine:
		fmt.Fprintln(w, "An order is a purchase line (no order column)")
	case result.OrderUnitDay:
		fmt.Fprintln(w, "An order is a purchase day (merge-same-day)")
	}
	if in.NonPositiveNetCustomers > 0 {
		fmt.Fprintf(w, "Customers with net spend ≤ 0: %d\n", in.NonPositiveNetCustomers)
	}
	if in.Customers == 0 {
		fmt.Fprintln(w, "No customers after cleaning: the input is empty or every row was rejected.")
	}
	for _, wn := range doc.Warnings {
		fmt.Fprintf(w, "WARNING %s\n", warningLine(wn))
	}
	if len(doc.Segments) > 0 {
		fmt.Fprintln(w, "\nSEGMENT\tCUSTOMERS\tSHARE\tREVENUE\tREVENUE SHARE")
		for _, s := range doc.Segments {
			share := 0.0
			if in.Customers > 0 {
				share = float64(s.Customers) / float64(in.Customers)
			}
			fmt.Fprintf(w, "%s\t%d\t%s\t%.2f\t%s\n", s.Name, s.Customers, pct(share), s.Revenue, pct(s.RevenueShare))
		}
	}
	if v := doc.ValueMatrix; v != nil {
		fmt.Fprintf(w, "Value matrix split: AOV > %.2f, frequency > %g orders (%s)\n", v.AOVThreshold, v.FrequencyThreshold, v.ThresholdSource)
	}
	if l := doc.Lifecycle; l != nil && len(l.Transitions) > 0 {
		fmt.Fprintln(w, "\nFROM\tTO\tCUSTOMERS")
		for _, t := range l.Transitions {
			fmt.Fprintf(w, "%s\t%s\t%d\n", t.From, t.To, t.Customers)
		}
	}
	if k := doc.KPI; k != nil {
		fmt.Fprintln(w, "\nKPI\tVALUE")
		fmt.Fprintf(w, "customers\t%d\n", k.Customers)
		fmt.Fprintf(w, "active customers (< %d days)\t%d\n", k.Params.ActiveDays, k.ActiveCustomers)
		fmt.Fprintf(w, "churn rate (≥ %d days)\t%s\n", k.Params.ChurnDays, pct(k.ChurnRate))
		fmt.Fprintf(w, "repurchase rate\t%s\n", pct(k.RepurchaseRate))
		fmt.Fprintf(w, "orders\t%d\n", k.Orders)
		fmt.Fprintf(w, "revenue\t%.2f\n", k.Revenue)
		fmt.Fprintf(w, "average order value\t%.2f\n", k.AverageOrderValue)
		for _, b := range k.RecencyDistribution {
			fmt.Fprintf(w, "recency %s days\t%d (%s)\n", b.Label, b.Customers, pct(b.Share))
		}
		if c := k.Campaign; c != nil {
			fmt.Fprintf(w, "campaign response rate\t%s (%d of %d contacts)\n", pct(c.ResponseRate), c.Responses, c.Contacts)
			if c.ROI != nil {
				fmt.Fprintf(w, "campaign ROI\t%.2f\n", *c.ROI)
			}
		}
	}
	if p := doc.Pareto; p != nil {
		if p.Defined {
			fmt.Fprintf(w, "\nPareto: %s of revenue comes from %s of customers (%d); Gini %.3f\n", pct(p.Share), pct(p.CustomerShare), p.TopCustomers, p.Gini)
		} else {
			fmt.Fprintln(w, "\nPareto: undefined (no positive revenue)")
		}
	}
	if c := doc.Cohort; c != nil && len(c.Cohorts) > 0 {
		fmt.Fprintf(w, "\nCOHORT\tCUSTOMERS")
		width := min(maxTableOffsets, len(c.Cohorts[0].Retention))
		for k := 0; k < width; k++ {
			fmt.Fprintf(w, "\tM%d", k)
		}
		fmt.Fprintln(w)
		for _, co := range c.Cohorts {
			if co.Customers == 0 {
				continue // months without acquisitions stay in the JSON, not here
			}
			fmt.Fprintf(w, "%s\t%d", co.Month, co.Customers)
			for k := 0; k < width && k < len(co.Retention); k++ {
				fmt.Fprintf(w, "\t%s", pct(co.Retention[k]))
			}
			fmt.Fprintln(w)
		}
	}
	writeModelTables(w, doc)
	if doc.Truncated {
		fmt.Fprintf(w, "\n(summary truncated: %s)\n", strings.Join(doc.TruncatedFields, ", "))
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
