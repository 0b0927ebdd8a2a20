# bash completion for okuru(8), also when it is installed as sendmail.
# Account names for -a/--account come from okuru itself (okuru --list-accounts),
# with the -C/--config file of the command line when one is given; okuru then
# falls back to $OKURU_CONFIG, ~/.config/okuru/config.toml and /etc/okuru.toml.

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

# Prints the -C/--config value of the command line (the last one wins, as in
# okuru), or nothing. The word being completed does not count.
_okuru_config_arg()
{
    local i w cfg=
    for ((i = 1; i < ${#COMP_WORDS[@]}; i++)); do
        ((i == COMP_CWORD)) && continue
        w=${COMP_WORDS[i]}
        case $w in
            --) break ;;
            --config)
                # "--config=FILE" arrives as "--config" "=" "FILE" (COMP_WORDBREAKS)
                if [[ ${COMP_WORDS[i + 1]} == = ]]; then
                    ((i + 2 != COMP_CWORD)) && cfg=${COMP_WORDS[i + 2]}
                    ((i += 2))
                else
                    ((i + 1 != COMP_CWORD)) && cfg=${COMP_WORDS[i + 1]}
                    ((i += 1))
                fi
                ;;
            --config=?*) cfg=${w#--config=} ;;
            -[!-]*)
                # A cluster of flags may end in -C: "-C FILE", "-CFILE", "-tC FILE".
                if [[ $w =~ ^-[GIUimntv]*C(.*)$ ]]; then
                    if [[ -n ${BASH_REMATCH[1]} ]]; then
                        cfg=${BASH_REMATCH[1]}
                    else
                        ((i + 1 != COMP_CWORD)) && cfg=${COMP_WORDS[i + 1]}
                        ((i += 1))
                    fi
                fi
                ;;
        esac
    done
    [[ -n $cfg ]] && _okuru_dequote "$cfg"
}

# Prints the account names of the configuration the command line would use, as
# okuru reads them (TOML has more ways to write a table than a pattern can follow).
_okuru_accounts()
{
    local exe cfg
    exe=$(_okuru_program "${COMP_WORDS[0]}") || exe=$(type -P okuru) || return 0
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

_okuru()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} opt i
    COMPREPLY=()

    # Registered for sendmail too: another mail system's sendmail gets the default
    # completion, not okuru's options.
    if [[ ${COMP_WORDS[0]##*/} != okuru ]] && ! _okuru_program "${COMP_WORDS[0]}" >/dev/null; then
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

    # A value glued to its option (-Cfile, -alan, -tNfailure,d): complete the value
    # and give it back with the option in front.
    opt=
    if [[ $cur =~ ^(-[GIUimntv]*[CXaNRB])(.+)$ ]]; then
        opt=${BASH_REMATCH[1]}
        prev=-${opt: -1}
        cur=${BASH_REMATCH[2]}
    elif [[ $prev =~ ^-[GIUimntv]+([CXaNRB])$ ]]; then
        # "-tC FILE": the cluster ends in an option that takes the next word.
        prev=-${BASH_REMATCH[1]}
    fi

    case $prev in
        -C | --config | -X)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            ;;
        -a | --account)
            mapfile -t COMPREPLY < <(compgen -W "$(_okuru_accounts)" -- "$cur")
            ;;
        --tls) mapfile -t COMPREPLY < <(compgen -W 'starttls implicit none' -- "${cur,,}") ;;
        --port) mapfile -t COMPREPLY < <(compgen -W '587 465 25' -- "$cur") ;;
        --host) mapfile -t COMPREPLY < <(compgen -A hostname -- "$cur") ;;
        -N) _okuru_notify "$cur" ;;
        -R) mapfile -t COMPREPLY < <(compgen -W 'full hdrs' -- "${cur,,}") ;;
        -B) mapfile -t COMPREPLY < <(compgen -W '7BIT 8BITMIME' -- "${cur^^}") ;;
        # Free-form values.
        -f | -r | -F | -V | -L | -h | -O | -e | -p | -A | -o | -b | --test-message) ;;
        *)
            if [[ -z $opt && $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W '-t -i -oi -f -r -F -N -R -V -B -C -a
                    -v -vv -X -bm -bp -bi -bs -bd -q -I --config --account --pretend
                    --verbose --version --help --resend-failed --serverinfo --check
                    --test-message --list-accounts --host --port --tls --' -- "$cur")
            fi
            return 0
            ;;
    esac
    if [[ -n $opt ]]; then
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=$opt${COMPREPLY[i]}
        done
    fi
    return 0
}

complete -F _okuru okuru sendmail
