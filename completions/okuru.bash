# bash completion for okuru(8), also when it is installed as sendmail.
# The options come from okuru itself (okuru --list-options), and so do the
# account names for -a/--account (okuru --list-accounts), with the -C/--config
# file of the command line when one is given; okuru then falls back to
# $OKURU_CONFIG, ~/.config/okuru/config.toml and /etc/okuru.toml. A value is
# completed by what the option's listing says it is (FILE, ACCOUNT, a|b, ...).

# The okuru executable behind a command word as typed ("okuru", "sendmail",
# "./build/src/okuru"), following symbolic links; fails when it is not okuru.
_okuru_program()
{
    local path=$1
    [[ $path == "~/"* ]] && path=$HOME/${path#"~/"}
    [[ $path == */* ]] || path=$(type -P -- "$path") || return 1
    path=$(readlink -f -- "$path" 2>/dev/null) || return 1
    [[ ${path##*/} == okuru && -x $path ]] || return 1
    printf '%s\n' "$path"
}

# A word as the shell will pass it: a leading ~/ expanded, quotes and backslashes
# removed. Done by hand: handing the word to eval would run what it holds.
_okuru_dequote()
{
    local w=$1 out= c q=
    if [[ $w == "~/"* ]]; then
        out=$HOME/
        w=${w:2}
    fi
    while [[ -n $w ]]; do
        c=${w:0:1}
        w=${w:1}
        if [[ $q == "'" ]]; then
            if [[ $c == "'" ]]; then q=; else out+=$c; fi
        elif [[ $q == '"' ]]; then
            if [[ $c == '"' ]]; then
                q=
            elif [[ $c == '\' && $w == [\"\\\$\`]* ]]; then
                out+=${w:0:1}
                w=${w:1}
            else
                out+=$c
            fi
        elif [[ $c == "'" || $c == '"' ]]; then
            q=$c
        elif [[ $c == '\' ]]; then
            out+=${w:0:1}
            w=${w:1}
        else
            out+=$c
        fi
    done
    printf '%s\n' "$out"
}

# Reads okuru --list-options ("-f ADDR", "--config=CONFIG", "-q[TIME]", a tab,
# a description) into the caller's variables: names (the options to offer: not
# the ignored ones), flags and valued (the letters that take no value and those
# that take one, for clusters such as -tC FILE), and value_of[option] (what its
# value is).
_okuru_read_options()
{
    local exe=$1 spelling description name value
    while IFS=$'\t' read -r spelling description; do
        case $spelling in
            *'['*) name=${spelling%%'['*} value= ;;
            --*=*) name=${spelling%%=*} value=${spelling#*=} ;;
            *' '*) name=${spelling%% *} value=${spelling#* } ;;
            *) name=$spelling value= ;;
        esac
        [[ $description == ignored* ]] || names+=("$name")
        if [[ $name == -[!-] ]]; then
            if [[ -n $value ]]; then
                valued+=${name:1}
            elif [[ $spelling != *'['* ]]; then
                flags+=${name:1}
            fi
        fi
        [[ -n $value ]] && value_of[$name]=$value
    done < <("$exe" --list-options 2>/dev/null </dev/null)
}

# Prints the configuration file of the command line (the last -C/--config, or
# any option whose value is a CONFIG, wins, as in okuru), or nothing. The word
# being completed does not count. Uses _okuru's flags and value_of.
_okuru_config_arg()
{
    local i w cfg= letters= name
    for name in "${!value_of[@]}"; do
        [[ ${value_of[$name]} == CONFIG && $name == -[!-] ]] && letters+=${name:1}
    done
    for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
        ((i == COMP_CWORD)) && continue
        w=${COMP_WORDS[i]}
        if [[ $w == -- ]]; then
            break
        elif [[ $w == --* && ${value_of[$w]} == CONFIG ]]; then
            # "--config=FILE" arrives as "--config" "=" "FILE" (COMP_WORDBREAKS)
            if [[ ${COMP_WORDS[i + 1]} == = ]]; then
                ((i + 2 != COMP_CWORD)) && cfg=${COMP_WORDS[i + 2]}
                ((i += 2))
            else
                ((i + 1 != COMP_CWORD)) && cfg=${COMP_WORDS[i + 1]}
                ((i += 1))
            fi
        elif [[ $w == --*=?* && ${value_of[${w%%=*}]} == CONFIG ]]; then
            cfg=${w#*=}
        elif [[ -n $letters && $w =~ ^-[${flags:--}]*[$letters](.*)$ ]]; then
            # A cluster of flags may end in -C: "-C FILE", "-CFILE", "-tC FILE".
            if [[ -n ${BASH_REMATCH[1]} ]]; then
                cfg=${BASH_REMATCH[1]}
            else
                ((i + 1 != COMP_CWORD)) && cfg=${COMP_WORDS[i + 1]}
                ((i += 1))
            fi
        fi
    done
    [[ -n $cfg ]] && _okuru_dequote "$cfg"
}

# Prints the account names of the configuration the command line would use, as
# okuru reads them (TOML has more ways to write a table than a pattern can follow).
_okuru_accounts()
{
    local exe=$1 cfg
    cfg=$(_okuru_config_arg)
    if [[ -n $cfg ]]; then
        "$exe" -C "$cfg" --list-accounts 2>/dev/null </dev/null
    else
        "$exe" --list-accounts 2>/dev/null </dev/null
    fi
}

# Completes a -N value: never, or a comma list of success, delay, failure.
_okuru_notify()
{
    local cur=$1 prefix= last item
    if [[ $cur == *,* ]]; then
        prefix=${cur%,*},
        last=${cur##*,}
        for item in success delay failure; do
            [[ ,${prefix,,} == *,$item,* ]] && continue
            [[ $item == "${last,,}"* ]] && COMPREPLY+=("$prefix$item")
        done
        # Still a prefix of a longer list: do not add a space after the word.
        [[ ${#COMPREPLY[@]} -gt 0 ]] && compopt -o nospace 2>/dev/null
    else
        mapfile -t COMPREPLY < <(compgen -W 'never success delay failure' -- "${cur,,}")
        [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} != never ]] && compopt -o nospace 2>/dev/null
    fi
}

# Completes a value by what it is: FILE, CONFIG, ACCOUNT, HOST, PORT, NOTIFY, or
# choices ("full|hdrs", offered in the case they are written in). Any other value
# is free-form: nothing to offer.
_okuru_value()
{
    local exe=$1 what=$2 cur=$3
    case $what in
        FILE | CONFIG)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            ;;
        ACCOUNT) mapfile -t COMPREPLY < <(compgen -W "$(_okuru_accounts "$exe")" -- "$cur") ;;
        HOST) mapfile -t COMPREPLY < <(compgen -A hostname -- "$cur") ;;
        PORT) mapfile -t COMPREPLY < <(compgen -W '587 465 25' -- "$cur") ;;
        NOTIFY) _okuru_notify "$cur" ;;
        *'|'*[a-z]*) mapfile -t COMPREPLY < <(compgen -W "${what//|/ }" -- "${cur,,}") ;;
        *'|'*) mapfile -t COMPREPLY < <(compgen -W "${what//|/ }" -- "${cur^^}") ;;
    esac
}

