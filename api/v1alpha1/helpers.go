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
	if m.Spec.Output.ConfigMapName != "" {
		return m.Spec.Output.ConfigMapName
	}
	return m.Name + ResultConfigMapSuffix
}
