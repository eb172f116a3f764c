package controllers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// ReasonInsecureTLS is the Warning Event reason of a DataSource, or of a
// model or schedule whose result store, that turns TLS verification off
// (insecureSkipVerify, or a postgres sslMode that does not verify the server).
const ReasonInsecureTLS = "InsecureTLS"

// insecureTLS says how ds weakens TLS, or "" when it verifies the server.
func insecureTLS(ds *crmv1.DataSource) string {
	sp := ds.Spec
	switch {
	case sp.HTTP != nil && sp.HTTP.InsecureSkipVerify:
		return "spec.http.insecureSkipVerify is true: the server's TLS certificate is not verified, so anyone on the network path can read or alter the data"
	case sp.ObjectStore != nil && sp.ObjectStore.InsecureSkipVerify:
		return "spec.objectStore.insecureSkipVerify is true: the S3 endpoint's TLS certificate is not verified, so anyone on the network path can read or alter the data and see the request signatures"
	case sp.Postgres != nil:
		return insecureSSLMode("spec.postgres.sslMode", sp.Postgres.SSLMode, "credentials and data travel unencrypted")
	}
	return ""
}

func insecureSSLMode(field, mode, plain string) string {
	switch mode {
	case "require":
		return field + " is require: the connection is encrypted but the server's certificate is not verified; use verify-full"
	case "prefer", "allow":
		return fmt.Sprintf("%s is %s: the server's certificate is not verified and the connection may fall back to plain text; use verify-full", field, mode)
	case "disable":
		return field + " is disable: " + plain + "; use verify-full"
	}
	return ""
}

// insecureStore says how a result store weakens TLS, or "". A postgres store
// that reuses a DataSource's connection (dataSourceRef) is reported by that
// DataSource's own InsecureTLS Event.
func insecureStore(field string, st *crmv1.ResultStore) string {
	switch {
	case st == nil:
	case st.ObjectStore != nil && st.ObjectStore.InsecureSkipVerify:
		return field + ".objectStore.insecureSkipVerify is true: the S3 endpoint's TLS certificate is not verified, so anyone on the network path can read or alter the results and see the request signatures"
	case st.Postgres != nil && st.Postgres.Connection != nil:
		return insecureSSLMode(field+".postgres.connection.sslMode", st.Postgres.Connection.SSLMode, "credentials and results travel unencrypted")
	}
	return ""
}

// warnInsecureStore emits the InsecureTLS Warning Event for a model's or
// schedule's result store; the reconcilers call it once per generation
// (when they first act on it), not on every reconcile.
func warnInsecureStore(rec events.EventRecorder, obj runtime.Object, field string, st *crmv1.ResultStore) {
	if msg := insecureStore(field, st); msg != "" {
		rec.Eventf(obj, nil, corev1.EventTypeWarning, ReasonInsecureTLS, "Store", "%s", msg)
	}
}

// warnInsecureTLS emits the InsecureTLS Warning Event; the reconciler calls
// it once per generation, after the status of that generation is written.
func (r *DataSourceReconciler) warnInsecureTLS(ds *crmv1.DataSource) {
	if msg := insecureTLS(ds); msg != "" {
		r.Recorder.Eventf(ds, nil, corev1.EventTypeWarning, ReasonInsecureTLS, "Probe", "%s", msg)
	}
}
