// Package manager wires the controller manager: flags, scheme, reconcilers,
// health probes and the metrics endpoint.
package manager

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/controllers"
	"github.com/crmlens/crmlens/internal/buildinfo"
)

// Options configure the manager. Bind them to flags with BindFlags; new
// features add their fields and flags here.
type Options struct {
	// MetricsAddr is the metrics listen address; "0" disables metrics.
	MetricsAddr string
	// SecureMetrics serves metrics over HTTPS behind Kubernetes authentication
	// and authorization (TokenReview and SubjectAccessReview).
	SecureMetrics bool
	// MetricsCertDir holds tls.crt and tls.key for the metrics endpoint; a
	// self-signed certificate is generated when empty.
	MetricsCertDir string
	// ProbeAddr is the health probe listen address; "0" disables probes.
	ProbeAddr string
	// LeaderElect makes only one replica active at a time.
	LeaderElect bool
	// LeaderElectionNamespace holds the lease; the pod's namespace when empty.
	LeaderElectionNamespace string
	// Kubeconfig is the kubeconfig file to use; when empty, KUBECONFIG, then
	// ~/.kube/config, then the in-cluster configuration.
	Kubeconfig string
	// EnableHTTP2 allows HTTP/2 on the metrics server. Off by default because
	// of the HTTP/2 stream-reset and rapid-reset vulnerabilities.
	EnableHTTP2 bool
	// RunnerImage is the image analysis Jobs run (`crmlens run`); the
	// operator's own image. Defaults to $CRMLENS_IMAGE.
	RunnerImage string
	// RunnerServiceAccount is the Jobs' ServiceAccount unless spec.job names one.
	RunnerServiceAccount string
	// LocalExec runs Jobs as local processes instead of leaving them to a
	// cluster's kubelets: for development only, and only in a binary built
	// with the localexec build tag (see localexec_on.go).
	LocalExec bool
	// LocalExecBinary is the crmlens binary local Jobs run; this executable when empty.
	LocalExecBinary string
	// KubeAPIQPS and KubeAPIBurst limit the manager's requests on the
	// client side; a QPS of 0 sets no client-side limit and leaves
	// fairness to the API server's priority and fairness, as
	// controller-runtime does for in-cluster configuration.
	KubeAPIQPS   float64
	KubeAPIBurst int
	// WatchNamespaces limits the manager to these namespaces (the
	// config/namespaced install): it lists, watches and reads objects,
	// Secrets included, only there. Empty watches the whole cluster.
	WatchNamespaces []string

	// skipNameValidation lets tests start a second manager in one process.
	skipNameValidation bool
}

// LeaderElectionID names the lease the replicas compete for.
const LeaderElectionID = "crmlens.analytics.crmlens.io"

// DefaultOptions are the production defaults: secure metrics, probes on :8081.
func DefaultOptions() Options {
	return Options{MetricsAddr: ":8443", SecureMetrics: true, ProbeAddr: ":8081",
		RunnerImage: os.Getenv("CRMLENS_IMAGE"), RunnerServiceAccount: controllers.DefaultRunnerServiceAccount}
}

// BindFlags registers the options as command-line flags on fs.
func (o *Options) BindFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr,
		`address the metrics endpoint binds to, such as ":8443" (HTTPS) or ":8080" (HTTP); "0" disables it`)
	fs.BoolVar(&o.SecureMetrics, "metrics-secure", o.SecureMetrics,
		"serve metrics over HTTPS with Kubernetes authentication and authorization; false serves plain HTTP")
	fs.StringVar(&o.MetricsCertDir, "metrics-cert-dir", o.MetricsCertDir,
		"directory with tls.crt and tls.key for the metrics endpoint; a self-signed certificate when empty")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr,
		`address the /healthz and /readyz probes bind to; "0" disables them`)
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect,
		"use leader election so that only one manager replica is active")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace,
		"namespace of the leader election lease; the pod's namespace when empty")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig,
		"kubeconfig file; when empty KUBECONFIG, ~/.kube/config, then the in-cluster configuration")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", o.EnableHTTP2,
		"allow HTTP/2 on the metrics server")
	fs.StringVar(&o.RunnerImage, "runner-image", o.RunnerImage,
		"image of the analysis Jobs (the operator's own image); $CRMLENS_IMAGE when unset")
	fs.StringVar(&o.RunnerServiceAccount, "runner-service-account", o.RunnerServiceAccount,
		"ServiceAccount of analysis Jobs unless spec.job.serviceAccountName is set")
	bindLocalExecFlags(fs, o)
	fs.Float64Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS,
		"client-side limit of API requests per second; 0 sets none and relies on the API server's priority and fairness")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst,
		"requests allowed above --kube-api-qps in a burst (with --kube-api-qps > 0)")
	fs.Func("watch-namespaces", "comma-separated namespaces to watch (the namespaced install, with Roles instead of a ClusterRole); all namespaces when unset",
		func(v string) error {
			o.WatchNamespaces = nil
			for _, ns := range strings.Split(v, ",") {
				if ns = strings.TrimSpace(ns); ns != "" {
					o.WatchNamespaces = append(o.WatchNamespaces, ns)
				}
			}
			return nil
		})
}

