# fish completion for okuru(8), also when it is installed as sendmail.
# The options come from okuru itself (okuru --list-options), read once when fish
# loads this file (fish declares options ahead; a new okuru needs a new shell), and
# so do the account names for -a/--account (okuru --list-accounts, at each
# completion), with the -C/--config file of the command line when one is given;
# okuru then falls back to $OKURU_CONFIG, ~/.config/okuru/config.toml and
# /etc/okuru.toml. A value is completed by what the option's listing says it is
# (FILE, ACCOUNT, a|b, ...).

# The okuru executable behind the command being completed ("okuru", "sendmail",
# "./build/src/okuru"), following symbolic links; fails when that is not okuru.
function __okuru_program
    set -l exe (commandline -opc)[1]
    string match -q -- '~/*' $exe; and set exe $HOME/(string sub -s 3 -- $exe)
    if not string match -q -- '*/*' $exe
        set exe (command -s -- $exe); or return 1
    end
    set exe (builtin realpath -- $exe 2>/dev/null); or return 1
    test (string replace -r -- '.*/' '' $exe) = okuru; and test -x $exe; or return 1
    echo $exe
end

# Prints the configuration file of the command line (the last -C/--config, or
# any option whose value is a CONFIG, wins, as in okuru), or nothing. The token
# being completed does not count. The option letters are read at load time.
function __okuru_config_arg
    set -l tokens (commandline -opc)
    set -l cfg
    set -l i 2
    while test $i -le (count $tokens)
        set -l t $tokens[$i]
        set -l name (string replace -r -- '=.*' '' $t)
        if test "$t" = --
            break
        else if contains -- $t $__okuru_config_long
            set i (math $i + 1)
            test $i -le (count $tokens); and set cfg $tokens[$i]
        else if string match -q -- '--*=?*' $t; and contains -- $name $__okuru_config_long
            set cfg (string replace -r -- '^[^=]*=' '' $t)
        else if test -n "$__okuru_config_short"
            # A cluster of flags may end in -C: "-C FILE", "-CFILE", "-tC FILE".
            set -l cluster "^-[$__okuru_flags-]*[$__okuru_config_short]"
            if string match -q -r -- $cluster'$' $t
                set i (math $i + 1)
                test $i -le (count $tokens); and set cfg $tokens[$i]
            else if string match -q -r -- $cluster'.' $t
                set cfg (string replace -r -- $cluster '' $t)
            end
        end
        set i (math $i + 1)
    end
    test -n "$cfg"; or return 1
    string replace -r -- '^~/' "$HOME/" $cfg
end

# Account names of the configuration the command line would use, as okuru reads
# them (TOML has more ways to write a table than a pattern can follow).
function __okuru_accounts
    set -l exe (__okuru_program); or set exe (command -s okuru); or return
    set -l cfg (__okuru_config_arg)
    if test -n "$cfg"
        $exe -C $cfg --list-accounts 2>/dev/null </dev/null
    else
        $exe --list-accounts 2>/dev/null </dev/null
    end
end

# Registered for sendmail too; another mail system's sendmail gets the default
# completion, not okuru's options.
function __okuru_is_okuru
    __okuru_program >/dev/null
end

# -N values: never, or a comma list of success, delay, failure.
function __okuru_notify
    set -l token (commandline -ct)
    set -l glued ''
    if string match -q -- '-N*' $token
        set glued -N
        set token (string sub -s 3 -- $token)
    end
    if string match -q -- '*,*' $token
        set -l prefix (string replace -r -- '[^,]*$' '' $token)
        set -l given (string split , -- (string lower -- $prefix))
        for item in success delay failure
            contains -- $item $given; or echo $glued$prefix$item
        end
    else
        for item in never success delay failure
            echo $glued$item
        end
    end
end

# The okuru whose options are declared: the one on PATH, else the one a sendmail
# on PATH leads to.
set -l exe (command -s okuru)
if test -z "$exe"
    set exe (command -s sendmail); and set exe (builtin realpath -- $exe 2>/dev/null)
    test (string replace -r -- '.*/' '' "$exe") = okuru; or set exe
end
set -l options
test -n "$exe"; and set options ($exe --list-options 2>/dev/null </dev/null)

# Letters that take no value and letters whose value is the configuration file,
# and the long options for it, for __okuru_config_arg.
set -g __okuru_flags
set -g __okuru_config_short
set -g __okuru_config_long
for line in $options
    set -l spelling (string split -m 1 \t -- $line)[1]
    if string match -q -r -- '^-[^-]$' $spelling
        set __okuru_flags "$__okuru_flags"(string sub -s 2 -- $spelling)
    else if string match -q -r -- '^-[^-] CONFIG$' $spelling
        set __okuru_config_short "$__okuru_config_short"(string sub -s 2 -l 1 -- $spelling)
    else if string match -q -r -- '^--.*=CONFIG$' $spelling
        set -a __okuru_config_long (string replace -- '=CONFIG' '' $spelling)
    end
end

for c in okuru sendmail
    # okuru is okuru; sendmail only when it leads to okuru.
    set -l n
    test $c = sendmail; and set n -n __okuru_is_okuru
    # Recipients are addresses: no file names unless an option takes a file.
    complete -c $c $n -f
    for line in $options
        set -l parts (string split -m 1 \t -- $line)
        # Options accepted and ignored for sendmail's sake are not offered.
        string match -q -- 'ignored*' $parts[2]; and continue
        set -l name (string match -r -- '^--?[^ =[]+' $parts[1])
        # A long option's optional value: --tls-starttls[=on|off] reads as =on|off.
        set -l spelling (string replace -r -- '^(--[^[]+)\[=(.*)\]$' '$1=$2' $parts[1])
        set -l value (string match -r -- '[ =].*' $spelling | string sub -s 2)
        set -l args
        if string match -q -- '--*' $name
            set args -l (string sub -s 3 -- $name)
        else if test (string length -- $name) -eq 2
            set args -s (string sub -s 2 -- $name)
        else
            set args -o (string sub -s 2 -- $name)
        end
        switch "$value"
            case ''
            case FILE CONFIG
                set -a args -r -F
            case ACCOUNT
                set -a args -x -a '(__okuru_accounts)'
            case HOST
                set -a args -x -a '(__fish_print_hostnames)'
            case PORT
                set -a args -x -a '587\t"submission (STARTTLS)" 465\t"submissions (implicit TLS)" 25\tsmtp'
            case NOTIFY
                set -a args -x -a '(__okuru_notify)'
            case '*|*'
                set -a args -x -a (string replace -a '|' ' ' -- $value)
            case '*'
                set -a args -x
        end
        complete -c $c $n $args -d $parts[2]
    end
end
