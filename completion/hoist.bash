# bash completion for hoist and hoist-agent.
#
# The candidates come from the binary itself (`hoist __complete CWORD
# WORDS...`), which reads the same command and option tables as the parser
# and --help, and app and environment names from ./hoist.yaml (or --repo's):
# this file never needs to change when a command or option is added.
# Installed by `make install` as share/bash-completion/completions/hoist.

_hoist() {
	local cur=${COMP_WORDS[COMP_CWORD]} line word out pre
	local -a words reply

	# Split the line as the program will see it: bash's COMP_WORDS also
	# breaks at '=' and ':', which would split --color=always and
	# registry:5000/app:tag.
	line=${COMP_LINE:0:COMP_POINT}
	read -ra words <<<"$line"
	[[ $line == *[[:space:]] || ${#words[@]} -eq 0 ]] && words+=("")
	word=${words[${#words[@]} - 1]}

	out=$("${words[0]}" __complete "$((${#words[@]} - 1))" "${words[@]}" 2>/dev/null) || return 0
	case $out in
	__files__)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0 ;;
	__dirs__)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0 ;;
	esac
	[[ -n $out ]] || return 0
	mapfile -t reply <<<"$out"
	# Candidates complete our whole word; bash replaces only its own last
	# piece (after '=' or ':'), so drop what comes before it.
	pre=${word%"$cur"}
	COMPREPLY=("${reply[@]#"$pre"}")
}

complete -F _hoist hoist hoist-agent
