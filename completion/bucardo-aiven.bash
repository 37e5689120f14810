# bash completion for bucardo-aiven(8)                     -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/bucardo-aiven.

_bucardo_aiven()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion || return
	else
		COMPREPLY=()
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	local commands='status apply revert history check-db hook'
	local global_opts='--root --state-dir --pid-dir --rules --lock-timeout
		--json --quiet --verbose --help --version -q -v -h -V'

	# The value of an option that takes one.
	case $prev in
	--root | --state-dir | --pid-dir | --rules)
		_bucardo_aiven_dirs
		return
		;;
	--lock-timeout)
		_bucardo_aiven_words '0 5 30 60 300'
		return
		;;
	--function)
		_bucardo_aiven_words 'aiven_extras.session_replication_role'
		return
		;;
	--bucardo-db)
		_bucardo_aiven_words 'dbname=bucardo'
		return
		;;
	esac

	# The command is the first word that is neither an option nor an
	# option's value.
	local i command='' nfiles=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--root | --state-dir | --pid-dir | --rules | --lock-timeout | \
		--function | --bucardo-db)
			((i++))
			;;
		-*) ;;
		*)
			if [[ -z $command ]]; then
				command=${words[i]}
			else
				((nfiles++))
			fi
			;;
		esac
	done

	if [[ -z $command ]]; then
		if [[ $cur == -* ]]; then
			_bucardo_aiven_words "$global_opts"
		else
			_bucardo_aiven_words "$commands"
		fi
		return
	fi

	local opts=
	case $command in
	status) opts= ;;
	apply)
		opts='--check --diff --function --no-perl-check --keep-perl-env
			--detailed-exitcodes --reapply'
		;;
	revert) opts='--check --diff --force --detailed-exitcodes' ;;
	history) opts= ;;
	check-db) opts='--function --bucardo-db' ;;
	hook)
		if [[ $cur != -* && $nfiles -eq 0 ]]; then
			_bucardo_aiven_words 'install remove status'
		fi
		return
		;;
	*) return ;;
	esac

	if [[ $cur == -* ]]; then
		_bucardo_aiven_words "$opts --json --quiet --verbose -q -v"
		return
	fi
	case $command in
	status | apply | revert)
		_bucardo_aiven_files
		;;
	history)
		[[ $nfiles -eq 0 ]] && _bucardo_aiven_files
		;;
	esac
}

# The words of $1 that start with the word being completed.
_bucardo_aiven_words()
{
	mapfile -t COMPREPLY < <(compgen -W "$1" -- "$cur")
}

# Directories, with or without bash-completion's helpers.
_bucardo_aiven_dirs()
{
	if declare -F _filedir >/dev/null 2>&1; then
		_filedir -d
	else
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
	fi
}

# Perl modules and directories leading to them.
_bucardo_aiven_files()
{
	if declare -F _filedir >/dev/null 2>&1; then
		_filedir pm
	else
		mapfile -t COMPREPLY < <(compgen -f -X '!*.pm' -- "$cur"; compgen -d -- "$cur")
	fi
}

complete -F _bucardo_aiven bucardo-aiven
