{{/* Chart name, truncated for label values. */}}
{{- define "relance.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Prefix of every object name: "<release>-relance" unless the release name already says relance. */}}
{{- define "relance.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "relance.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "relance.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: relance
{{- end }}

{{/* Selector labels of one component; call with (dict "root" $ "component" "api"). */}}
{{- define "relance.selectorLabels" -}}
app.kubernetes.io/name: {{ include "relance.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "relance.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.repository .component (default .root.Chart.AppVersion .root.Values.image.tag) }}
{{- end }}

{{- define "relance.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "relance.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding DATABASE_URL and the other secret settings. */}}
{{- define "relance.secretName" -}}
{{- default (include "relance.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{/*
The Secret the pre-install hooks read: on a first install the chart's own
Secret does not exist yet when hooks run, so they get a hook-managed copy
(deleted once the hooks succeed); an existingSecret is used as it is.
*/}}
{{- define "relance.hookSecretName" -}}
{{- if .Values.secret.existingSecret }}
{{- .Values.secret.existingSecret }}
{{- else }}
{{- printf "%s-hooks" (include "relance.fullname" .) }}
{{- end }}
{{- end }}

{{/* The data of the chart's Secret (base64), shared by the Secret and its hook copy. */}}
{{- define "relance.secretData" -}}
{{- if not .Values.database.url }}
{{- fail "database.url is empty: set it, or set secret.existingSecret to a Secret holding DATABASE_URL" }}
{{- end }}
DATABASE_URL: {{ .Values.database.url | b64enc | quote }}
{{- with .Values.temporal.apiKey }}
TEMPORAL_API_KEY: {{ . | b64enc | quote }}
{{- end }}
{{- range $k, $v := .Values.secret.env }}
{{ $k }}: {{ $v | toString | b64enc | quote }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by Deployments and Jobs. */}}
{{- define "relance.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/*
Volumes: /tmp, /var/lib/relance (the outbox: a claim for the worker when
worker.outbox.existingClaim is set, else an emptyDir) and the Temporal
client certificates. Call with (dict "root" $ "spec" $spec).
*/}}
{{- define "relance.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
  - name: state
  {{- with dig "outbox" "existingClaim" "" .spec }}
    persistentVolumeClaim:
      claimName: {{ . }}
  {{- else }}
    emptyDir: {}
  {{- end }}
{{- if .root.Values.temporal.tlsSecret }}
  - name: temporal-tls
    secret:
      secretName: {{ .root.Values.temporal.tlsSecret }}
{{- end }}
{{- end }}

{{- define "relance.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  - name: state
    mountPath: /var/lib/relance
{{- if .Values.temporal.tlsSecret }}
  - name: temporal-tls
    mountPath: /etc/relance/temporal-tls
    readOnly: true
{{- end }}
{{- end }}

{{/*
One Deployment; call with (dict "root" $ "component" "api" "spec" $.Values.services.api
"replicas" true). The worker passes replicas=false when its HPA owns the count.
*/}}
{{- define "relance.deployment" -}}
{{- $root := .root }}
{{- $spec := .spec }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "relance.fullname" $root }}-{{ .component }}
  labels:
    {{- include "relance.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  {{- if .replicas }}
  replicas: {{ $spec.replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "relance.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "relance.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
      annotations:
        # Roll the pods when their settings change.
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- if not $root.Values.secret.existingSecret }}
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- end }}
        {{- with $spec.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "relance.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- include "relance.podCommon" $root | trim | nindent 6 }}
      {{- with $spec.terminationGracePeriodSeconds }}
      terminationGracePeriodSeconds: {{ . }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "relance.image" . }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $spec.port }}
              protocol: TCP
          env:
            - name: HTTP_ADDR
              value: {{ printf ":%v" $spec.port | quote }}
            {{- range $k, $v := $spec.env }}
            - name: {{ $k }}
              value: {{ $v | toString | quote }}
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "relance.fullname" $root }}
            - secretRef:
                name: {{ include "relance.secretName" $root }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            {{- toYaml $root.Values.probes.liveness | nindent 12 }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            {{- toYaml $root.Values.probes.readiness | nindent 12 }}
          resources:
            {{- toYaml $spec.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          {{- include "relance.volumeMounts" $root | nindent 10 }}
      {{- include "relance.volumes" (dict "root" $root "spec" $spec) | nindent 6 }}
      {{- with $spec.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $spec.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $spec.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}

{{/* "Name=Type Name=Type …" of the custom search attributes, sorted by name. */}}
{{- define "relance.searchAttributePairs" -}}
{{- $pairs := list }}
{{- range $name, $type := .Values.temporal.searchAttributes.attributes }}
{{- $pairs = append $pairs (printf "%s=%s" $name $type) }}
{{- end }}
{{- join " " $pairs }}
{{- end }}
