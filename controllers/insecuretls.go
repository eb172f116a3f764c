package controllers

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// ReasonInsecureTLS is the Warning Event reason of a DataSource that turns
// TLS verification off (insecureSkipVerify, or a postgres sslMode that does
// not verify the server).
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
		switch sp.Postgres.SSLMode {
		case "require":
			return "spec.postgres.sslMode is require: the connection is encrypted but the server's certificate is not verified; use verify-full"
		case "prefer", "allow":
			return fmt.Sprintf("spec.postgres.sslMode is %s: the server's certificate is not verified and the connection may fall back to plain text; use verify-full", sp.Postgres.SSLMode)
		case "disable":
			return "spec.postgres.sslMode is disable: credentials and data travel unencrypted; use verify-full"
		}
	}
	return ""
}

// warnInsecureTLS emits the InsecureTLS Warning Event; the reconciler calls
// it once per generation, after the status of that generation is written.
func (r *DataSourceReconciler) warnInsecureTLS(ds *crmv1.DataSource) {
	if msg := insecureTLS(ds); msg != "" {
		r.Recorder.Eventf(ds, nil, corev1.EventTypeWarning, ReasonInsecureTLS, "Probe", "%s", msg)
	}
}
