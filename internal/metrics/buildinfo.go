package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/crmlens/crmlens/internal/buildinfo"
)

// BuildInfo is 1 with the running build's version, revision and Go version
// as labels (the Prometheus *_build_info convention), so dashboards and alerts
// can join on the version a manager runs.
var BuildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "crmlens_build_info",
	Help: "Always 1; labels name the version, source revision and Go version of the running manager.",
}, []string{"version", "revision", "goversion"})

func setBuildInfo(i buildinfo.Info) {
	BuildInfo.Reset()
	BuildInfo.WithLabelValues(i.Version, i.Revision, i.GoVersion).Set(1)
}
