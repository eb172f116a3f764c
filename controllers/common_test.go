package controllers

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

func TestJobNameDeterministicAndValid(t *testing.T) {
	long := strings.Repeat("very-long-model-name-", 6) + "x"
	cases := []struct{ owner, suffix, want string }{
		{"shop-rfm", "g3", "shop-rfm-g3"},
		{"weekly", "29919540", "weekly-29919540"},
	}
	for _, c := range cases {
		if got := jobName(c.owner, c.suffix); got != c.want {
			t.Errorf("jobName(%q, %q) = %q, want %q", c.owner, c.suffix, got, c.want)
		}
	}
	a, b := jobName(long, "g1"), jobName(long, "g1")
	if a != b || len(a) > validation.DNS1123LabelMaxLength || !strings.HasSuffix(a, "-g1") {
		t.Errorf("long name %q (%d chars)", a, len(a))
	}
	if errs := validation.IsDNS1123Label(a); len(errs) > 0 {
		t.Errorf("%q: %v", a, errs)
	}
	if jobName(long+"y", "g1") == a {
		t.Error("different owners share a Job name")
	}
}

func TestBuildJobCredentialsOnlyBySecretKeyRef(t *testing.T) {
	ds := &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Name: "wh"}, Spec: crmv1.DataSourceSpec{Postgres: &crmv1.PostgresSource{
		PostgresConnection: crmv1.PostgresConnection{SecretRef: crmv1.PostgresSecretRef{Name: "pg", PasswordKey: "pw"}, Host: "db"}, Table: "orders"}}}
	rs := renderSource(ds, "", "CRMLENS_S0_")
	plan := runplan.Plan{Sources: []runplan.Source{rs.Source}}
	enc, err := plan.Encode()
	if err != nil {
		t.Fatal(err)
	}
	owner := &crmv1.SegmentationModel{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "m"}}
	backoff := int32(4)
	job := Config{Image: "img:1"}.buildJob(jobSpec{owner: owner, kind: kindModel, name: "m-g1", plan: enc, secrets: rs.Secrets,
		settings: &crmv1.JobSettings{BackoffLimit: &backoff, NodeSelector: map[string]string{"pool": "batch"}}, trigger: "generation"})
	c := job.Spec.Template.Spec.Containers[0]
	var refs []string
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			refs = append(refs, e.Name+"="+e.ValueFrom.SecretKeyRef.Name+"/"+e.ValueFrom.SecretKeyRef.Key)
		}
	}
	want := "CRMLENS_S0_PG_USER=pg/username CRMLENS_S0_PG_PASSWORD=pg/pw"
	if strings.Join(refs, " ") != want {
		t.Errorf("secret refs %v, want %s", refs, want)
	}
	if !strings.Contains(enc, `"passwordEnv":"CRMLENS_S0_PG_PASSWORD"`) {
		t.Errorf("plan does not name the variable: %s", enc)
	}
	if *job.Spec.BackoffLimit != 4 || *job.Spec.ActiveDeadlineSeconds != 3600 || job.Spec.Template.Spec.NodeSelector["pool"] != "batch" ||
		job.Spec.Template.Spec.ServiceAccountName != "" || c.Image != "img:1" || strings.Join(c.Args, " ") != "run" {
		t.Errorf("job spec %+v", job.Spec)
	}
	if job.Labels[runplan.LabelRun] != "m-g1" || job.Labels[runplan.LabelManagedBy] != "crmlens" || job.Annotations[runplan.AnnotationTrigger] != "generation" {
		t.Errorf("job meta %+v", job.ObjectMeta)
	}
}
