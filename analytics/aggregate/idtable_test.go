package aggregate

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

func TestIDTable(t *testing.T) {
	tab := newIDTable(0)
	long := strings.Repeat("x", 40)
	var ids []string
	for i := range 5000 { // forces several grows
		ids = append(ids, fmt.Sprintf("c%d", i), fmt.Sprintf("%s%d", long, i))
	}
	ids = append(ids, "", strings.Repeat("y", inlineKey), strings.Repeat("y", inlineKey+1))
	for round := range 2 {
		for i, id := range ids {
			idx, added := tab.Intern([]byte(id))
			if int(idx) != i || added != (round == 0) {
				t.Fatalf("round %d: Intern(%q) = %d, %v; want %d, %v", round, id, idx, added, i, round == 0)
			}
			if string(tab.ID(idx)) != id {
				t.Fatalf("ID(%d) = %q, want %q", idx, tab.ID(idx), id)
			}
		}
	}
	if tab.Len() != len(ids) {
		t.Fatalf("Len %d, want %d", tab.Len(), len(ids))
	}
	// Same low hash bits, different IDs: forced through internHashed.
	tab2 := newIDTable(0)
	a, _ := tab2.internHashed([]byte("a"), 7)
	b, _ := tab2.internHashed([]byte("b"), 7)
	a2, added := tab2.internHashed([]byte("a"), 7)
	if a == b || a2 != a || added {
		t.Fatalf("colliding hashes: a=%d b=%d a again=%d (added %v)", a, b, a2, added)
	}
}

// TestLayout pins the sizes the cache-miss reasoning in the docs relies on.
func TestLayout(t *testing.T) {
	if s := unsafe.Sizeof(acc{}); s != 64 {
		t.Errorf("acc is %d bytes, want one 64-byte cache line", s)
	}
	if s := unsafe.Sizeof(idSlot{}); s != 32 {
		t.Errorf("idSlot is %d bytes, want 32", s)
	}
}
