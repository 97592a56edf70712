# bash completion for mp-image-tool-esp32, esptool and espemu (one program,
# three names).  The options and commands are read from the program's own
# --help, once per shell, so the completion knows what the installed
# version knows and cannot drift from it.

# The words of `$1 [args...] --help` that look like options, and for
# esptool its commands (the indented first word of the command lines), in
# both spellings (v5 write-flash, v4 write_flash).
_mpi_help_words()
{
    local help
    help=$("$@" --help 2>/dev/null) || return
    grep -oE -- '(^|[ ,(|])--?[A-Za-z0-9][A-Za-z0-9_-]*' <<<"$help" | grep -oE -- '--?[A-Za-z0-9_-]+'
    if [[ ${1##*/} == esptool* ]]; then
        sed -n '/^Commands/,/^$/s/^  \([a-z0-9_-][a-z0-9_-]*\) .*/\1/p' <<<"$help" |
            sed 'p; s/-/_/g'
    fi
}

_mpi_complete()
{
    local cur prev cmd=$1 key
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    key=_mpi_words_${cmd//[^A-Za-z0-9]/_}
    if [[ -z ${!key-} ]]; then
        printf -v "$key" '%s ' $(_mpi_help_words "$cmd" | sort -u)
    fi
    case $prev in
        -p|--port|--flash)
            # serial ports, and what the user typed for socket:// etc.
            COMPREPLY=($(compgen -W "$(ls /dev/ttyUSB* /dev/ttyACM* 2>/dev/null)" -- "$cur"))
            return ;;
        -c|--chip)
            COMPREPLY=($(compgen -W "auto esp32 esp32s2 esp32s3 esp32c2 esp32c3 esp32c5 esp32c6 esp32c61 esp32h2 esp32p4 esp8266" -- "$cur"))
            return ;;
        --table)
            COMPREPLY=($(compgen -W "ota default original" -- "$cur"))
            return ;;
        --fs)
            COMPREPLY=($(compgen -W "ls get put cat mkdir rm rename mkfs df grow info fsck" -- "$cur"))
            return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "${!key}" -- "$cur"))
    elif [[ ${cmd##*/} == esptool* ]]; then
        # a command, or a file after one
        COMPREPLY=($(compgen -W "$(tr ' ' '\n' <<<"${!key}" | grep -v '^-')" -- "$cur")
                   $(compgen -f -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
    return 0   # (compgen fails when nothing matches; that is no error)
}

complete -o filenames -F _mpi_complete mp-image-tool-esp32 esptool espemu
