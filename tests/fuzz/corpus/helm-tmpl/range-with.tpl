{{- range $i, $v := .list }}{{ if eq $i 2 }}{{ break }}{{ end }}{{ $i }}={{ $v }}
{{- else }}none{{ end -}}
{{ with .m.sub }}{{ .x | toJson }}{{ else }}-{{ end }}
