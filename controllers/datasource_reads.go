package controllers

import (
	"context"
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/crmlens/crmlens/analytics/result"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// sourceRead is a DataSource's status.lastRead after a successful run.
type sourceRead struct {
	key  types.NamespacedName
	read crmv1.SourceRead
}

// sourceReads says what a successful run read from each DataSource. The run
// counts rows over all its inputs, so a source gets a row count only when it
// was the run's one input; otherwise only the time and the run.
func sourceReads(ns string, refs []crmv1.SourceRef, doc *result.Document, at metav1.Time, run string) []sourceRead {
	var out []sourceRead
	for _, ref := range refs {
		t := at
		sr := crmv1.SourceRead{Time: &t, Run: run}
		if len(refs) == 1 {
			sr.Rows = doc.Input.Rows
		}
		out = append(out, sourceRead{key: types.NamespacedName{Namespace: ns, Name: ref.Name}, read: sr})
	}
	return out
}

// recordSourceReads writes status.lastRead of each DataSource with a merge
// patch of that one field, so it never conflicts with the probe's status
// update. A failure is logged: it loses a figure, not a result.
func recordSourceReads(ctx context.Context, c client.Client, reads []sourceRead) {
	for _, r := range reads {
		b, err := json.Marshal(map[string]any{"status": map[string]any{"lastRead": r.read}})
		if err != nil {
			continue
		}
		ds := &crmv1.DataSource{}
		ds.Namespace, ds.Name = r.key.Namespace, r.key.Name
		if err := c.Status().Patch(ctx, ds, client.RawPatch(types.MergePatchType, b)); err != nil && client.IgnoreNotFound(err) != nil {
			log.FromContext(ctx).Error(err, "record what a run read", "dataSource", r.key.Name)
		}
	}
}
