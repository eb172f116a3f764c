{{/* The one image of manager and analysis Jobs: repository:tag, the tag
defaulting to the chart's appVersion, so a chart version installs its own
release and never :latest. */}}
{{- define "crmlens.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}
