# bash completion for okuru(8), also when it is installed as sendmail.
# Account names for -a/--account come from the configuration okuru would use:
# -C/--config on the command line, $OKURU_CONFIG, the per-user file, /etc/okuru.toml.

# Prints the configuration file the command line being completed would use.
_okuru_config_file()
{
    local i w cfg=
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            --) break ;;
            -C) cfg=${COMP_WORDS[i + 1]} ;;
            -C?*) cfg=${w#-C} ;;
            --config)
                # "--config=FILE" arrives as "--config" "=" "FILE" (COMP_WORDBREAKS)
                if [[ ${COMP_WORDS[i + 1]} == = ]]; then
                    cfg=${COMP_WORDS[i + 2]}
                else
                    cfg=${COMP_WORDS[i + 1]}
                fi
                ;;
            --config=*) cfg=${w#--config=} ;;
        esac
    done
    if [[ -z $cfg ]]; then
        cfg=$OKURU_CONFIG
    fi
    if [[ -z $cfg ]]; then
        cfg=${XDG_CONFIG_HOME:-$HOME/.config}/okuru/config.toml
        [[ -e $cfg ]] || cfg=/etc/okuru.toml
    fi
    [[ $cfg == "~/"* ]] && cfg=$HOME/${cfg#"~/"}
    printf '%s\n' "$cfg"
}

# Prints the account names ([accounts.NAME] tables) of the configuration in use.
_okuru_accounts()
{
    local cfg
    cfg=$(_okuru_config_file)
    [[ -r $cfg ]] || return 0
    sed -nE "s/^[[:space:]]*\[[[:space:]]*accounts[[:space:]]*\.[[:space:]]*(\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))[[:space:]]*[].].*/\2\3\4/p" \
        -- "$cfg" 2>/dev/null | sort -u
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

    # A value glued to its option (-Cfile, -alan, -Nfailure,d): complete the value
    # and give it back with the option in front.
    opt=
    case $cur in
        -[CXaNRB]?*)
            opt=${cur:0:2}
            prev=$opt
            cur=${cur:2}
            ;;
    esac

    case $prev in
        -C | --config | -X)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            ;;
        -a | --account)
            mapfile -t COMPREPLY < <(compgen -W "$(_okuru_accounts)" -- "$cur")
            ;;
        -N) _okuru_notify "$cur" ;;
        -R) mapfile -t COMPREPLY < <(compgen -W 'full hdrs' -- "${cur,,}") ;;
        -B) mapfile -t COMPREPLY < <(compgen -W '7BIT 8BITMIME' -- "${cur^^}") ;;
        -f | -r | -F | -V | -L | -h | -O | -e | -p | -A | -o | -b) ;;  # free-form values
        *)
            if [[ -z $opt && $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W '-t -i -oi -f -r -F -N -R -V -B -C -a
                    -v -vv -X -bm -bp -bi -bs -bd -q -I --config --account --pretend
                    --verbose --version --help --resend-failed --' -- "$cur")
                [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == --@(config|account) ]] &&
                    COMPREPLY[0]+='=' && compopt -o nospace 2>/dev/null
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