_okuru()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} opt i exe
    local flags= valued=
    local -a names=()
    local -A value_of=()
    COMPREPLY=()

    # Registered for sendmail too: another mail system's sendmail gets the default
    # completion, not okuru's options. The command word okuru runs as typed (bash
    # looks a bare name up in PATH), which saves resolving it at every TAB.
    if [[ ${COMP_WORDS[0]##*/} == okuru ]]; then
        exe=${COMP_WORDS[0]}
        [[ $exe == "~/"* ]] && exe=$HOME/${exe#"~/"}
    elif ! exe=$(_okuru_program "${COMP_WORDS[0]}"); then
        compopt -o default 2>/dev/null
        return 0
    fi

    # After "--" every word is a recipient.
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == -- ]] && return 0
    done

    # "--opt=value": bash splits it at '=' (COMP_WORDBREAKS).
    if [[ $cur == = ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        cur=
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi

    # A recipient after a recipient needs no option list.
    [[ $cur != -* && $prev != -* ]] && return 0
    _okuru_read_options "$exe"

    # A value glued to its option (-Cfile, -alan, -tNfailure,d): complete the value
    # and give it back with the option in front.
    opt=
    if [[ -n $valued && $cur =~ ^(-[${flags:--}]*[$valued])(.+)$ ]]; then
        opt=${BASH_REMATCH[1]}
        prev=-${opt: -1}
        cur=${BASH_REMATCH[2]}
    elif [[ -n $valued && $prev =~ ^-[${flags:--}]+([$valued])$ ]]; then
        # "-tC FILE": the cluster ends in an option that takes the next word.
        prev=-${BASH_REMATCH[1]}
    fi

    if [[ -n ${value_of[$prev]} ]]; then
        _okuru_value "$exe" "${value_of[$prev]}" "$cur"
    elif [[ -z $opt && $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "${names[*]} --" -- "$cur")
    fi
    if [[ -n $opt ]]; then
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=$opt${COMPREPLY[i]}
        done
    fi
    return 0
}

complete -F _okuru okuru sendmail
