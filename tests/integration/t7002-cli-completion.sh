#!/bin/bash
# The bash completion, driven as bash drives it: the function `complete -p`
# names is called with COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT as bash
# sets them, and COMPREPLY is checked.
. "$(dirname "$0")/../lib.sh"

COMPLETION=$TEST_TOP/completion/hoist.bash

# complete_line LINE: run the registered completion for LINE (the cursor at
# its end) in a fresh bash, COMP_WORDS split as bash splits them (at blanks
# and at COMP_WORDBREAKS such as '=' and ':'); prints COMPREPLY one a line.
cat >complete.sh <<'EOS'
source "$1" || exit 1
spec=$(complete -p hoist) || exit 1
fn=$(printf "%s\n" "$spec" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
test -n "$fn" || exit 1
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
# bash's own split: blanks, and '=' / ':' as words of their own.
COMP_WORDS=()
w=
for ((i = 0; i < ${#COMP_LINE}; i++)); do
	ch=${COMP_LINE:i:1}
	case $ch in
	" ") [[ -n $w ]] && COMP_WORDS+=("$w"); w= ;;
	"=" | ":") [[ -n $w ]] && COMP_WORDS+=("$w"); COMP_WORDS+=("$ch"); w= ;;
	*) w+=$ch ;;
	esac
done
if [[ -n $w ]]; then COMP_WORDS+=("$w"); elif [[ $COMP_LINE == *" " ]]; then COMP_WORDS+=(""); fi
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMPREPLY=()
"$fn" hoist "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
[[ ${#COMPREPLY[@]} -eq 0 ]] || printf "%s\n" "${COMPREPLY[@]}"
EOS

complete_line() {
	bash complete.sh "$COMPLETION" "$1"
}

test_expect_success 'the completion is registered for both programs' '
	bash -c "source \"$COMPLETION\" && complete -p hoist && complete -p hoist-agent" >spec &&
	grep -q "complete -F _hoist hoist$" spec
'

test_expect_success 'a command completes' '
	complete_line "hoist ren" >got &&
	echo render >expect && test_cmp expect got &&
	complete_line "hoist pu" | sort >got &&
	printf "%s\n" publish pull push >expect && test_cmp expect got &&
	complete_line "hoist-agent ver" >got && echo version >expect && test_cmp expect got
'

test_expect_success 'an option completes, and a fixed set of values after it' '
	complete_line "hoist render --re" | sort >got &&
	printf "%s\n" --ref --repo >expect && test_cmp expect got &&
	complete_line "hoist render --engine ku" >got &&
	echo kustomize >expect && test_cmp expect got &&
	complete_line "hoist diff a b --color=al" >got &&
	echo always >expect && test_cmp expect got
'

cat >hoist.yaml <<'EOT'
apiVersion: hoist.dev/v1alpha1
kind: Project
registry: oci-layout:./store
apps:
  - name: podinfo
    path: apps/podinfo
  - name: payments
    path: apps/payments
  - name: ingress
    path: infra/ingress
environments:
  - name: dev
    branch: main
  - name: prod
    promoteFrom: dev
EOT
mkdir -p other && sed "s/podinfo/frontend/" hoist.yaml >other/hoist.yaml

test_expect_success 'an app name completes from hoist.yaml' '
	complete_line "hoist promote p" | sort >got &&
	printf "%s\n" payments podinfo >expect && test_cmp expect got &&
	complete_line "hoist publish --app in" >got &&
	echo ingress >expect && test_cmp expect got &&
	complete_line "hoist history --repo other f" >got &&
	echo frontend >expect && test_cmp expect got
'

test_expect_success 'an environment name completes from hoist.yaml' '
	complete_line "hoist promote podinfo --to p" >got &&
	echo prod >expect && test_cmp expect got &&
	complete_line "hoist diff a b --env=d" >got &&
	echo dev >expect && test_cmp expect got
'

test_expect_success 'file and folder arguments complete to paths' '
	mkdir -p apps/podinfo && : >apps/art.tgz &&
	complete_line "hoist render app" >got &&
	echo apps >expect && test_cmp expect got &&
	complete_line "hoist inspect apps/a" >got &&
	echo apps/art.tgz >expect && test_cmp expect got
'

test_expect_success 'nothing is offered where nothing fits, and a broken hoist.yaml is quiet' '
	complete_line "hoist nosuch --" >got && ! test -s got &&
	mkdir broken && echo "apps: [" >broken/hoist.yaml &&
	complete_line "hoist promote --repo broken " >got 2>err && ! test -s got && ! test -s err
'

# zsh: the same completion file, with compadd and _files standing in for
# the completion system (they print what they are given).
cat >complete.zsh <<'EOS'
compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -l -- "$@"; }
_files() { print -- "_files $*"; }
source "$1" 2>/dev/null
words=(${(z)2})
[[ $2 == *' ' ]] && words+=("")
CURRENT=${#words}
_hoist
EOS

test_expect_success 'the zsh completion offers the same candidates' '
	zsh -f complete.zsh "$TEST_TOP/completion/_hoist" "hoist ren" >got &&
	echo render >expect && test_cmp expect got &&
	zsh -f complete.zsh "$TEST_TOP/completion/_hoist" "hoist publish --color=al" >got &&
	echo --color=always >expect && test_cmp expect got &&
	zsh -f complete.zsh "$TEST_TOP/completion/_hoist" "hoist promote pa" >got &&
	echo payments >expect && test_cmp expect got &&
	zsh -f complete.zsh "$TEST_TOP/completion/_hoist" "hoist inspect " >got &&
	echo "_files " >expect && test_cmp expect got &&
	zsh -f complete.zsh "$TEST_TOP/completion/_hoist" "hoist render --repo " >got &&
	echo "_files -/" >expect && test_cmp expect got
'

test_done
