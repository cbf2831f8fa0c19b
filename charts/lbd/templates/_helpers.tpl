{{/* The chart name. */}}
{{- define "lbd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The full name: the prefix of every object's name. */}}
{{- define "lbd.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Selector labels. */}}
{{- define "lbd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lbd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "lbd.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "lbd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "lbd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lbd.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Where the metallb.io resources, their Secrets, the legacy ConfigMap and the Lease live. */}}
{{- define "lbd.configNamespace" -}}
{{- default .Release.Namespace .Values.configNamespace -}}
{{- end -}}

{{- define "lbd.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "lbd.pluginsConfigMap" -}}
{{- default (printf "%s-plugins" (include "lbd.fullname" .)) .Values.config.existingConfigMap -}}
{{- end -}}

{{- define "lbd.heartbeatSecret" -}}
{{- default (printf "%s-heartbeat" (include "lbd.fullname" .)) .Values.layer2.heartbeat.existingSecret -}}
{{- end -}}

{{/* Capabilities lbd needs with these values (see values.yaml extraCapabilities and docs/kubernetes.md). */}}
{{- define "lbd.capabilities" -}}
{{- $caps := list -}}
{{- if .Values.layer2.enabled -}}{{- $caps = append $caps "NET_RAW" -}}{{- end -}}
{{- if and .Values.bgp.enabled (lt (int .Values.bgp.listenPort) 1024) -}}{{- $caps = append $caps "NET_BIND_SERVICE" -}}{{- end -}}
{{- range .Values.extraCapabilities -}}{{- $caps = append $caps . -}}{{- end -}}
{{- toJson (uniq $caps) -}}
{{- end -}}

{{/* lbd.yaml */}}
{{- define "lbd.mainConfig" -}}
# lbd.yaml (docs/configuration.md). The node name comes from `lbd run --node $(NODE_NAME)`.
pluginsDirectory: /etc/lbd/plugins.d
logLevel: {{ .Values.logLevel }}
coalescingDelay: {{ .Values.coalescingDelay }}
{{- end -}}

{{/* The plugin files of the generated plugins directory, as a map of file name to content. */}}
{{- define "lbd.pluginFiles" -}}
kubernetes.yaml: |
  # The Kubernetes source: Services, EndpointSlices, Nodes, Namespaces and the metallb.io resources.
  plugin: kubernetes
  name: cluster
  namespace: {{ include "lbd.configNamespace" . }}
  loadBalancerClass: {{ .Values.loadBalancerClass | quote }}
  legacyConfigMap: {{ .Values.legacyConfigMap | quote }}
  leaderElection:
    {{- toYaml .Values.leaderElection | nindent 4 }}
{{- if .Values.layer2.enabled }}
{{- $hb := dict "keyFile" "/etc/lbd/secrets/heartbeat/key" "port" (int .Values.layer2.heartbeat.port) "interval" .Values.layer2.heartbeat.interval "deadAfter" (int .Values.layer2.heartbeat.deadAfter) }}
{{- with .Values.layer2.heartbeat.peers }}{{- $_ := set $hb "peers" . }}{{- end }}
{{- $l2 := dict "heartbeat" $hb }}
{{- if .Values.layer2.statusFile }}{{- $_ := set $l2 "statusFile" (printf "/run/lbd/layer2-%s.json" .Values.layer2.name) }}{{- end }}
{{- $l2 = mergeOverwrite $l2 (deepCopy .Values.layer2.extra) }}
layer2.yaml: |
  # The Layer 2 announcer (docs/layer2.md).
  plugin: layer2
  name: {{ .Values.layer2.name }}
  {{- toYaml $l2 | nindent 2 }}
{{- end }}
{{- if .Values.bgp.enabled }}
{{- $bgp := dict "listen" .Values.bgp.listen "listenPort" (int .Values.bgp.listenPort) }}
{{- $bgp = mergeOverwrite $bgp (deepCopy .Values.bgp.extra) }}
bgp.yaml: |
  # The BGP speaker (docs/bgp.md); peers and advertisements come from BGPPeer and BGPAdvertisement objects.
  plugin: bgp
  name: {{ .Values.bgp.name }}
  {{- toYaml $bgp | nindent 2 }}
{{- end }}
{{- range $file, $content := .Values.config.extraPlugins }}
{{ $file }}: |
  {{- toYaml $content | nindent 2 }}
{{- end }}
{{- end -}}
