package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmlens/crmlens/internal/pgtest"
)

// shared is one server for the tests that do not stop it.
var (
	shared    *pgtest.Server
	sharedErr error
)

func TestMain(m *testing.M) {
	shared, sharedErr = pgtest.New(pgtest.Options{})
	code := m.Run()
	if shared != nil {
		_ = shared.Close()
	}
	os.Exit(code)
}

// server returns the shared server, failing under CI and skipping otherwise when it is missing.
func server(t *testing.T) *pgtest.Server {
	t.Helper()
	if errors.Is(sharedErr, pgtest.ErrNoServer) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true)", sharedErr)
		}
		t.Skipf("skipping: %v", sharedErr)
	}
	if sharedErr != nil {
		t.Fatalf("start PostgreSQL: %v", sharedErr)
	}
	return shared
}

func connCfg(s *pgtest.Server) Config {
	return Config{Host: s.Host, Port: s.Port, Database: s.Database, User: s.User, Password: s.Password, SSLMode: SSLDisable}
}

// exec runs statements on the server through pgx.
func exec(t *testing.T, s *pgtest.Server, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

const txColumns = "customer_id text, order_id text, \"timestamp\" timestamptz, amount numeric(12,2), " +
	"channel text, category text, product text, quantity integer, gift boolean"

// loadCSV creates table name and loads the CSV bytes with COPY, so the database
// holds exactly what the file holds (empty unquoted fields become NULL).
func loadCSV(t *testing.T, s *pgtest.Server, name string, data []byte) {
	t.Helper()
	exec(t, s, "DROP TABLE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	exec(t, s, "CREATE TABLE "+pgx.Identifier{name}.Sanitize()+" ("+txColumns+")")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(data), "COPY "+pgx.Identifier{name}.Sanitize()+" FROM STDIN WITH (FORMAT csv, HEADER true)"); err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
}

// genCSV makes shop data with every kind of row the cleaning rules care about:
// multi-line orders (lines contiguous, as exports are), exact duplicate lines,
// refunds, flagged gifts, zero prices, missing customers and amounts, several
// channels (and lines without one), purchases around midnight in both zones.
func genCSV(seed uint64, customers int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	b.WriteString("customer_id,order_id,timestamp,amount,channel,category,product,quantity,gift\n")
	channels := []string{"web", "store", "app", ""}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	order := 0
	for c := 0; c < customers; c++ {
		cust := fmt.Sprintf("C%05d", c)
		n := 1 + r.IntN(6)
		for o := 0; o < n; o++ {
			order++
			ts := base.Add(time.Duration(r.IntN(365*24*60)) * time.Minute)
			if r.IntN(10) == 0 { // near midnight UTC: a different day in Europe/Berlin
				ts = time.Date(ts.Year(), ts.Month(), ts.Day(), 23, 30, 0, 0, time.UTC)
			}
			ch := channels[r.IntN(len(channels))]
			lines := 1 + r.IntN(3)
			for l := 0; l < lines; l++ {
				amount := fmt.Sprintf("%d.%02d", 1+r.IntN(200), r.IntN(100))
				gift := "false"
				switch r.IntN(40) {
				case 0:
					amount, gift = "0.00", "true"
				case 1:
					amount = "0.00" // zero price, not flagged
				case 2:
					amount = "0.50" // below a minimum
				case 3:
					amount = "" // malformed
				}
				cu := cust
				if r.IntN(60) == 0 {
					cu = ""
				}
				line := fmt.Sprintf("%s,O%06d,%s,%s,%s,cat%d,P%d,%d,%s\n", cu, order, ts.Format(time.RFC3339), amount, ch, r.IntN(4), r.IntN(30), 1+r.IntN(3), gift)
				b.WriteString(line)
				if r.IntN(25) == 0 {
					b.WriteString(line) // exact duplicate
				}
			}
		}
		if r.IntN(8) == 0 { // refund as its own order
			order++
			ts := base.Add(time.Duration(r.IntN(365*24)) * time.Hour)
			fmt.Fprintf(&b, "%s,R%06d,%s,-%d.00,web,cat0,P1,1,false\n", cust, order, ts.Format(time.RFC3339), 1+r.IntN(50))
		}
	}
	// A customer whose only line is a refund (kept only with refunds netted).
	fmt.Fprintf(&b, "ZREFUND,R999999,%s,-5.00,web,cat0,P1,1,false\n", base.Add(48*time.Hour).Format(time.RFC3339))
	return []byte(b.String())
}