// NewScheme returns a scheme with the built-in Kubernetes kinds and the
// crmlens kinds.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("registering Kubernetes kinds: %w", err)
	}
	if err := crmv1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("registering crmlens kinds: %w", err)
	}
	return s, nil
}

// New builds a manager with every reconciler and the health checks
// registered, ready to Start.
func New(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	scheme, err := NewScheme()
	if err != nil {
		return nil, err
	}
	var tlsOpts []func(*tls.Config)
	if !o.EnableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metrics := metricsserver.Options{
		BindAddress:   o.MetricsAddr,
		SecureServing: o.SecureMetrics,
		CertDir:       o.MetricsCertDir,
		TLSOpts:       tlsOpts,
	}
	if o.SecureMetrics {
		metrics.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metrics,
		HealthProbeBindAddress:  o.ProbeAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// The manager exits right after Start returns, so the lease can be
		// released at once and a standby takes over without waiting.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         cacheOptions(o.WatchNamespaces),
		Controller:                    ctrlconfig.Controller{SkipNameValidation: &o.skipNameValidation},
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the readiness check: %w", err)
	}
	if err := controllers.SetupAll(mgr, controllers.Config{Image: o.RunnerImage, RunnerServiceAccount: o.RunnerServiceAccount}); err != nil {
		return nil, err
	}
	if o.LocalExec {
		if err := setupLocalExec(mgr, cfg, o); err != nil {
			return nil, err
		}
	}
	return mgr, nil
}

// Main parses args, runs the manager against the cluster in KUBECONFIG (or
// the in-cluster config) until ctx is cancelled, and returns the exit code.
func Main(ctx context.Context, args []string) int {
	return run(ctx, args, os.Stderr)
}

// restConfig loads the API server connection settings and applies the
// client-side rate limit. Left at zero, client-go would throttle a
// kubeconfig-loaded client to 5 requests per second (burst 10): with many
// objects, reconciles would then wait on the limiter rather than on the
// API server.
func restConfig(kubeconfig string, qps float64, burst int) (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if kubeconfig == "" {
		cfg, err = ctrl.GetConfig()
	} else if cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig); err != nil {
		err = fmt.Errorf("loading kubeconfig %s: %w", kubeconfig, err)
	}
	if err != nil {
		return nil, err
	}
	if qps > 0 {
		cfg.QPS, cfg.Burst = float32(qps), max(burst, 1)
	} else {
		cfg.QPS = -1 // no client-side limit
	}
	return cfg, nil
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("crmlens manager", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := DefaultOptions()
	o.BindFlags(fs)
	zo := zap.Options{Development: false}
	zo.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	logger := zap.New(zap.UseFlagOptions(&zo), zap.WriteTo(stderr))
	ctrl.SetLogger(logger)
	// This start's own logger, not ctrl.Log: controller-runtime's global
	// logger is fulfilled once per process.
	log := logger.WithName("setup")
	bi := buildinfo.Get()
	// First line of every start, before anything can fail: which build runs.
	log.Info("crmlens manager", "version", bi.Version, "revision", bi.Revision, "goVersion", bi.GoVersion)

	cfg, err := restConfig(o.Kubeconfig, o.KubeAPIQPS, o.KubeAPIBurst)
	if err != nil {
		log.Error(err, "no Kubernetes configuration (set KUBECONFIG or run in a cluster)")
		return 1
	}
	mgr, err := New(cfg, o)
	if err != nil {
		log.Error(err, "cannot set up the manager")
		return 1
	}
	log.Info("starting manager", "version", bi.Version, "metrics", o.MetricsAddr, "secureMetrics", o.SecureMetrics, "probes", o.ProbeAddr, "leaderElection", o.LeaderElect)
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "manager stopped with an error")
		return 1
	}
	return 0
}

// cacheOptions are the reconcilers' cache options, limited to namespaces
// when given.
func cacheOptions(namespaces []string) cache.Options {
	o := controllers.CacheOptions()
	if len(namespaces) > 0 {
		o.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			o.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return o
}
