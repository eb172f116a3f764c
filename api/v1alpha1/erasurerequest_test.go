package v1alpha1_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// TestErasureRequestValidation: the API server refuses a request that
// names models both ways or none, and any later change of the spec; a
// maxAge is accepted on models.
func TestErasureRequestValidation(t *testing.T) {
	e, ns := apiServer(t)
	ctx := context.Background()
	ids := crmv1.SecretKeySelector{Name: "ids", Key: "ids"}
	mk := func(name string, models *crmv1.ErasureTargets) *crmv1.ErasureRequest {
		return &crmv1.ErasureRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: crmv1.ErasureRequestSpec{CustomerIDsSecretRef: ids, Models: models}}
	}
	for _, tc := range []struct {
		name   string
		models *crmv1.ErasureTargets
		refuse string
	}{
		{"all", nil, ""},
		{"by-name", &crmv1.ErasureTargets{Names: []string{"rfm"}}, ""},
		{"by-label", &crmv1.ErasureTargets{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "crm"}}}, ""},
		{"both", &crmv1.ErasureTargets{Names: []string{"rfm"}, Selector: &metav1.LabelSelector{}}, "exactly one of names or selector"},
		{"neither", &crmv1.ErasureTargets{}, "exactly one of names or selector"},
	} {
		err := e.Client.Create(ctx, mk(tc.name, tc.models), strict)
		switch {
		case tc.refuse == "" && err != nil:
			t.Errorf("%s refused: %v", tc.name, err)
		case tc.refuse != "" && (err == nil || !strings.Contains(err.Error(), tc.refuse)):
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.refuse)
		}
	}
	var er crmv1.ErasureRequest
	if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "all"}, &er); err != nil {
		t.Fatal(err)
	}
	er.Spec.CustomerIDsSecretRef.Key = "other"
	if err := e.Client.Update(ctx, &er); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("spec change: %v, want refused as immutable", err)
	}
	m := &crmv1.SegmentationModel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "aged"}, Spec: crmv1.SegmentationModelSpec{
		Sources: []crmv1.SourceRef{{Name: "shop"}}, Method: crmv1.Method{Type: crmv1.MethodRFM},
		Output: crmv1.Output{Retention: &crmv1.Retention{MaxAge: &metav1.Duration{Duration: 720 * time.Hour}}}}}
	if err := e.Client.Create(ctx, m, strict); err != nil {
		t.Errorf("model with retention.maxAge refused: %v", err)
	}
}
