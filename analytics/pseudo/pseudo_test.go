package pseudo

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// RFC 4231 HMAC-SHA256 test vectors, truncated as the package documents.
func TestRFC4231Vectors(t *testing.T) {
	tests := []struct {
		name      string
		key, data []byte
		full      string
	}{
		{"case 1", bytes.Repeat([]byte{0x0b}, 20), []byte("Hi There"),
			"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
		{"case 4", []byte{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19},
			bytes.Repeat([]byte{0xcd}, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
		{"case 6 (key longer than a block)", bytes.Repeat([]byte{0xaa}, 131), []byte("Test Using Larger Than Block-Size Key - Hash Key First"),
			"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
	}
	for _, tt := range tests {
		for _, n := range []int{0, 8, 40, 64} {
			p, err := New(tt.key, n)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.full[:p.HexLength()]
			if got := p.ID(string(tt.data)); got != want {
				t.Errorf("%s, %d hex: %s, want %s", tt.name, n, got, want)
			}
		}
	}
}

func TestNewRejectsBadParameters(t *testing.T) {
	key := bytes.Repeat([]byte{1}, MinKeyBytes)
	tests := []struct {
		name string
		key  []byte
		n    int
		want string
	}{
		{"empty key", nil, 0, "too short"},
		{"15-byte key", key[:15], 0, "too short"},
		{"7 hex", key, 7, "want 8 to 64"},
		{"65 hex", key, 65, "want 8 to 64"},
		{"negative", key, -1, "want 8 to 64"},
	}
	for _, tt := range tests {
		_, err := New(tt.key, tt.n)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := New(nil, 0); !errors.Is(err, ErrShortKey) {
		t.Errorf("short key error %v does not wrap ErrShortKey", err)
	}
}

func TestKeyedAndStable(t *testing.T) {
	k1 := []byte("0123456789abcdef")
	k2 := []byte("0123456789abcdeg")
	p1, _ := New(k1, 0)
	p1again, _ := New(k1, 0)
	p2, _ := New(k2, 0)
	for _, id := range []string{"", "C1", "alice@example.com", "C1 "} {
		a, b, c := p1.ID(id), p1again.ID(id), p2.ID(id)
		if a != b {
			t.Errorf("%q: same key gave %s and %s", id, a, b)
		}
		if a == c {
			t.Errorf("%q: different keys gave the same pseudonym %s", id, a)
		}
		if len(a) != DefaultHexLength || strings.Trim(a, "0123456789abcdef") != "" {
			t.Errorf("%q: pseudonym %q is not %d lowercase hex characters", id, a, DefaultHexLength)
		}
		if strings.Contains(a, id) && id != "" {
			t.Errorf("%q: pseudonym %q contains the ID", id, a)
		}
	}
	// The caller may change its key slice afterwards without effect.
	k := []byte("0123456789abcdef")
	p, _ := New(k, 0)
	before := p.ID("C1")
	k[0] = 'X'
	if p.ID("C1") != before {
		t.Error("changing the caller's key slice changed the pseudonyms")
	}
}

// 64-bit pseudonyms of 200k distinct IDs: a collision would have
// probability about 1e-9, so any collision means a broken mapping.
func TestNoCollisionsAndConcurrentUse(t *testing.T) {
	p, _ := New([]byte("a key of sixteen+"), 0)
	const n = 200_000
	out := make([]string, n)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				out[i] = p.ID(fmt.Sprintf("C%07d", i))
			}
		}()
	}
	wg.Wait()
	seen := make(map[string]int, n)
	for i, s := range out {
		if j, ok := seen[s]; ok {
			t.Fatalf("IDs %d and %d share pseudonym %s", j, i, s)
		}
		seen[s] = i
	}
	// Concurrent results equal sequential ones.
	for _, i := range []int{0, 1, 2, 3, n - 1} {
		if got := p.ID(fmt.Sprintf("C%07d", i)); got != out[i] {
			t.Errorf("ID %d: concurrent %s, sequential %s", i, out[i], got)
		}
	}
}

func BenchmarkID(b *testing.B) {
	p, _ := New([]byte("0123456789abcdef"), 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = p.ID("customer-000123456")
	}
}
