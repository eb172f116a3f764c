package runner

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/suppress"
)

// StateHashKey is the key of an owner's state hashes: the secret (the
// pseudonymize key, else the namespace's generated state key) bound to the
// owner's UID, so one owner's hashes cannot be matched against another's,
// and nobody who only reads the owner (and so knows its UID) can test
// guessed IDs. An empty secret falls back to the UID alone, as before keys
// were introduced.
func StateHashKey(secret, uid string) string {
	if secret == "" {
		return uid
	}
	return secret + "\x00" + uid
}

// HashCustomer is a customer's hash in the state ConfigMap under key.
func HashCustomer(key, id string) uint64 {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(id))
	return binary.BigEndian.Uint64(m.Sum(nil))
}

// stateKey is the key this run's tracker hashes with.
func (r *Runner) stateKey(p *runplan.Plan) string {
	secret := ""
	if p.StateKeyEnv != "" && r.Creds != nil {
		secret = r.Creds(p.StateKeyEnv)
	}
	return StateHashKey(secret, p.Owner.UID)
}

// suppression reads the namespace's suppression list; nil when the plan
// names none or it is empty.
func (r *Runner) suppression(p *runplan.Plan) (*suppress.List, error) {
	s := p.Suppression
	if s == nil || r.Creds == nil {
		return nil, nil
	}
	key, list := r.Creds(s.KeyEnv), r.Creds(s.ListEnv)
	if list == "" {
		return nil, nil
	}
	if key == "" {
		return nil, fmt.Errorf("suppression list present but variable %s holds no key", s.KeyEnv)
	}
	l, err := suppress.Parse([]byte(key), list)
	if err != nil {
		return nil, fmt.Errorf("suppression list from %s: %w", s.ListEnv, err)
	}
	return l, nil
}
