{{/* The namespace of every object: .Values.namespace, else the release's. */}}
{{- define "ccfaas.namespace" -}}
{{- .Values.namespace | default .Release.Namespace -}}
{{- end -}}

{{/* PREFIX-COMPONENT: the object names (and the Service DNS names in the certificates). */}}
{{- define "ccfaas.name" -}}
{{- printf "%s-%s" .root.Values.namePrefix .component -}}
{{- end -}}

{{- define "ccfaas.labels" -}}
app.kubernetes.io/name: {{ .root.Values.namePrefix }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "ccfaas.selector" -}}
app.kubernetes.io/name: {{ .root.Values.namePrefix }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "ccfaas.image" -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}

{{/* The pod part every service shares: non-root, seccomp, no service links, the platform
     Secret's items this service needs (only those), an emptyDir data directory that an
     init container fills from them with 0600/0700 modes, a /tmp. */}}
{{- define "ccfaas.podCommon" -}}
{{- $root := .root -}}
enableServiceLinks: false
securityContext:
  runAsNonRoot: true
  runAsUser: 65534
  runAsGroup: 65534
  fsGroup: 65534
  seccompProfile:
    type: RuntimeDefault
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
initContainers:
  - name: data-dir
    image: {{ include "ccfaas.image" $root }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    command:
      - /bin/sh
      - -c
      - >-
        umask 077 && mkdir -p /data/auth
        {{- range .copy }} && cp /platform/{{ .from }} /data/{{ .to }}{{ end }}
        {{- with .extra }} && {{ . }}{{ end }}
    {{- with .env }}
    env:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    securityContext:
      {{- include "ccfaas.containerSecurity" . | nindent 6 }}
    resources:
      requests: {cpu: 10m, memory: 16Mi}
      limits: {memory: 32Mi}
    volumeMounts:
      - {name: platform, mountPath: /platform, readOnly: true}
      - {name: data, mountPath: /data}
volumes:
  - name: platform
    secret:
      secretName: {{ $root.Values.platformSecret }}
      defaultMode: 0440
      items:
        {{- range .items }}
        - {key: {{ . }}, path: {{ . }}}
        {{- end }}
  - name: data
    emptyDir: {}
  - name: tmp
    emptyDir: {}
{{- end -}}

{{- define "ccfaas.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* probes on GET /healthz over HTTPS */}}
{{- define "ccfaas.probes" -}}
readinessProbe:
  httpGet: {path: /healthz, port: {{ .port }}, scheme: HTTPS}
  periodSeconds: 5
livenessProbe:
  httpGet: {path: /healthz, port: {{ .port }}, scheme: HTTPS}
  initialDelaySeconds: 10
  periodSeconds: 20
{{- end -}}

{{- define "ccfaas.mounts" -}}
- {name: platform, mountPath: /platform, readOnly: true}
- {name: data, mountPath: /data}
- {name: tmp, mountPath: /tmp}
{{- end -}}

{{/* --tls-* of a service: its certificate from the platform Secret, the service CA */}}
{{- define "ccfaas.tlsArgs" -}}
- --tls-cert
- /platform/{{ .component }}.crt
- --tls-key
- /data/{{ .component }}.key
- --tls-ca
- /platform/service-ca.crt
{{- end -}}

{{/* a map as K=V,K=V (sorted) for the --k8s-* flags */}}
{{- define "ccfaas.pairs" -}}
{{- $out := list -}}
{{- range $k, $v := . }}{{ $out = append $out (printf "%s=%v" $k $v) }}{{ end -}}
{{- join "," $out -}}
{{- end -}}
