package aggregate

import (
	"bytes"
	"hash/maphash"
)

// idTable interns customer IDs: it maps each distinct ID to a dense index
// 0, 1, 2, … in first-seen order. It replaces map[string]int32 on the hot
// path because it holds no pointers (the garbage collector never scans a
// million strings) and stores short IDs inside the slot, so a lookup usually
// touches a single cache line.
type idTable struct {
	seed  maphash.Seed
	slots []idSlot // open addressing, linear probing, power-of-two size
	mask  uint64
	arena []byte   // all IDs, concatenated in index order
	offs  []uint32 // ID i is arena[offs[i]:offs[i+1]]
}

// inlineKey is the longest ID kept inside its slot (fits the 32-byte slot).
const inlineKey = 23

type idSlot struct {
	// hash is the low 32 bits of the ID's hash: it skips most key
	// comparisons and gives the home slot again when the table grows, so
	// growing never rehashes the IDs.
	hash uint32
	idx  uint32 // index + 1; 0 marks an empty slot
	klen uint8
	key  [inlineKey]byte
}

// idSeed is shared by every table of the process, so that a customer's hash
// is the same in every worker (order keys are built from it).
var idSeed = maphash.MakeSeed()

func newIDTable(sizeHint int) *idTable {
	n := 1024
	for n < 2*sizeHint {
		n *= 2
	}
	return &idTable{seed: idSeed, slots: make([]idSlot, n), mask: uint64(n - 1), offs: []uint32{0}}
}

// Len is the number of distinct IDs.
func (t *idTable) Len() int { return len(t.offs) - 1 }

// ID returns the bytes of ID i (valid until the next insert).
func (t *idTable) ID(i int32) []byte { return t.arena[t.offs[i]:t.offs[i+1]] }

// Intern returns the index of id, adding it when new.
func (t *idTable) Intern(id []byte) (idx int32, added bool) {
	return t.internHashed(id, t.hash(id))
}

// hash is the table's hash of id, for internHashed and touch.
func (t *idTable) hash(id []byte) uint64 { return maphash.Bytes(t.seed, id) }

// touch loads the slot a hash starts probing at, so that a batch of lookups
// can bring their cache lines in concurrently.
func (t *idTable) touch(h uint64) uint32 { return t.slots[h&t.mask].idx }

// internHashed is Intern with the hash already computed.
func (t *idTable) internHashed(id []byte, h uint64) (idx int32, added bool) {
	tag := uint32(h)
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.idx == 0 {
			if 4*t.Len() >= 3*len(t.slots) {
				t.grow()
				return t.internHashed(id, h)
			}
			idx = int32(t.Len())
			s.hash, s.idx = tag, uint32(idx)+1
			if len(id) <= inlineKey {
				s.klen = uint8(len(id))
				copy(s.key[:], id)
			} else {
				s.klen = inlineKey + 1 // marks "compare in the arena"
			}
			t.arena = append(t.arena, id...)
			t.offs = append(t.offs, uint32(len(t.arena)))
			return idx, true
		}
		if s.hash != tag {
			continue
		}
		if s.klen <= inlineKey {
			if int(s.klen) == len(id) && string(s.key[:s.klen]) == string(id) {
				return int32(s.idx - 1), false
			}
		} else if bytes.Equal(t.ID(int32(s.idx-1)), id) {
			return int32(s.idx - 1), false
		}
	}
}

func (t *idTable) grow() {
	old := t.slots
	t.slots = make([]idSlot, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	if t.mask > 1<<32-1 {
		panic("aggregate: customer ID table beyond 2^32 slots")
	}
	for _, s := range old {
		if s.idx == 0 {
			continue
		}
		i := uint64(s.hash) & t.mask
		for t.slots[i].idx != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
}
