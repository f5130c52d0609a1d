{{ define "r" }}{{ include "r" . }}{{ end }}{{ include "r" . }}{{ define "s" }}{{ template "s" . }}{{ end }}{{ template "s" }}
