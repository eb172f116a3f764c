// Package controllers holds the crmlens reconcilers. Until the analysis
// reconcilers land, each kind has a stub reconciler that records honestly that
// nothing acts on the object yet: status.observedGeneration and the condition
// Ready=Unknown with reason NotImplemented.
package controllers

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// statusAccess exposes the common status fields of the crmlens kinds, so one
// stub reconciler serves all three.
type statusAccess[T client.Object] struct {
	kind       string
	newObject  func() T
	conditions func(T) *[]metav1.Condition
	observed   func(T) *int64
}

// stubReconciler sets observedGeneration and Ready=Unknown/NotImplemented.
type stubReconciler[T client.Object] struct {
	client client.Client
	access statusAccess[T]
}

// Reconcile writes the stub status, and nothing when it is already current so
// that the reconciler does not feed itself update events.
func (r *stubReconciler[T]) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := r.access.newObject()
	if err := r.client.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	base, ok := obj.DeepCopyObject().(T)
	if !ok {
		return ctrl.Result{}, fmt.Errorf("deep copy of %s %s has an unexpected type", r.access.kind, req.NamespacedName)
	}
	gen := obj.GetGeneration()
	changed := meta.SetStatusCondition(r.access.conditions(obj), metav1.Condition{
		Type:               crmv1.ConditionReady,
		Status:             metav1.ConditionUnknown,
		Reason:             crmv1.ReasonNotImplemented,
		Message:            fmt.Sprintf("crmlens does not act on %s objects yet", r.access.kind),
		ObservedGeneration: gen,
	})
	if og := r.access.observed(obj); *og != gen {
		*og = gen
		changed = true
	}
	if !changed {
		return ctrl.Result{}, nil
	}
	if err := r.client.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil {
		return ctrl.Result{}, fmt.Errorf("patching status of %s %s: %w", r.access.kind, req.NamespacedName, err)
	}
	return ctrl.Result{}, nil
}

func setupStub[T client.Object](mgr ctrl.Manager, a statusAccess[T]) error {
	err := ctrl.NewControllerManagedBy(mgr).
		Named(a.kind).
		// Status writes bump no generation, so they do not requeue the object.
		For(a.newObject(), builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(&stubReconciler[T]{client: mgr.GetClient(), access: a})
	if err != nil {
		return fmt.Errorf("setting up the %s controller: %w", a.kind, err)
	}
	return nil
}
