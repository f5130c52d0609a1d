#!/bin/bash
# Hostile charts: archives with links, devices, paths that leave the chart
# or bombs; charts nested too deep; values that nest too deep.  Each is
# refused with a clear error and exit status 1, never a crash or a hang.
. "$(dirname "$0")/../lib.sh"

mkchart() {
	mkdir -p "$1/templates" &&
	printf "apiVersion: v2\nname: %s\nversion: 0.1.0\n" "$(basename "$1")" >"$1/Chart.yaml" &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n" "$(basename "$1")" \
		>"$1/templates/cm.yaml"
}

# archive NAME.tgz KIND: a chart archive with one hostile entry, made by Python's tarfile.
archive() {
	python3 - "$1" "$2" <<-'EOF'
	import io, sys, tarfile
	out, kind = sys.argv[1], sys.argv[2]
	chart = b"apiVersion: v2\nname: sub\nversion: 0.1.0\n"
	with tarfile.open(out, "w:gz") as t:
	    def add(name, data=b"", **kw):
	        ti = tarfile.TarInfo(name)
	        for k, v in kw.items():
	            setattr(ti, k, v)
	        ti.size = len(data)
	        t.addfile(ti, io.BytesIO(data) if data else None)
	    add("sub/Chart.yaml", chart)
	    if kind == "symlink":
	        add("sub/templates/link.yaml", type=tarfile.SYMTYPE, linkname="/etc/passwd")
	    elif kind == "hardlink":
	        add("sub/templates/link.yaml", type=tarfile.LNKTYPE, linkname="sub/Chart.yaml")
	    elif kind == "device":
	        add("sub/templates/dev", type=tarfile.CHRTYPE, devmajor=1, devminor=3)
	    elif kind == "traversal":
	        add("sub/../../escape.yaml", b"kind: x\n")
	    elif kind == "absolute":
	        add("/etc/cron.d/x", b"x\n")
	    elif kind == "bomb":
	        ti = tarfile.TarInfo("sub/templates/zeros.yaml")
	        ti.size = 40 << 20
	        class Zeros(io.RawIOBase):
	            left = ti.size
	            def readable(self):
	                return True
	            def readinto(self, b):
	                n = min(len(b), self.left)
	                b[:n] = bytes(n)
	                self.left -= n
	                return n
	        t.addfile(ti, io.BufferedReader(Zeros()))
	EOF
}

for kind in symlink hardlink device traversal absolute bomb; do
	test_expect_success "a subchart archive with a $kind entry is refused" "
		rm -rf c-$kind && mkchart c-$kind && mkdir -p c-$kind/charts &&
		archive c-$kind/charts/sub-0.1.0.tgz $kind &&
		test_must_fail hoist template r c-$kind >out 2>err &&
		test ! -s out &&
		test_grep '^Error: error unpacking subchart sub-0.1.0.tgz in c-$kind: ' err
	"
done

test_expect_success 'a chart archive given directly is read, and a bomb refused' '
	rm -rf arc && mkdir arc && mkchart arc/ok &&
	tar -C arc -czf ok.tgz ok &&
	hoist template r ok.tgz >ok.out &&
	test_grep "name: ok" ok.out &&
	archive bomb.tgz bomb &&
	test_must_fail hoist template r bomb.tgz 2>bomb.err &&
	test_grep "more than the chart limits" bomb.err
'

test_expect_success 'subcharts nested deeper than 32 levels are refused' '
	rm -rf deep && mkchart deep && d=deep &&
	for i in $(seq 34); do mkchart $d/charts/n$i && d=$d/charts/n$i; done &&
	test_must_fail hoist template r deep 2>deep.err &&
	test_grep "nest deeper than 32" deep.err
'

test_expect_success 'a --set line nested deeper than 30 levels is refused' '
	mkchart small &&
	test_must_fail hoist template r small --set "$(printf "a.%.0s" $(seq 31))b=1" 2>set.err &&
	test_grep "^Error: failed parsing --set data: value name nested level is greater than maximum supported nested level of 30" set.err
'

test_expect_success 'a template that includes itself stops with an error' '
	rm -rf loop && mkchart loop &&
	printf "{{ define \"x\" }}{{ include \"x\" . }}{{ end }}{{ include \"x\" . }}\n" \
		>loop/templates/loop.yaml &&
	test_must_fail hoist template r loop >/dev/null 2>loop.err &&
	test_grep "loop/templates/loop.yaml" loop.err
'

test_expect_success 'a template that loops for ever or prints without end is stopped' '
	rm -rf spin && mkchart spin &&
	printf "{{ range \$i := until 100000000 }}{{ \$i }}{{ end }}\n" >spin/templates/spin.yaml &&
	test_must_fail hoist template r spin >/dev/null 2>spin.err &&
	test_grep "spin/templates/spin.yaml" spin.err
'

test_done
