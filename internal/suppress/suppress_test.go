package suppress

import (
	"strings"
	"testing"
)

// TestListKeyedAndStable: entries depend on the key, never contain the ID,
// round-trip through the stored text, and adding twice adds once.
func TestListKeyedAndStable(t *testing.T) {
	k1, k2 := []byte("key-one-0123456789"), []byte("key-two-0123456789")
	if Digest(k1, "C0000001") == Digest(k2, "C0000001") || Digest(k1, "C0000001") == Digest(k1, "C0000002") {
		t.Fatal("digests not keyed or not distinct")
	}
	l, err := Parse(k1, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := l.Add([]string{"C0000001", "C0000002", "C0000001"}); n != 2 {
		t.Errorf("added %d, want 2", n)
	}
	if n := l.Add([]string{"C0000002"}); n != 0 {
		t.Errorf("re-added %d", n)
	}
	text := l.String()
	if strings.Contains(text, "C000000") || strings.Count(text, "\n") != 2 {
		t.Errorf("stored list = %q", text)
	}
	back, err := Parse(k1, text)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"C0000001": true, "C0000002": true, "C0000003": false} {
		if back.Contains(id) != want {
			t.Errorf("Contains(%s) = %v", id, !want)
		}
	}
	// Under another key the same list matches nobody.
	other, _ := Parse(k2, text)
	if other.Contains("C0000001") {
		t.Error("list matched under another key")
	}
	for _, bad := range []string{"zz\n", strings.Repeat("*", 16) + "\n"} {
		if _, err := Parse(k1, bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if got := ParseIDs(" a \r\n\nb\na\n"); strings.Join(got, ",") != "a,b" {
		t.Errorf("ParseIDs = %q", got)
	}
}
