package v1alpha1_test

// The forecast's seasonLength and seasonality values the engine would refuse,
// refused at admission with a message naming the field and what is allowed.
func init() {
	invalidCases = append(invalidCases, []struct {
		name  string
		kind  string
		base  string
		patch string
		field string
		msg   string
	}{
		{"forecast seasonLength 1", "ReportSchedule", baseSchedule, `reports: [{type: Forecast, forecast: {seasonLength: 1}}]`,
			"spec.reports[0].forecast.seasonLength", "seasonLength must be 0 (no seasonal component, a trend model) or 2 to 53"},
		{"forecast multiplicative without a season", "ReportSchedule", baseSchedule, `reports: [{type: Forecast, forecast: {seasonLength: 0, seasonality: Multiplicative}}]`,
			"spec.reports[0].forecast", "seasonality Multiplicative needs a season"},
		{"forecast seasonality unknown", "ReportSchedule", baseSchedule, `reports: [{type: Forecast, forecast: {seasonality: Damped}}]`,
			"spec.reports[0].forecast.seasonality", "Unsupported value"},
	}...)
}
