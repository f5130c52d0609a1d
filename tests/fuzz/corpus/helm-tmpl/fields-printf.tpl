{{ .a }}|{{ .missing.x }}|{{ printf "%5.2f|%q|%v" .f .a .m }}
