{{ $x := 1 }}{{ $x = add $x 2 }}{{ $x }} {{ and 1 0 }} {{ or .z "d" }} {{ index .list 3 0 }} {{ slice .a 0 1 }} {{ len .m }} {{ lt 1 2 }} {{ eq .n 3.0 }}
