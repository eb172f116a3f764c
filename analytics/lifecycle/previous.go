package lifecycle

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadAssignments reads a previous assignment for transitions: CSV with a
// header holding "customer" and "stage" columns — the per-customer part of
// an earlier lifecycle run. An unknown stage or a repeated customer is an
// error naming the line, since the file is meant to be the engine's own
// output.
func ReadAssignments(r io.Reader) (map[string]Stage, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("previous assignment: read header: %w", err)
	}
	ci, si := -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "customer":
			ci = i
		case "stage":
			si = i
		}
	}
	if ci < 0 || si < 0 {
		return nil, errors.New(`previous assignment: header needs "customer" and "stage" columns`)
	}
	out := map[string]Stage{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("previous assignment: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if ci >= len(rec) || si >= len(rec) {
			return nil, fmt.Errorf("previous assignment line %d: too few columns", line)
		}
		st, err := ParseStage(strings.TrimSpace(rec[si]))
		if err != nil {
			return nil, fmt.Errorf("previous assignment line %d: %w", line, err)
		}
		id := rec[ci]
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("previous assignment line %d: customer listed twice", line)
		}
		out[strings.Clone(id)] = st
	}
}
