package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// setCondition sets a condition with the object's generation.
func setCondition(conds *[]metav1.Condition, gen int64, typ string, status metav1.ConditionStatus, reason crmv1.Reason, msg string) {
	if len(msg) > 1024 {
		msg = msg[:1021] + "..."
	}
	meta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: status, Reason: string(reason), Message: msg, ObservedGeneration: gen})
}

// effects are side effects (Events, notifications, counters) of a status
// change, run only after that status was written.
type effects []func()

func (e *effects) add(f func()) { *e = append(*e, f) }

func (e effects) run() {
	for _, f := range e {
		f()
	}
}

// requeueOnConflict turns an optimistic-lock conflict (a stale cached
// object) into a quiet retry; other errors go to the controller's backoff.
func requeueOnConflict(err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) {
		return ctrl.Result{RequeueAfter: conflictRetry}, nil
	}
	return ctrl.Result{}, err
}

// conflictRetry is how soon a reconcile that lost an optimistic-lock race
// runs again (the cache has usually caught up by then).
const conflictRetry = 200 * time.Millisecond

// writeStatus updates status only when it changed.
func writeStatus(ctx context.Context, c client.Client, obj client.Object, orig, cur any) error {
	if equality.Semantic.DeepEqual(orig, cur) {
		return nil
	}
	if err := c.Status().Update(ctx, obj); err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	return nil
}

// eventMemo remembers, per object and kind of Event, the last occurrence
// an Event was emitted for, so an Event that describes one occurrence (a
// schedule slot) is emitted once however often the object is reconciled. It
// lives in memory: a new manager process may emit one of them once more.
type eventMemo struct {
	mu   sync.Mutex
	last map[types.NamespacedName]map[string]string
}

// first reports whether occurrence is new for (obj, kind), and records it.
func (e *eventMemo) first(obj types.NamespacedName, kind, occurrence string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil {
		e.last = map[types.NamespacedName]map[string]string{}
	}
	m := e.last[obj]
	if m == nil {
		m = map[string]string{}
		e.last[obj] = m
	}
	if prev, ok := m[kind]; ok && prev == occurrence {
		return false
	}
	m[kind] = occurrence
	return true
}

// forget drops what is remembered of a deleted object.
func (e *eventMemo) forget(obj types.NamespacedName) {
	e.mu.Lock()
	delete(e.last, obj)
	e.mu.Unlock()
}
