# bash completion for bucardo-aiven(8)                     -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/bucardo-aiven.

_bucardo_aiven()
{
	local cur prev words cword
	if declare -F _init_completion >/dev/null 2>&1; then
		# -s: "--opt=value" is split, as every option taking a value allows it.
		_init_completion -s || return
	else
		COMPREPLY=()
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		# Without bash-completion, split "--opt=value" here: bash made it
		# three words ("--opt" "=" "value") when "=" is in COMP_WORDBREAKS,
		# as it is by default, or left it one.
		if [[ $cur == --*=* ]]; then
			prev=${cur%%=*}
			cur=${cur#*=}
		elif [[ $prev == = && $cword -ge 2 ]]; then
			prev=${words[cword - 2]}
		elif [[ $cur == = && $cword -ge 1 ]]; then
			cur=
		fi
	fi

	local commands='status apply revert history check-db hook'
	local global_opts='--root --state-dir --pid-dir --rules --lock-timeout
		--json --quiet --verbose --help --version'
	# The options that take a value, as "--opt value" or "--opt=value".
	local valued='--root|--state-dir|--pid-dir|--rules|--lock-timeout|--function|--form|--bucardo-db|--binary|--module|--module-state'

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
	--form)
		_bucardo_aiven_words 'plain guarded'
		return
		;;
	--module-state)
		_bucardo_aiven_words 'pristine patched guarded pristine:5.0 patched:5.0 guarded:5.0'
		return
		;;
	--module)
		_bucardo_aiven_files
		return
		;;
	--binary)
		_bucardo_aiven_words '/usr/sbin/bucardo-aiven /usr/local/sbin/bucardo-aiven'
		return
		;;
	--bucardo-db)
		_bucardo_aiven_words 'dbname=bucardo'
		return
		;;
	esac

	# The command is the first word that is neither an option nor an
	# option's value; the options already given are not offered again.
	local i word command='' nfiles=0 given=' '
	for ((i = 1; i < cword; i++)); do
		word=${words[i]}
		case $word in
		--*=*) given+="${word%%=*} " ;;
		-*)
			given+="$word "
			# shellcheck disable=SC2053
			if [[ $word == @($valued) ]]; then
				# Its value: the next word, or the one after a split-off "=".
				[[ ${words[i + 1]-} == = ]] && ((i++))
				((i++))
			fi
			;;
		*)
			if [[ -z $command ]]; then
				command=$word
			else
				((nfiles++))
			fi
			;;
		esac
	done

	if [[ -z $command ]]; then
		if [[ $cur == -* ]]; then
			_bucardo_aiven_words "$(_bucardo_aiven_unused "$global_opts")"
		else
			_bucardo_aiven_words "$commands"
		fi
		return
	fi

	local opts=
	case $command in
	status) opts='--function --form' ;;
	apply)
		opts='--check --diff --function --form --no-perl-check --keep-perl-env
			--detailed-exitcodes --reapply'
		;;
	revert) opts='--check --diff --force --detailed-exitcodes' ;;
	history) opts= ;;
	check-db) opts='--function --bucardo-db --module --module-state' ;;
	hook)
		if [[ $cur == -* ]]; then
			_bucardo_aiven_words "$(_bucardo_aiven_unused '--binary --json --quiet')"
		elif [[ $nfiles -eq 0 ]]; then
			_bucardo_aiven_words 'install remove status'
		fi
		return
		;;
	*) return ;;
	esac

	if [[ $cur == -* ]]; then
		_bucardo_aiven_words "$(_bucardo_aiven_unused "$opts --json --quiet --verbose")"
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

# The words of $1 not given yet (the caller's $given), with their short twins.
_bucardo_aiven_unused()
{
	local w out=
	for w in $1; do
		case $given in
		*" $w "*) continue ;;
		esac
		case $w in
		--quiet) [[ $given == *" -q "* ]] && continue ;;
		--verbose) [[ $given == *" -v "* ]] && continue ;;
		esac
		out+="$w "
	done
	printf '%s' "$out"
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
