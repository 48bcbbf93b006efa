{{/*
Shared helpers. Every per-service template ranges over "store.services" and passes
a context dict (root: the chart's top-level scope, name: the service's key, svc: its
merged settings) to the helpers below.
*/}}

{{/* Chart name, used as app.kubernetes.io/name. */}}
{{- define "store.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Deep-merge .src into .dst in place (maps key by key, anything else replaced, null
removes the key). Unlike sprig's merge, an explicit false or 0 in .src wins.
*/}}
{{- define "store.mergeInto" -}}
{{- $dst := .dst -}}
{{- range $key, $value := .src -}}
{{- $current := get $dst $key -}}
{{- if kindIs "invalid" $value -}}
{{- $_ := unset $dst $key -}}
{{- else if and (kindIs "map" $value) (kindIs "map" $current) -}}
{{- include "store.mergeInto" (dict "dst" $current "src" $value) -}}
{{- else -}}
{{- $_ := set $dst $key $value -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The enabled services as YAML: name -> serviceDefaults merged with services.<name>.
Use as: range $name, $svc := include "store.services" . | fromYaml
*/}}
{{- define "store.services" -}}
{{- $enabled := dict -}}
{{- range $name, $values := .Values.services -}}
{{- if not (regexMatch "^[a-z][a-z0-9]*$" $name) -}}
{{- fail (printf "services.%s: a service name is lower-case letters and digits" $name) -}}
{{- end -}}
{{- $svc := deepCopy $.Values.serviceDefaults -}}
{{- include "store.mergeInto" (dict "dst" $svc "src" ($values | default dict)) -}}
{{- if $svc.enabled -}}
{{- if not $svc.binary -}}
{{- fail (printf "services.%s.binary is required" $name) -}}
{{- end -}}
{{- if not $svc.image.repository -}}
{{- fail (printf "services.%s.image.repository is required" $name) -}}
{{- end -}}
{{- if not $svc.ports -}}
{{- fail (printf "services.%s.ports is required (e.g. grpc: 50051, metrics: 9101)" $name) -}}
{{- end -}}
{{- if not (has $svc.migrations.mode (list "initContainer" "job" "none")) -}}
{{- fail (printf "services.%s.migrations.mode must be initContainer, job or none, not %v" $name $svc.migrations.mode) -}}
{{- end -}}
{{- if not (has $svc.health.type (list "grpc" "http")) -}}
{{- fail (printf "services.%s.health.type must be grpc or http, not %v" $name $svc.health.type) -}}
{{- end -}}
{{- if and $svc.database.enabled (not (or $svc.database.existingSecret $svc.database.url)) -}}
{{- fail (printf "services.%s.database: set existingSecret (a Secret with key %s) or url, or enabled: false" $name $svc.database.existingSecretKey) -}}
{{- end -}}
{{- if and (not $svc.database.enabled) (ne $svc.migrations.mode "none") -}}
{{- fail (printf "services.%s: migrations.mode %s needs a database; use none" $name $svc.migrations.mode) -}}
{{- end -}}
{{- if not (hasKey $svc.ports $svc.health.type) -}}
{{- fail (printf "services.%s.ports.%s is required by health.type %s" $name $svc.health.type $svc.health.type) -}}
{{- end -}}
{{- $metricsPort := get ($svc.metrics | default dict) "port" | default "" | toString -}}
{{- if and $metricsPort (not (hasKey $svc.ports $metricsPort)) -}}
{{- fail (printf "services.%s.metrics.port %s is not an entry of ports (name the port serving /metrics, or null for no scraping)" $name $metricsPort) -}}
{{- end -}}
{{- range $var, $ref := ($svc.secretEnv | default dict) -}}
{{- if not (kindIs "map" $ref) -}}
{{- fail (printf "services.%s.secretEnv.%s must be a map: {secret: <Secret name>, key: <key>}" $name $var) -}}
{{- else if not $ref.secret -}}
{{- fail (printf "services.%s.secretEnv.%s.secret (the Secret's name) is required" $name $var) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $enabled $name $svc -}}
{{- end -}}
{{- end -}}
{{- toYaml $enabled -}}
{{- end -}}

