package v1alpha1

// ResultConfigMapSuffix is appended to an object's name to name its summary
// ConfigMap when output.configMapName is unset.
const ResultConfigMapSuffix = "-result"

// Backend names the backend set in the spec ("postgres", "objectStore",
// "http", "configMap" or "sample"), or "" when none is (admission prevents
// that).
func (s *DataSourceSpec) Backend() string {
	switch {
	case s.Postgres != nil:
		return "postgres"
	case s.ObjectStore != nil:
		return "objectStore"
	case s.HTTP != nil:
		return "http"
	case s.ConfigMap != nil:
		return "configMap"
	case s.Sample != nil:
		return "sample"
	}
	return ""
}

// ResultConfigMapName is the name of the model's summary ConfigMap.
func (m *SegmentationModel) ResultConfigMapName() string {
	return resultConfigMapName(m.Spec.Output.ConfigMapName, m.Name)
}

// ResultConfigMapName is the name of the schedule's summary ConfigMap.
func (r *ReportSchedule) ResultConfigMapName() string {
	return resultConfigMapName(r.Spec.Output.ConfigMapName, r.Name)
}

func resultConfigMapName(set, owner string) string {
	if set != "" {
		return set
	}
	return owner + ResultConfigMapSuffix
}
