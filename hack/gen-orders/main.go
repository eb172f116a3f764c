// Command gen-orders writes the second data shape of hack/bench-analytics.sh:
// a plain order export where every line is its own order (a distinct order
// ID per line), with a `YYYY-MM-DD HH:MM:SS` time, in time order, and each
// line's customer drawn at random (so consecutive lines almost never share
// a customer, unlike the order-grouped lines of hack/gen-sample):
//
//	go run ./hack/gen-orders -customers 1000000 -lines 10 -seed 1 -o orders.csv
//
// Columns: customer_id, order_id, timestamp, amount, channel, category.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

func main() {
	customers := flag.Int("customers", 1000, "number of customers")
	lines := flag.Float64("lines", 10, "mean lines (= orders) per customer")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen-orders:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := generate(w, *customers, *lines, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "gen-orders:", err)
		os.Exit(1)
	}
}

var (
	channels   = []string{"web", "app", "store"}
	categories = []string{"apparel", "shoes", "home", "beauty", "electronics", "toys", "books", "sports"}
)

func generate(w io.Writer, customers int, perCustomer float64, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	bw := bufio.NewWriterSize(w, 1<<20)
	n := int64(float64(customers) * perCustomer)
	start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	span := int64(3 * 365 * 86400)
	// Time order: equal steps with jitter inside each step keep the lines
	// sorted without holding them.
	step := float64(span) / float64(max(n, 1))
	buf := []byte("customer_id,order_id,timestamp,amount,channel,category\n")
	for i := int64(0); i < n; i++ {
		ts := start + int64((float64(i)+rng.Float64())*step)
		c := rng.IntN(customers)
		cents := int64(math.Exp(2.5+rng.NormFloat64()*0.8)*100) + 1
		buf = append(buf, 'C')
		buf = appendPadded(buf, int64(c), 7)
		buf = append(buf, ",O"...)
		buf = appendPadded(buf, i+1, 9)
		buf = append(buf, ',')
		buf = time.Unix(ts, 0).UTC().AppendFormat(buf, "2006-01-02 15:04:05")
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, cents/100, 10)
		buf = append(buf, '.', byte('0'+cents%100/10), byte('0'+cents%10), ',')
		buf = append(buf, channels[rng.IntN(len(channels))]...)
		buf = append(buf, ',')
		buf = append(buf, categories[rng.IntN(len(categories))]...)
		buf = append(buf, '\n')
		if len(buf) > 1<<16 {
			if _, err := bw.Write(buf); err != nil {
				return fmt.Errorf("write: %w", err)
			}
			buf = buf[:0]
		}
	}
	if _, err := bw.Write(buf); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

func appendPadded(b []byte, v int64, width int) []byte {
	s := strconv.AppendInt(nil, v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