{{/* Name of a service's objects: <release>-<service>, e.g. store-order. */}}
{{- define "store.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "store.selectorLabels" -}}
app.kubernetes.io/name: {{ include "store.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Labels of the release as a whole (PrometheusRule, NetworkPolicy peers). */}}
{{- define "store.commonLabels" -}}
app.kubernetes.io/part-of: store-backend
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "store.labels" -}}
{{ include "store.selectorLabels" . }}
app.kubernetes.io/version: {{ include "store.imageTag" . | quote }}
{{ include "store.commonLabels" .root }}
{{- end -}}

{{- define "store.imageTag" -}}
{{- $tag := .svc.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion | toString -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "services.%s: the image tag `latest` is not allowed; pin a version" .name) -}}
{{- end -}}
{{- $tag -}}
{{- end -}}

{{- define "store.image" -}}
{{- $repository := .svc.image.repository -}}
{{- with .root.Values.image.registry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" .) $repository -}}
{{- end -}}
{{- printf "%s:%s" $repository (include "store.imageTag" .) -}}
{{- end -}}

{{- define "store.serviceAccountName" -}}
{{- if .root.Values.serviceAccount.create -}}
{{- include "store.fullname" . -}}
{{- else -}}
default
{{- end -}}
{{- end -}}

{{/* The Secret holding DATABASE_URL, and its key. */}}
{{- define "store.databaseSecretName" -}}
{{- if .svc.database.existingSecret -}}
{{- .svc.database.existingSecret -}}
{{- else -}}
{{- printf "%s-db" (include "store.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "store.databaseSecretKey" -}}
{{- if .svc.database.existingSecret -}}
{{- .svc.database.existingSecretKey -}}
{{- else -}}
DATABASE_URL
{{- end -}}
{{- end -}}

{{/* Whether the chart itself stores the database URL in a Secret. */}}
{{- define "store.ownsDatabaseSecret" -}}
{{- if and .svc.database.enabled .svc.database.url (not .svc.database.existingSecret) -}}true{{- end -}}
{{- end -}}

{{/*
The name of the port Prometheus scrapes (metrics.port), empty when the service is
not scraped; store.services has checked that it is an entry of ports.
*/}}
{{- define "store.metricsPort" -}}
{{- get (.svc.metrics | default dict) "port" | default "" | toString -}}
{{- end -}}

{{/* The path Prometheus scrapes (metrics.path, default /metrics). */}}
{{- define "store.metricsPath" -}}
{{- get (.svc.metrics | default dict) "path" | default "/metrics" | toString -}}
{{- end -}}

{{/*
The container environment (server, migrate init container, migration Job):
DATABASE_URL from the Secret (unless database.enabled is false), then the chart's
settings (KAFKA_BROKERS unless kafka.enabled is false, MIGRATE_ON_START with a
database), overridden by svc.env, then svc.secretEnv (secretKeyRef per variable).
*/}}
{{- define "store.env" -}}
{{- $env := dict "LOG_FORMAT" .root.Values.logFormat -}}
{{- if .svc.kafka.enabled -}}
{{- $brokers := .svc.kafka.brokers | default .root.Values.kafka.brokers -}}
{{- if not $brokers -}}
{{- fail (printf "kafka.brokers (or services.%s.kafka.brokers) is required, or services.%s.kafka.enabled: false" .name .name) -}}
{{- end -}}
{{- $_ := set $env "KAFKA_BROKERS" $brokers -}}
{{- end -}}
{{- if .svc.database.enabled -}}
{{- $_ := set $env "MIGRATE_ON_START" "false" -}}
{{- end -}}
{{- with .svc.ports.grpc -}}
{{- $_ := set $env "GRPC_LISTEN" (printf "0.0.0.0:%d" (int .)) -}}
{{- end -}}
{{- with .svc.ports.metrics -}}
{{- $_ := set $env "METRICS_LISTEN" (printf "0.0.0.0:%d" (int .)) -}}
{{- end -}}
{{- $env = mergeOverwrite $env (.svc.env | default dict) -}}
{{- $secretEnv := .svc.secretEnv | default dict -}}
{{- $items := list -}}
{{- if .svc.database.enabled -}}
{{- $ref := dict "name" (include "store.databaseSecretName" .) "key" (include "store.databaseSecretKey" .) -}}
{{- $items = append $items (dict "name" "DATABASE_URL" "valueFrom" (dict "secretKeyRef" $ref)) -}}
{{- end -}}
{{- range $name, $value := $env -}}
{{- if not (hasKey $secretEnv $name) -}}
{{- $items = append $items (dict "name" $name "value" (toString $value)) -}}
{{- end -}}
{{- end -}}
{{- range $name, $source := $secretEnv -}}
{{- $ref := dict "name" $source.secret "key" ($source.key | default $name) -}}
{{- $items = append $items (dict "name" $name "valueFrom" (dict "secretKeyRef" $ref)) -}}
{{- end -}}
{{- toYaml $items -}}
{{- end -}}

{{/* The action of a probe: gRPC health on ports.grpc, or HTTP GET .path. */}}
{{- define "store.probeAction" -}}
{{- if eq .svc.health.type "grpc" -}}
grpc:
  port: {{ int .svc.ports.grpc }}
{{- if .grpcService }}
  service: {{ .grpcService }}
{{- end }}
{{- else -}}
httpGet:
  path: {{ .path }}
  port: http
{{- end -}}
{{- end -}}
