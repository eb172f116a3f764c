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
	if len(h) == 0 || h[0].Day > end {
		return Summary{}, false, nil
	}
	first := h[0].Day
	last := first
	var repeatSpend float64
	prev := first - 1
	for _, d := range h {
		if d.Day <= prev {
			return Summary{}, false, fmt.Errorf("clv: history not ascending by day at %s", d.Day.Time().Format("2006-01-02"))
		}
		prev = d.Day
		amt := d.Amount.Float()
		if d.Day > end {
			s.Holdout++
			s.HoldoutSpend += amt
			continue
		}
		s.Historic += amt
		if d.Day != first {
			s.X++
			repeatSpend += amt
			last = d.Day
		}
	}
	s.Tx = float64(last-first) / unitDays
	s.T = float64(end-first) / unitDays
	if s.X > 0 {
		s.Monetary = repeatSpend / float64(s.X)
	}
	return s, true, nil
}

// Summaries builds the summaries of every customer of set that entered before
// the calibration end. ids[i] is the customer ID of sums[i].
func Summaries(set *customer.Set, calibrationEnd time.Time, unit TimeUnit) (ids []string, sums []Summary, err error) {
	days, err := unit.Days()
	if err != nil {
		return nil, nil, err
	}
	end := customer.DayOf(calibrationEnd)
	for i := range set.Customers {
		c := &set.Customers[i]
		s, ok, err := summaryFromHistory(c.History, end, days)
		if err != nil {
			return nil, nil, fmt.Errorf("customer %d: %w", i, err)
		}
		if ok {
			ids = append(ids, c.ID)
			sums = append(sums, s)
		}
	}
	return ids, sums, nil
}
