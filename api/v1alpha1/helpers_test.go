package v1alpha1

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestBackend(t *testing.T) {
	cases := []struct {
		spec DataSourceSpec
		want string
	}{
		{DataSourceSpec{Postgres: &PostgresSource{}}, "postgres"},
		{DataSourceSpec{ObjectStore: &ObjectStoreSource{}}, "objectStore"},
		{DataSourceSpec{HTTP: &HTTPSource{}}, "http"},
		{DataSourceSpec{ConfigMap: &ConfigMapSource{}}, "configMap"},
		{DataSourceSpec{Sample: &SampleSource{}}, "sample"},
		{DataSourceSpec{}, ""},
	}
	for _, c := range cases {
		if got := c.spec.Backend(); got != c.want {
			t.Errorf("Backend() = %q, want %q", got, c.want)
		}
	}
}

func TestResultConfigMapName(t *testing.T) {
	m := &SegmentationModel{ObjectMeta: metav1.ObjectMeta{Name: "shop-rfm"}}
	if got := m.ResultConfigMapName(); got != "shop-rfm-result" {
		t.Errorf("default model ConfigMap = %q, want shop-rfm-result", got)
	}
	m.Spec.Output.ConfigMapName = "rfm-summary"
	if got := m.ResultConfigMapName(); got != "rfm-summary" {
		t.Errorf("explicit model ConfigMap = %q, want rfm-summary", got)
	}
}
