{{/* Hand-written. Names and labels for every template; the generated templates include these. */}}

{{/* The chart's name (nameOverride replaces it). */}}
{{- define "mock-accel.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of the release's objects: fullnameOverride, else "<release>-<name>", or the release
name alone when it already holds the chart's name. 63 characters at most (DNS label).
*/}}
{{- define "mock-accel.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "mock-accel.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "mock-accel.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* What the DaemonSet selects its Pods by; fixed for the life of a release. */}}
{{- define "mock-accel.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mock-accel.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mock-accel.labels" -}}
helm.sh/chart: {{ include "mock-accel.chart" . }}
{{ include "mock-accel.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The ServiceAccount the node agent runs as: made by the chart, or one that exists. */}}
{{- define "mock-accel.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mock-accel.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The DRA driver name: ResourceSlices' spec.driver, the attribute domain in CEL, the CDI vendor. */}}
{{- define "mock-accel.driverName" -}}
{{- .Values.draDriver.name }}
{{- end }}

{{- define "mock-accel.image" -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag }}
{{- end }}
