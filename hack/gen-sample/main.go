// Command gen-sample writes the built-in synthetic shop (analytics/sample) as
// CSV, for benchmarks and demos:
//
//	go run ./hack/gen-sample -customers 1000000 -lines 10 -seed 1 -o shop.csv
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/crmlens/crmlens/analytics/sample"
)

func main() {
	cfg := sample.DefaultConfig(1000)
	flag.IntVar(&cfg.Customers, "customers", cfg.Customers, "number of customers")
	flag.Float64Var(&cfg.LinesPerCustomer, "lines", cfg.LinesPerCustomer, "target mean of purchase lines per customer")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	flag.StringVar(&cfg.TimeLayout, "time-layout", "rfc3339", "timestamp layout: rfc3339 or datetime")
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen-sample:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	st, err := sample.Generate(cfg, w)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-sample:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen-sample: %d rows, %d lines, %d orders, %d customers (%d gift, %d refund, %d duplicate, %d malformed rows)\n",
		st.Rows, st.Lines, st.Orders, st.Customers, st.Gifts, st.Refunds, st.Duplicates, st.Malformed)
}
