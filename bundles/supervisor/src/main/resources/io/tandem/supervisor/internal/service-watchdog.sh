#!/bin/sh
#
# Runs one supervised service so that it never outlives the Tandem JVM that started it.
#
#   service-watchdog.sh JVM_PID GRACE_SECONDS COMMAND [ARGS...]
#
# Tandem starts it through setsid, so this shell leads a new process group; it then replaces itself
# with COMMAND (exec): the service's pid is the group id, and whatever the service forks stays in
# the group. Before that, a watcher in the same group polls the JVM once a second. When the JVM is
# gone (stopped, crashed, kill -9) it sends SIGTERM to the whole group, then SIGKILL after
# GRACE_SECONDS. The watcher ignores SIGTERM (Tandem's own stop signals the group, then SIGKILLs
# what is left) and ends by itself once the service has ended.
#
# Written by the supervisor bundle to data/tandem/service-watchdog.sh; not meant to be edited.
#
parent="$1"
grace="$2"
shift 2
svc=$$
(
    trap '' TERM
    while kill -0 "$parent" 2>/dev/null; do
        kill -0 "$svc" 2>/dev/null || exit 0
        sleep 1
    done
    kill -s TERM -- "-$svc" 2>/dev/null
    waited=0
    while [ "$waited" -lt "$grace" ] && kill -0 "$svc" 2>/dev/null; do
        sleep 1
        waited=$((waited + 1))
    done
    kill -s KILL -- "-$svc" 2>/dev/null
) </dev/null &
exec "$@"
