# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for lockdepctl(1): verbs, options per verb, group ids (from the database).

__lockdepctl_groups() {
        # ids of "lockdepctl list --json": {"id":N,...} one per line; no jq needed
        lockdepctl "$@" list --json --no-pager 2>/dev/null | sed -n 's/^{"id":\([0-9]*\),.*/\1/p'
}

__lockdepctl_field() {
        # the string field $1 of "lockdepctl VERB --json" rows (hosts: "host", kernels: "kernel")
        local field=$1
        shift
        lockdepctl "$@" --json --no-pager 2>/dev/null | sed -n "s/.*\"$field\":\"\([^\"\\]*\)\".*/\1/p"
}

_lockdepctl() {
        local cur prev verb i
        local -a db=()
        COMPREPLY=()
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}

        local verbs='parse import list show reports report locks graph search export triage merge
                     suppress stats reparse hosts kernels push latent snapshot follow'
        local global='--help --version --db --no-pager'
        local output='--json --output --lines --reverse --no-legend --quiet'
        local query='--kind --status --host --kernel --lock --since --until --sort --limit --offset --all'
        local -A opts=(
                [parse]='--json --events --aliases'
                [import]='--host --boot-id --kernel --aliases'
                [list]="$output $query"
                [show]='--json --output'
                [reports]="$output --group $query"
                [report]='--json --output --parsed --as-logged'
                [locks]="$output --sort --order --limit --offset"
                [graph]='--json --group --lock'
                [search]="$output $query"
                [export]="--groups --reports --kcidb --json --group $query"
                [triage]='--json --status --note'
                [merge]='--json'
                [suppress]="$output --class --edge --expires --note --list --delete"
                [stats]='--json --output'
                [reparse]='--aliases'
                [hosts]="$output --sort --order --limit --offset"
                [kernels]="$output --vs --sort --order --limit --offset"
                [latent]="$output --kernel --all --note triage"
                [follow]='--json --output --since --interval'
                [snapshot]='--input --output --state --boot-id --kernel --host --journal --journal-export'
                [push]='--url --host --boot-id --kernel --run --token-file --json'
        )

        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                --db)
                        db=(--db "${COMP_WORDS[i+1]}")
                        ((i++))
                        ;;
                -*) ;;
                *)
                        [[ -z $verb && " ${verbs//$'\n'/ } " == *" ${COMP_WORDS[i]} "* ]] && verb=${COMP_WORDS[i]}
                        ;;
                esac
        done

        case $prev in
        --db|--aliases|--token-file)
                COMPREPLY=($(compgen -f -- "$cur"))
                return
                ;;
        --kind)
                COMPREPLY=($(compgen -W 'circular recursive inconsistent irq_inversion safe_unsafe
                        bad_unlock_balance bad_contention held_lock_freed held_at_exit return_to_user
                        nested_lock_not_taken invalid_wait_context suspicious_rcu non_static_key
                        chain_key_collision capacity internal' -- "$cur"))
                return
                ;;
        --status)
                COMPREPLY=($(compgen -W 'new confirmed false-positive fixed-in duplicate-of' -- "$cur"))
                return
                ;;
        -o|--output)
                COMPREPLY=($(compgen -W 'short json json-pretty' -- "$cur"))
                return
                ;;
        --sort)
                # the store's sort names of each list (store/store-lists.c; web-lists-sort checks them)
                case $verb in
                hosts) COMPREPLY=($(compgen -W 'host boots reports groups kernels lockdep_off kernel_first kernel_last first_seen last_seen journal_read last_entry' -- "$cur")) ;;
                kernels) COMPREPLY=($(compgen -W 'kernel hosts boots reports groups new lockdep_off first_seen last_seen' -- "$cur")) ;;
                locks) COMPREPLY=($(compgen -W 'groups name edges' -- "$cur")) ;;
                search) COMPREPLY=($(compgen -W 'last_seen first_seen id' -- "$cur")) ;;
                *) COMPREPLY=($(compgen -W 'last_seen first_seen reports hosts id' -- "$cur")) ;;
                esac
                return
                ;;
        --order)
                COMPREPLY=($(compgen -W 'asc desc' -- "$cur"))
                return
                ;;
        --group)
                COMPREPLY=($(compgen -W "$(__lockdepctl_groups "${db[@]}")" -- "$cur"))
                return
                ;;
        --host|--kernel|--lock|--since|--until|--limit|--offset|--vs|--boot-id|--note|--class|--edge|--expires|--delete|--url|--run)
                return
                ;;
        esac

        if [[ -z $verb ]]; then
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "$global" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
                fi
                return
        fi
        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--help --db --no-pager ${opts[$verb]}" -- "$cur"))
                return
        fi
        case $verb in
        show|triage|merge)
                COMPREPLY=($(compgen -W "$(__lockdepctl_groups "${db[@]}")" -- "$cur"))
                ;;
        parse|import|push)
                COMPREPLY=($(compgen -f -- "$cur"))
                ;;
        hosts)
                COMPREPLY=($(compgen -W "$(__lockdepctl_field host "${db[@]}" hosts)" -- "$cur"))
                ;;
        kernels)
                COMPREPLY=($(compgen -W "$(__lockdepctl_field kernel "${db[@]}" kernels)" -- "$cur"))
                ;;
        esac
}

complete -F _lockdepctl lockdepctl
