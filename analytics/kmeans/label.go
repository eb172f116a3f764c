package kmeans

import "strings"

// Label describes a centroid in plain words: each feature whose z-score is at
// least threshold away from the mean contributes its High or Low word, in
// feature order; a centroid near the mean on every feature is "average".
func Label(features []Feature, z []float64, threshold float64) string {
	var words []string
	for i, f := range features {
		switch {
		case z[i] >= threshold:
			w := f.High
			if w == "" {
				w = "high " + f.Name
			}
			words = append(words, w)
		case z[i] <= -threshold:
			w := f.Low
			if w == "" {
				w = "low " + f.Name
			}
			words = append(words, w)
		}
	}
	if len(words) == 0 {
		return "average"
	}
	return strings.Join(words, ", ")
}

// RFMFeatures are the usual behavioural features, in the order recency (days
// since last purchase), frequency (orders), monetary (spend).
var RFMFeatures = []Feature{
	{Name: "recency", High: "lapsed", Low: "recent"},
	{Name: "frequency", High: "frequent", Low: "infrequent"},
	{Name: "monetary", High: "high spend", Low: "low spend"},
}
