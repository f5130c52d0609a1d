{{ if }}{{ "unterminated }}{{ 08 }}{{ (1 }}{{ .a) }}{{/* c */ x }}{{ end }}{{ else }}
