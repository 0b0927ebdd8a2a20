# fish completion for okuru(8).
# Account names for -a/--account come from the configuration okuru would use:
# -C/--config on the command line, $OKURU_CONFIG, the per-user file, /etc/okuru.toml.

# The configuration file the command line being completed would use.
function __okuru_config_file
    set -l tokens (commandline -opc)
    set -l cfg
    set -l i 2
    while test $i -le (count $tokens)
        switch $tokens[$i]
            case --
                break
            case -C --config
                set i (math $i + 1)
                test $i -le (count $tokens); and set cfg $tokens[$i]
            case '--config=*'
                set cfg (string replace -- '--config=' '' $tokens[$i])
            case '-C?*'
                set cfg (string sub -s 3 -- $tokens[$i])
        end
        set i (math $i + 1)
    end
    test -z "$cfg"; and set cfg $OKURU_CONFIG
    if test -z "$cfg"
        set -l base $XDG_CONFIG_HOME
        test -z "$base"; and set base $HOME/.config
        set cfg $base/okuru/config.toml
        test -e $cfg; or set cfg /etc/okuru.toml
    end
    string replace -r -- '^~/' "$HOME/" $cfg
end

# Account names: the [accounts.NAME] tables of that file.
function __okuru_accounts
    set -l cfg (__okuru_config_file)
    test -r "$cfg"; or return
    sed -nE "s/^[[:space:]]*\[[[:space:]]*accounts[[:space:]]*\.[[:space:]]*(\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+))[[:space:]]*[].].*/\2\3\4/p" -- $cfg 2>/dev/null | sort -u
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

set -l cmds okuru sendmail
for c in $cmds
    complete -c $c -s t -d 'Also take recipients from To/Cc/Bcc headers'
    complete -c $c -s i -d 'A line with a single dot does not end the message'
    complete -c $c -o oi -d 'A line with a single dot does not end the message'
    complete -c $c -s f -x -d 'Envelope sender'
    complete -c $c -s r -x -d 'Envelope sender'
    complete -c $c -s F -x -d 'Full name for a generated From: header'
    complete -c $c -s N -x -a '(__okuru_notify)' -d 'DSN notification'
    complete -c $c -s R -x -a 'full hdrs' -d 'What a bounce returns (DSN)'
    complete -c $c -s V -x -d 'DSN envelope identifier'
    complete -c $c -s B -x -a '7BIT 8BITMIME' -d 'Body type'
    complete -c $c -s C -l config -r -F -d 'Configuration file'
    complete -c $c -s a -l account -x -a '(__okuru_accounts)' -d 'Use this account'
    complete -c $c -s v -l verbose -d 'Show the SMTP dialogue (twice: more detail)'
    complete -c $c -s X -r -F -d 'Append the log to a file'
    complete -c $c -l pretend -d 'Show account, relay, envelope and headers; send nothing'
    complete -c $c -o bm -d 'Read a message and send it (default)'
    complete -c $c -o bp -d 'There is no queue: say so'
    complete -c $c -o bi -d 'Nothing to rebuild: aliases are in the configuration'
    complete -c $c -s I -d 'Nothing to rebuild: aliases are in the configuration'
    complete -c $c -o bs -d 'No SMTP server mode'
    complete -c $c -o bd -d 'No daemon mode'
    complete -c $c -s q -d 'There is no queue to run'
    complete -c $c -l resend-failed -d 'Retry the messages saved after failed submissions'
    complete -c $c -l version -d 'Print the version'
    complete -c $c -l help -d 'Print a summary of the options'
end
