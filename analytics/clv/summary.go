package clv

import (
	"fmt"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
)

// TimeUnit is the unit in which recency, age and horizons are measured.
type TimeUnit string

// Supported time units. A month is an average Gregorian month (365.25/12 days).
const (
	Day   TimeUnit = "day"
	Week  TimeUnit = "week"
	Month TimeUnit = "month"
)

// Days returns the length of the unit in days.
func (u TimeUnit) Days() (float64, error) {
	switch u {
	case Day:
		return 1, nil
	case Week, "":
		return 7, nil
	case Month:
		return 365.25 / 12, nil
	}
	return 0, fmt.Errorf("clv: unknown time unit %q (want day, week or month)", string(u))
}

// Summary is one customer's calibration-period statistics, the sufficient input
// of BG/NBD and Gamma-Gamma.
type Summary struct {
	X        int     // repeat purchase days in the calibration period (purchase days − 1)
	Tx       float64 // recency: time from first to last calibration purchase day
	T        float64 // age: time from first purchase day to the calibration end
	Monetary float64 // mean spend of the repeat days (first day excluded); 0 when X == 0
	// Holdout is the number of purchase days after the calibration end (for
	// checking predictions); HoldoutSpend their total spend.
	Holdout      int
	HoldoutSpend float64
	// Historic is the total spend in the calibration period, first day included.
	Historic float64
}

// SummaryFrom computes the summary of c from its History (which must be kept
// and ascending) with the calibration period ending on calibrationEnd's
// calendar day, inclusive. ok is false when the customer has no purchase day on
// or before that day (it cannot enter a calibration fit).
func SummaryFrom(c customer.Customer, calibrationEnd time.Time, unit TimeUnit) (s Summary, ok bool, err error) {
	days, err := unit.Days()
	if err != nil {
		return Summary{}, false, err
	}
	end := customer.DayOf(calibrationEnd)
	return summaryFromHistory(c.History, end, days)
}

func summaryFromHistory(h []customer.DayAmount, end customer.Day, unitDays float64) (s Summary, ok bool, err error) {
	ds, err := Condense(h, end)
	if err != nil {
		return Summary{}, false, err
	}
	s, ok = summaryOf(ds, end, unitDays)
	return s, ok, nil
}

// Condense reduces an ascending purchase-day history to the figures a fit
// needs around the calibration end day (inclusive). A database computes the
// same in SQL (see the postgres pushdown), so only they need to travel.
func Condense(h []customer.DayAmount, end customer.Day) (customer.DaySummary, error) {
	var ds customer.DaySummary
	if len(h) == 0 {
		return ds, nil
	}
	ds.First, ds.LastCal = h[0].Day, h[0].Day
	ds.FirstSpend = h[0].Amount
	prev := h[0].Day - 1
	for _, d := range h {
		if d.Day <= prev {
			return customer.DaySummary{}, fmt.Errorf("clv: history not ascending by day at %s", d.Day.Time().Format("2006-01-02"))
		}
		prev = d.Day
		if d.Day > end {
			ds.HoldoutDays++
			ds.HoldoutSpend += d.Amount
			continue
		}
		ds.CalDays++
		ds.CalSpend += d.Amount
		ds.LastCal = d.Day
	}
	return ds, nil
}

// summaryOf converts a condensed history to the fit's units. Sums stay
// Money until here, so the pushdown and the file path give identical floats.
func summaryOf(ds customer.DaySummary, end customer.Day, unitDays float64) (s Summary, ok bool) {
	if ds.CalDays == 0 {
		return Summary{}, false
	}
	s.X = int(ds.CalDays) - 1
	s.Tx = float64(ds.LastCal-ds.First) / unitDays
	s.T = float64(end-ds.First) / unitDays
	if s.X > 0 {
		s.Monetary = (ds.CalSpend - ds.FirstSpend).Float() / float64(s.X)
	}
	s.Historic = ds.CalSpend.Float()
	s.Holdout = int(ds.HoldoutDays)
	s.HoldoutSpend = ds.HoldoutSpend.Float()
	return s, true
}

// Summaries builds the summaries of every customer of set that entered before
// the calibration end. ids[i] is the customer ID of sums[i]. A set that
// carries condensed summaries (Set.SummaryEnd) is used as it is; it must have
// been condensed at the same calibration end day.
func Summaries(set *customer.Set, calibrationEnd time.Time, unit TimeUnit) (ids []string, sums []Summary, err error) {
	days, err := unit.Days()
	if err != nil {
		return nil, nil, err
	}
	end := customer.DayOf(calibrationEnd)
	if set.SummaryEnd != nil && *set.SummaryEnd != end {
		return nil, nil, fmt.Errorf("clv: the customer set was summarised at calibration end %s, the analysis asks for %s",
			set.SummaryEnd.Time().Format(time.DateOnly), end.Time().Format(time.DateOnly))
	}
	for i := range set.Customers {
		c := &set.Customers[i]
		var s Summary
		var ok bool
		switch {
		case set.SummaryEnd != nil && c.Summary != nil:
			s, ok = summaryOf(*c.Summary, end, days)
		case set.SummaryEnd != nil && len(c.History) == 0:
			return nil, nil, fmt.Errorf("clv: customer %d has neither a summary nor a purchase history", i)
		default:
			s, ok, err = summaryFromHistory(c.History, end, days)
			if err != nil {
				return nil, nil, fmt.Errorf("customer %d: %w", i, err)
			}
		}
		if ok {
			ids = append(ids, c.ID)
			sums = append(sums, s)
		}
	}
	return ids, sums, nil
}
