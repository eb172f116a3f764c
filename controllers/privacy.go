package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/suppress"
)

// RBAC of the privacy controls: the per-namespace key Secret the operator
// generates and updates (state-hash key, suppression key and list).
// +kubebuilder:rbac:groups=core,resources=secrets,verbs=get;create;update

// Environment variables of the privacy keys in an analysis Job.
const (
	stateKeyEnv       = "CRMLENS_STATE_KEY"
	suppressionKeyEnv = "CRMLENS_SUPPRESSION_KEY"
	suppressionEnv    = "CRMLENS_SUPPRESSED"
)

// ensurePrivacySecret returns the namespace's privacy Secret
// (suppress.SecretName), generating it, or its missing keys, first. Secrets
// are read through the uncached reader: the manager watches none.
func ensurePrivacySecret(ctx context.Context, c client.Client, r client.Reader, ns string) (*corev1.Secret, error) {
	var s corev1.Secret
	key := client.ObjectKey{Namespace: ns, Name: suppress.SecretName}
	err := r.Get(ctx, key, &s)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("get Secret %s: %w", suppress.SecretName, err)
	}
	exists := err == nil
	if !exists {
		s = corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: suppress.SecretName,
			Labels: map[string]string{runplan.LabelManagedBy: runplan.ManagedByValue, runplan.LabelRole: "privacy"}},
			Type: corev1.SecretTypeOpaque}
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	changed := !exists
	for _, k := range []string{suppress.KeyStateKey, suppress.KeySuppressionKey} {
		if len(s.Data[k]) == 0 {
			v, err := suppress.NewKey()
			if err != nil {
				return nil, err
			}
			s.Data[k] = []byte(v)
			changed = true
		}
	}
	if _, ok := s.Data[suppress.KeyList]; !ok {
		s.Data[suppress.KeyList] = []byte{}
		changed = true
	}
	switch {
	case !changed:
		return &s, nil
	case !exists:
		if err := c.Create(ctx, &s); err != nil {
			if apierrors.IsAlreadyExists(err) {
				// Another reconcile created it first: use theirs.
				if err := r.Get(ctx, key, &s); err != nil {
					return nil, fmt.Errorf("get Secret %s: %w", suppress.SecretName, err)
				}
				return &s, nil
			}
			return nil, fmt.Errorf("create Secret %s: %w", suppress.SecretName, err)
		}
	default:
		if err := c.Update(ctx, &s); err != nil {
			return nil, fmt.Errorf("update Secret %s: %w", suppress.SecretName, err)
		}
	}
	return &s, nil
}

// stateSecretUse is where an owner's state-hash secret comes from: the
// pseudonymize key when set, else the namespace's generated state key.
func stateSecretUse(pz *crmv1.Pseudonymization) secretUse {
	if pz != nil {
		return secretUse{Env: stateKeyEnv, Secret: pz.SecretRef.Name, Key: pz.SecretRef.Key}
	}
	return secretUse{Env: stateKeyEnv, Secret: suppress.SecretName, Key: suppress.KeyStateKey}
}

// applyPrivacy completes a run plan with the privacy controls: the keyed
// state hashes, the suppression list and the retention age. It makes sure
// the namespace's privacy Secret exists, since the Job reads it.
func applyPrivacy(ctx context.Context, c client.Client, r client.Reader, p *runplan.Plan, secrets *[]secretUse, pz *crmv1.Pseudonymization, ret *crmv1.Retention) error {
	if r == nil {
		r = c
	}
	// Plans are also rendered to check references on every reconcile: the
	// Secret is looked up at most once a minute per namespace, not each time.
	if now := time.Now(); !privacySeen.recent(privacyKey(c, p.Owner.Namespace), now) {
		if _, err := ensurePrivacySecret(ctx, c, r, p.Owner.Namespace); err != nil {
			return err
		}
		privacySeen.found(privacyKey(c, p.Owner.Namespace), now)
	}
	p.StateKeyEnv = stateKeyEnv
	p.Suppression = &runplan.Suppression{KeyEnv: suppressionKeyEnv, ListEnv: suppressionEnv}
	*secrets = append(*secrets, stateSecretUse(pz),
		secretUse{Env: suppressionKeyEnv, Secret: suppress.SecretName, Key: suppress.KeySuppressionKey},
		secretUse{Env: suppressionEnv, Secret: suppress.SecretName, Key: suppress.KeyList})
	if age := maxAge(ret); age > 0 && p.Store != nil {
		p.Store.MaxAgeSeconds = int64(age / time.Second)
	}
	return nil
}

func maxAge(ret *crmv1.Retention) time.Duration {
	if ret == nil || ret.MaxAge == nil {
		return 0
	}
	return ret.MaxAge.Duration
}

// privacySeen remembers the namespaces whose privacy Secret was found or
// made recently (the ServiceAccount memo's TTL).
var privacySeen seenAccounts

// privacyKey is per client too: each manager (a test harness may run
// several against different API servers) checks for itself.
func privacyKey(c client.Client, ns string) types.NamespacedName {
	return types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("%s@%p", suppress.SecretName, c)}
}
