package clean

import (
	"encoding/binary"
	"hash/maphash"
	"sync"

	"github.com/crmlens/crmlens/analytics/input"
)

// seed is fixed per process so every goroutine fingerprints alike.
var seed = maphash.MakeSeed()

// LineFingerprint hashes every field of a row into 64 bits. Two rows are
// duplicates when their fingerprints match; with 64 bits the chance of a false
// match among 100M distinct lines is about 3·10⁻⁴.
func LineFingerprint(r *input.Record) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	var num [8 * 3]byte
	binary.LittleEndian.PutUint64(num[0:], uint64(r.Time.UnixNano()))
	binary.LittleEndian.PutUint64(num[8:], uint64(r.Amount))
	q := uint64(r.Quantity) << 1
	if r.Gift {
		q |= 1
	}
	binary.LittleEndian.PutUint64(num[16:], q)
	h.Write(num[:])
	for _, f := range [...][]byte{r.Customer, r.Order, r.Channel, r.Category, r.Product} {
		h.Write(f)
		h.WriteByte(0) // separator: "ab"+"c" differs from "a"+"bc"
	}
	return h.Sum64()
}

const fpShards = 64

// FingerprintSet is a concurrent set of 64-bit fingerprints: 64 shards, each an
// open-addressing table of uint64 (0 marks an empty slot; fingerprint 0 is
// stored as 1). It costs 8 bytes per slot at ≤ 75 % load.
type FingerprintSet struct {
	shards [fpShards]fpShard
}

type fpShard struct {
	mu    sync.Mutex
	slots []uint64
	n     int
	_     [32]byte // keep shards on separate cache lines
}

// NewFingerprintSet returns an empty set.
func NewFingerprintSet() *FingerprintSet { return &FingerprintSet{} }

// Add inserts fp and reports whether it was already present.
func (s *FingerprintSet) Add(fp uint64) bool {
	if fp == 0 {
		fp = 1
	}
	sh := &s.shards[fp%fpShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if (sh.n+1)*4 > len(sh.slots)*3 {
		sh.grow()
	}
	mask := uint64(len(sh.slots) - 1)
	for i := (fp / fpShards) & mask; ; i = (i + 1) & mask {
		switch sh.slots[i] {
		case fp:
			return true
		case 0:
			sh.slots[i] = fp
			sh.n++
			return false
		}
	}
}

// Len is the number of distinct fingerprints.
func (s *FingerprintSet) Len() int {
	n := 0
	for i := range s.shards {
		s.shards[i].mu.Lock()
		n += s.shards[i].n
		s.shards[i].mu.Unlock()
	}
	return n
}

func (sh *fpShard) grow() {
	old := sh.slots
	size := max(1024, 2*len(old))
	sh.slots = make([]uint64, size)
	mask := uint64(size - 1)
	for _, fp := range old {
		if fp == 0 {
			continue
		}
		i := (fp / fpShards) & mask
		for sh.slots[i] != 0 {
			i = (i + 1) & mask
		}
		sh.slots[i] = fp
	}
}
