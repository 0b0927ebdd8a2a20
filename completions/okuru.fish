# fish completion for okuru(8), also when it is installed as sendmail.
# Account names for -a/--account come from okuru itself (okuru --list-accounts),
# with the -C/--config file of the command line when one is given; okuru then
# falls back to $OKURU_CONFIG, ~/.config/okuru/config.toml and /etc/okuru.toml.

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

# Prints the -C/--config value of the command line (the last one wins, as in
# okuru), or nothing. The token being completed does not count.
function __okuru_config_arg
    set -l tokens (commandline -opc)
    set -l cfg
    set -l i 2
    while test $i -le (count $tokens)
        set -l t $tokens[$i]
        switch $t
            case --
                break
            case --config
                set i (math $i + 1)
                test $i -le (count $tokens); and set cfg $tokens[$i]
            case '--config=?*'
                set cfg (string replace -- '--config=' '' $t)
            case '-*'
                # A cluster of flags may end in -C: "-C FILE", "-CFILE", "-tC FILE".
                if string match -q -r -- '^-[GIUimntv]*C$' $t
                    set i (math $i + 1)
                    test $i -le (count $tokens); and set cfg $tokens[$i]
                else if string match -q -r -- '^-[GIUimntv]*C.' $t
                    set cfg (string replace -r -- '^-[GIUimntv]*C' '' $t)
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

for c in okuru sendmail
    # okuru is okuru; sendmail only when it leads to okuru.
    set -l n
    test $c = sendmail; and set n -n __okuru_is_okuru
    # Recipients are addresses: no file names unless an option takes a file.
    complete -c $c $n -f
    complete -c $c $n -s t -d 'Also take recipients from To/Cc/Bcc headers'
    complete -c $c $n -s i -d 'A line with a single dot does not end the message'
    complete -c $c $n -o oi -d 'A line with a single dot does not end the message'
    complete -c $c $n -s f -x -d 'Envelope sender'
    complete -c $c $n -s r -x -d 'Envelope sender'
    complete -c $c $n -s F -x -d 'Full name for a generated From: header'
    complete -c $c $n -s N -x -a '(__okuru_notify)' -d 'DSN notification'
    complete -c $c $n -s R -x -a 'full hdrs' -d 'What a bounce returns (DSN)'
    complete -c $c $n -s V -x -d 'DSN envelope identifier'
    complete -c $c $n -s B -x -a '7BIT 8BITMIME' -d 'Body type'
    complete -c $c $n -s C -l config -r -F -d 'Configuration file'
    complete -c $c $n -s a -l account -x -a '(__okuru_accounts)' -d 'Use this account'
    complete -c $c $n -s v -l verbose -d 'Show the SMTP dialogue (twice: more detail)'
    complete -c $c $n -s X -r -F -d 'Append the log to a file'
    complete -c $c $n -l pretend -d 'Show account, relay, envelope and headers; send nothing'
    complete -c $c $n -l serverinfo -d 'Show what the server offers (TLS, certificate, extensions)'
    complete -c $c $n -l check -d 'Check the configuration and each account up to AUTH'
    complete -c $c $n -l test-message -x -d 'Send a short test message to an address'
    complete -c $c $n -l list-accounts -d 'Print the account names of the configuration'
    complete -c $c $n -l host -x -a '(__fish_print_hostnames)' \
        -d 'Server for --serverinfo or --check'
    complete -c $c $n -l port -x -d 'Port for --host' \
        -a '587\t"submission (STARTTLS)" 465\t"submissions (implicit TLS)" 25\tsmtp'
    complete -c $c $n -l tls -x -d 'TLS mode for --host' \
        -a 'starttls\t"STARTTLS after the greeting (port 587)"
            implicit\t"TLS from the first byte (port 465)" none\t"No TLS"'
    complete -c $c $n -o bm -d 'Read a message and send it (default)'
    complete -c $c $n -o bp -d 'There is no queue: say so'
    complete -c $c $n -o bi -d 'Nothing to rebuild: aliases are in the configuration'
    complete -c $c $n -s I -d 'Nothing to rebuild: aliases are in the configuration'
    complete -c $c $n -o bs -d 'No SMTP server mode'
    complete -c $c $n -o bd -d 'No daemon mode'
    complete -c $c $n -s q -d 'There is no queue to run'
    complete -c $c $n -l resend-failed -d 'Retry the messages saved after failed submissions'
    complete -c $c $n -l version -d 'Print the version'
    complete -c $c $n -l help -d 'Print a summary of the options'
end
