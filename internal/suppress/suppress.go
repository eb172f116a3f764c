// Package suppress is the per-namespace suppression list of erased
// customers: IDs that later runs leave out even while a source still holds
// them. The list never holds an ID in clear: each entry is a keyed digest,
// HMAC-SHA256(suppression key, "crmlens/suppress/v1" ‖ 0 ‖ id) cut to 96
// bits, a
// derivation of its own — never the exported pseudonym, so a pseudonymised
// export cannot be joined against the list, and the list cannot be matched
// against guessed IDs without the key. List and key live in one Secret the
// operator owns in each namespace (SecretName).
package suppress

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Names of the per-namespace Secret and its keys.
const (
	// SecretName is the operator-generated Secret of a namespace that holds
	// the state-hash key, the suppression key and the suppression list.
	SecretName = "crmlens-privacy"
	// KeyStateKey keys the state ConfigMap's per-customer hashes when the
	// owner does not pseudonymise (else the pseudonymize key is used).
	KeyStateKey = "state-key"
	// KeySuppressionKey keys the suppression list's digests.
	KeySuppressionKey = "suppression-key"
	// KeyList holds the suppression list: one digest a line, sorted.
	KeyList = "suppressed"
)

// digestLen is the length of a list entry: 96 bits in unpadded base64url,
// so a false match among 10⁷ customers and 10⁴ entries has odds of about
// 10⁻¹⁸, while an entry with its newline takes 17 bytes.
const digestLen = 16

// MaxListBytes bounds the stored list: it reaches a run as one environment
// variable, and Linux refuses a single one above 128 KiB (MAX_ARG_STRLEN).
// That is about 7,700 entries per namespace.
const MaxListBytes = 120 << 10

const domain = "crmlens/suppress/v1\x00"

// NewKey returns a fresh random key as 64 hex characters (text, so it can
// travel in an environment variable).
func NewKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Digest is id's list entry under key.
func Digest(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(domain))
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// List is a parsed suppression list.
type List struct {
	key     []byte
	entries map[string]struct{}
}

// Parse reads a list (one digest a line; blank lines ignored) under key.
func Parse(key []byte, text string) (*List, error) {
	if len(key) == 0 {
		return nil, errors.New("suppression list: empty key")
	}
	l := &List{key: key, entries: map[string]struct{}{}}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(line) != digestLen {
			return nil, fmt.Errorf("suppression list: entry of %d characters, want %d", len(line), digestLen)
		}
		if _, err := base64.RawURLEncoding.DecodeString(line); err != nil {
			return nil, fmt.Errorf("suppression list: entry is not base64url: %w", err)
		}
		l.entries[line] = struct{}{}
	}
	return l, nil
}

// Len is the number of entries.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.entries)
}

// Contains reports whether id is suppressed.
func (l *List) Contains(id string) bool {
	if l == nil || len(l.entries) == 0 {
		return false
	}
	_, ok := l.entries[Digest(l.key, id)]
	return ok
}

// Add puts ids on the list and returns how many were new.
func (l *List) Add(ids []string) int {
	n := 0
	for _, id := range ids {
		d := Digest(l.key, id)
		if _, ok := l.entries[d]; !ok {
			l.entries[d] = struct{}{}
			n++
		}
	}
	return n
}

// String renders the list, sorted, so equal lists are equal bytes.
func (l *List) String() string {
	out := make([]string, 0, len(l.entries))
	for d := range l.entries {
		out = append(out, d)
	}
	slices.Sort(out)
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

// ParseIDs reads customer IDs, one a line, as an erasure request's Secret
// holds them: surrounding spaces and a trailing CR are trimmed, blank lines
// and duplicates dropped, order kept.
func ParseIDs(text string) []string {
	seen := map[string]bool{}
	var ids []string
	for _, line := range strings.Split(text, "\n") {
		id := strings.TrimSpace(line)
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	return ids
}
