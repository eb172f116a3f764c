package forecast

import (
	"fmt"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// Granularity is the step of a revenue series.
type Granularity string

// Series steps. Weeks start on Monday; months are calendar months.
const (
	Daily   Granularity = "day"
	Weekly  Granularity = "week"
	Monthly Granularity = "month"
)

// Series is a contiguous revenue series: Values[i] belongs to the step that
// starts on Start[i]; steps without sales hold 0.
type Series struct {
	Granularity Granularity `json:"granularity"`
	Start       []time.Time `json:"start"`
	Values      []float64   `json:"values"`
}

// bucket returns the first day of the step containing d.
func bucket(d customer.Day, g Granularity) customer.Day {
	t := d.Time()
	switch g {
	case Weekly:
		return d - customer.Day((int(t.Weekday())+6)%7)
	case Monthly:
		return customer.DayOf(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC))
	}
	return d
}

func next(d customer.Day, g Granularity) customer.Day {
	switch g {
	case Weekly:
		return d + 7
	case Monthly:
		t := d.Time()
		return customer.DayOf(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC))
	}
	return d + 1
}

// Aggregate sums daily revenue (ascending by day) into a contiguous series of
// the given granularity from the first to the last step with sales. Partial
// first and last steps are kept as they are; callers that need whole steps
// trim them.
func Aggregate(daily []customer.DailyRevenue, g Granularity) (Series, error) {
	if g != Daily && g != Weekly && g != Monthly {
		return Series{}, fmt.Errorf("forecast: unknown granularity %q (want day, week or month)", string(g))
	}
	s := Series{Granularity: g}
	if len(daily) == 0 {
		return s, nil
	}
	cur := bucket(daily[0].Day, g)
	s.Start = append(s.Start, cur.Time())
	s.Values = append(s.Values, 0)
	prev := daily[0].Day - 1
	// Each step's sum is kept in fixed point and converted once, so the
	// series holds exact decimal sums.
	var acc txn.Money
	for _, d := range daily {
		if d.Day <= prev {
			return Series{}, fmt.Errorf("forecast: daily revenue not ascending at %s", d.Day.Time().Format("2006-01-02"))
		}
		prev = d.Day
		b := bucket(d.Day, g)
		for cur < b {
			cur = next(cur, g)
			s.Start = append(s.Start, cur.Time())
			s.Values = append(s.Values, 0)
			acc = 0
		}
		acc += d.Revenue
		s.Values[len(s.Values)-1] = acc.Float()
	}
	return s, nil
}

// RunSeries runs Run on s.Values and dates every forecast step, continuing the
// series' granularity after its last step.
func RunSeries(s Series, cfg Config) (Result, error) {
	if len(s.Values) == 0 || len(s.Start) != len(s.Values) {
		return Result{}, fmt.Errorf("forecast: series has %d values and %d start dates", len(s.Values), len(s.Start))
	}
	res, err := Run(s.Values, cfg)
	if err != nil {
		return Result{}, err
	}
	d := customer.DayOf(s.Start[len(s.Start)-1])
	for i := range res.Forecast {
		d = next(d, s.Granularity)
		res.Forecast[i].Start = d.Time()
	}
	return res, nil
}
