package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/crmlens/crmlens/analytics/pseudo"
	"github.com/crmlens/crmlens/analytics/store/objectstore"
	"github.com/crmlens/crmlens/internal/suppress"
)

const eraseUsage = `Usage: crmlens erase --ids FILE [--pseudonymize-key-file FILE] RESULT_FILE...

Erase customers (the right to be forgotten) from result files that
'crmlens analyze' wrote: each file is rewritten in place without them.

  --ids FILE                    customer IDs to erase, one a line
  --pseudonymize-key-file FILE  the key the results were pseudonymised with;
                                their pseudonyms are erased too
  --dry-run                     count what would be erased, change nothing

Per-customer CSV (a "customer" column), Parquet and NDJSON files lose the
customers' rows; JSON result documents lose the entries that name them; any
other file that names one of them (an HTML report) is deleted. Prints what
was removed per file, as counts: never an ID.
`

// Erase runs `crmlens erase` and returns the exit code.
func Erase(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("erase", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	idsFile := fs.String("ids", "", "")
	keyFile := fs.String("pseudonymize-key-file", "", "")
	dry := fs.Bool("dry-run", false, "")
	if err := fs.Parse(args); err != nil || *idsFile == "" || fs.NArg() == 0 {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, eraseUsage)
			return 0
		}
		if err == nil {
			err = errors.New("--ids and at least one result file are required")
		}
		fmt.Fprintf(stderr, "crmlens erase: %v\n\n%s", err, eraseUsage)
		return 2
	}
	raw, err := os.ReadFile(*idsFile)
	if err != nil {
		fmt.Fprintf(stderr, "crmlens erase: %v\n", err)
		return 2
	}
	ids := suppress.ParseIDs(string(raw))
	if len(ids) == 0 {
		fmt.Fprintf(stderr, "crmlens erase: %s holds no customer ID\n", *idsFile)
		return 2
	}
	stored := append([]string{}, ids...)
	if *keyFile != "" {
		key, err := os.ReadFile(*keyFile)
		if err != nil {
			fmt.Fprintf(stderr, "crmlens erase: %v\n", err)
			return 2
		}
		p, err := pseudo.New(key, 0)
		if err != nil {
			fmt.Fprintf(stderr, "crmlens erase: pseudonymize key: %v\n", err)
			return 2
		}
		for _, id := range ids {
			stored = append(stored, p.ID(id))
		}
	}
	code := 0
	for _, f := range fs.Args() {
		if err := eraseFile(f, stored, *dry, stdout); err != nil {
			fmt.Fprintf(stderr, "crmlens erase: %s: %v\n", f, err)
			code = 1
		}
	}
	return code
}

func eraseFile(name string, ids []string, dry bool, stdout io.Writer) error {
	body, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	out, n, remove, err := objectstore.ScrubFile(name, body, ids)
	if err != nil {
		return err
	}
	switch {
	case remove:
		fmt.Fprintf(stdout, "%s: names an erased customer: deleted\n", name)
		if !dry {
			return os.Remove(name)
		}
	case n == 0:
		fmt.Fprintf(stdout, "%s: nothing to erase\n", name)
	default:
		fmt.Fprintf(stdout, "%s: %d rows removed\n", name, n)
		if !dry {
			// Write beside, then rename: never a half-written result.
			tmp, err := os.CreateTemp(filepath.Dir(name), ".crmlens-erase-*")
			if err != nil {
				return err
			}
			if _, err := tmp.Write(out); err != nil {
				tmp.Close()
				os.Remove(tmp.Name())
				return err
			}
			if err := tmp.Close(); err != nil {
				os.Remove(tmp.Name())
				return err
			}
			if st, err := os.Stat(name); err == nil {
				_ = os.Chmod(tmp.Name(), st.Mode().Perm())
			}
			return os.Rename(tmp.Name(), name)
		}
	}
	return nil
}
