package controllers

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
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

// TestBuildJobAppliesJobSettings: every spec.job field lands in the Job, and
// the runner ServiceAccount defaults from the manager's configuration.
func TestBuildJobAppliesJobSettings(t *testing.T) {
	deadline, ttl := int64(900), int32(600)
	res := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
	}
	tol := []corev1.Toleration{{Key: "batch", Operator: corev1.TolerationOpEqual, Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	owner := &crmv1.SegmentationModel{}
	owner.Namespace, owner.Name = "shop", "rfm"
	cases := []struct {
		name     string
		settings *crmv1.JobSettings
		wantSA   string
	}{
		{"all settings", &crmv1.JobSettings{Resources: &res, Tolerations: tol, ActiveDeadlineSeconds: &deadline, TTLSecondsAfterFinished: &ttl, ServiceAccountName: "analytics"}, "analytics"},
		{"defaults", nil, "crmlens-runner"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Config{RunnerServiceAccount: DefaultRunnerServiceAccount}
			job := c.buildJob(jobSpec{owner: owner, kind: kindModel, name: "rfm-g1", plan: "e30=", settings: tc.settings, trigger: "generation"})
			pod := job.Spec.Template.Spec
			if pod.ServiceAccountName != tc.wantSA {
				t.Errorf("serviceAccountName %q, want %q", pod.ServiceAccountName, tc.wantSA)
			}
			if tc.settings == nil {
				if *job.Spec.ActiveDeadlineSeconds != 3600 || len(pod.Tolerations) != 0 || job.Spec.TTLSecondsAfterFinished != nil {
					t.Errorf("defaults: %+v", job.Spec)
				}
				return
			}
			if *job.Spec.ActiveDeadlineSeconds != deadline || *job.Spec.TTLSecondsAfterFinished != ttl {
				t.Errorf("deadline %v ttl %v", *job.Spec.ActiveDeadlineSeconds, job.Spec.TTLSecondsAfterFinished)
			}
			if !equality.Semantic.DeepEqual(pod.Tolerations, tol) {
				t.Errorf("tolerations %+v", pod.Tolerations)
			}
			// The user's keys kept; the ones left unset defaulted (jobresources_test.go).
			want := corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("512Mi"), corev1.ResourceEphemeralStorage: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi"), corev1.ResourceEphemeralStorage: resource.MustParse("1Gi")},
			}
			if !equality.Semantic.DeepEqual(pod.Containers[0].Resources, want) {
				t.Errorf("resources %+v", pod.Containers[0].Resources)
			}
		})
	}
}
