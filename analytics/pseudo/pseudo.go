// Package pseudo pseudonymises customer IDs with a keyed hash, so summaries,
// reports and exported assignments can name customers without revealing who
// they are.
//
// The pseudonym of an ID is the lowercase hex encoding of
// HMAC-SHA256(key, id), truncated to a fixed number of hex characters
// (default 16 = 64 bits). The same key always gives the same pseudonym, so
// runs stay comparable and a pseudonymised export still joins with another
// one made with the same key; without the key the mapping can neither be
// reversed nor rebuilt by hashing guessed IDs (unlike a plain hash). The
// value is the standard HMAC, so a warehouse can compute the same column,
// e.g. PostgreSQL with pgcrypto:
//
//	left(encode(hmac(customer_id, key, 'sha256'), 'hex'), 16)
//
// Truncation trades length for collision risk: with n distinct IDs and b
// bits the chance of any collision is about n²/2^(b+1) — for 16 hex
// characters (64 bits) and ten million customers, about 3·10⁻⁶.
//
// The key is secret material (operators read it from a Kubernetes Secret);
// it must be at least MinKeyBytes long and is never logged or stored.
package pseudo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// DefaultHexLength is the pseudonym length used when none is given: 16 hex
// characters, 64 bits of the HMAC.
const DefaultHexLength = 16

// MinHexLength and MaxHexLength bound the pseudonym length: below 8 hex
// characters (32 bits) collisions become likely for ordinary customer
// bases; 64 is the whole SHA-256 output.
const (
	MinHexLength = 8
	MaxHexLength = 64
)

// MinKeyBytes is the shortest accepted key: 128 bits.
const MinKeyBytes = 16

// ErrShortKey is returned for keys shorter than MinKeyBytes.
var ErrShortKey = errors.New("pseudonymisation key too short")

// Pseudonymizer maps IDs to pseudonyms. It is safe for concurrent use.
type Pseudonymizer struct {
	n    int
	pool sync.Pool // of hash.Hash keyed with the key
}

// New returns a Pseudonymizer for key, producing hexLength hex characters
// (0 means DefaultHexLength). The key is copied.
func New(key []byte, hexLength int) (*Pseudonymizer, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrShortKey, len(key), MinKeyBytes)
	}
	if hexLength == 0 {
		hexLength = DefaultHexLength
	}
	if hexLength < MinHexLength || hexLength > MaxHexLength {
		return nil, fmt.Errorf("pseudonym length %d: want %d to %d hex characters", hexLength, MinHexLength, MaxHexLength)
	}
	k := append([]byte(nil), key...)
	p := &Pseudonymizer{n: hexLength}
	p.pool.New = func() any { return hmac.New(sha256.New, k) }
	return p, nil
}

// ID returns the pseudonym of id.
func (p *Pseudonymizer) ID(id string) string {
	h := p.pool.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(id))
	var sum [sha256.Size]byte
	out := h.Sum(sum[:0])
	p.pool.Put(h)
	var buf [2 * sha256.Size]byte
	hex.Encode(buf[:], out)
	return string(buf[:p.n])
}

// HexLength returns the pseudonym length in hex characters.
func (p *Pseudonymizer) HexLength() int { return p.n }
