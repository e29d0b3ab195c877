{{/*
The labels the chart adds to each object's own metadata, on top of the generated ones.
Never on a revision template: a label there changes with every chart version, and each
change would roll out a new revision of every function.
*/}}
{{- define "tenantry.chartLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Writes one generated object out: (list $ object). The object's namespace, if it has one,
becomes .Values.namespace, and so does a binding subject's; the chart's labels join its
own. Everything else is printed as values hold it.
*/}}
{{- define "tenantry.object" -}}
{{- $root := index . 0 -}}
{{- $object := index . 1 -}}
{{- $meta := $object.metadata -}}
{{- if hasKey $meta "namespace" -}}
{{- $_ := set $meta "namespace" $root.Values.namespace -}}
{{- end -}}
{{- $labels := fromYaml (include "tenantry.chartLabels" $root) -}}
{{- $_ := set $meta "labels" (merge $labels ($meta.labels | default dict)) -}}
{{- range ($object.subjects | default list) -}}
{{- if hasKey . "namespace" -}}
{{- $_ := set . "namespace" $root.Values.namespace -}}
{{- end -}}
{{- end -}}
{{ toYaml $object }}
{{- end }}

{{/* An image: the override when set, otherwise <image.repository>/<name>:<image.tag>. */}}
{{- define "tenantry.image" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $override := index . 2 -}}
{{- $override | default (printf "%s/%s:%s" $root.Values.image.repository $name $root.Values.image.tag) -}}
{{- end }}
