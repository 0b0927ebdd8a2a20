"""okuru-import: turn an msmtp, ssmtp or Postfix (relayhost) configuration
into an okuru configuration file (TOML, see okuru.toml(5)).

Every setting of the source is either converted or reported on standard
error, with the file and line it came from, and repeated as a comment in the
output: nothing is dropped silently. Passwords are never shown in messages.

Standard library only. Modules, from the bottom up:
  validate     checks that mirror okuru's own, so okuru accepts what is written
  model        the file being built (accounts, top-level keys, aliases, routes)
               and its warnings; Failure and the exit statuses
  keys         the keys written, in the order they are written
  toml_writer  the model as TOML text
  inputs       reading source files, small helpers shared by the readers
  msmtprc + msmtp (+ msmtp_sender), ssmtp, postfix_tables + postfix
               one reader per source format
  cli          the command line

Installed as one command: meson zips this package into a single executable
file (see contrib/import/meson.build); contrib/import/okuru-import runs it
from the source tree."""
