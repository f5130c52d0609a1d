{{ define "a" }}A({{ . }}){{ end }}{{ template "a" .n }}{{ include "a" .t | upper }}{{ tpl "{{ .k }}" .m }}{{ block "b" . }}B{{ end }}
