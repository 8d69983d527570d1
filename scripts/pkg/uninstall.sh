#!/bin/sh
# Remove Untether from this Mac: report what is there, wait for a running Untether action, stop the daemon,
# delete the package's files and forget its receipts, keeping the data a rollback needs.
#
#   sudo "/Library/Application Support/Untether/uninstall.sh" [--keep-logs] [--remove-snapshots] [--wait=SECONDS] [--dry-run]
#
# Account snapshots stay in /Library/Application Support/Untether/snapshots unless --remove-snapshots is given.
# While an account is mid-change (an open journal entry), the journal and the snapshots always stay: reinstall
# Untether and it finishes or rolls back that change. If the daemon cannot be stopped, nothing is removed.
# As a Jamf Pro policy script, Jamf's own $1-$3 are ignored; put the options in parameters 4 and later.
#
# UNTETHER_SYSTEM_ROOT is for tests only (a simulated Mac); unset on a real Mac.
set -u
PATH=/bin:/usr/bin:/sbin:/usr/sbin
export PATH

LABEL="io.untether.agent"
# Receipts: one per architecture's component (scripts/pkg/layout.ts componentIdentifier).
RECEIPTS="io.untether.agent.arm64 io.untether.agent.x86_64"
ROOT="${UNTETHER_SYSTEM_ROOT:-}"
LAUNCHCTL="${ROOT}/bin/launchctl"
PKGUTIL="${ROOT}/usr/sbin/pkgutil"
SUPPORT="/Library/Application Support/Untether"
LOCK="${ROOT}${SUPPORT}/action.lock"
# Exit codes shared with the agent (agent/src/cli/exit-codes.ts).
EXIT_FAILED=1
EXIT_USAGE=2
EXIT_NOT_ROOT=5
EXIT_BUSY=7

KEEP_LOGS=0
REMOVE_SNAPSHOTS=0
DRY_RUN=0
WAIT_SECONDS=120
for arg in "$@"; do
	case "$arg" in
		--keep-logs) KEEP_LOGS=1 ;;
		--remove-snapshots) REMOVE_SNAPSHOTS=1 ;;
		--dry-run) DRY_RUN=1 ;;
		--wait=*)
			WAIT_SECONDS="${arg#--wait=}"
			case "$WAIT_SECONDS" in
				'' | *[!0-9]*)
					echo "untether uninstall: --wait needs a number of seconds, not '${WAIT_SECONDS}'" >&2
					exit "$EXIT_USAGE"
					;;
			esac
			;;
		--help | -h)
			sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
			exit 0
			;;
		--*)
			echo "untether uninstall: unknown option ${arg} (known: --keep-logs, --remove-snapshots, --wait=SECONDS, --dry-run)" >&2
			exit "$EXIT_USAGE"
			;;
		*) ;; # Jamf's positional parameters, or an empty parameter
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "untether uninstall: must run as root (sudo)" >&2
	exit "$EXIT_NOT_ROOT"
fi

# Top-level paths the package installs, besides the support directory (scripts/pkg/layout.ts UNINSTALL_PATHS).
PATHS="/Library/LaunchDaemons/io.untether.agent.plist
/private/etc/paths.d/io.untether.agent
/private/etc/newsyslog.d/io.untether.agent.conf"
if [ "$KEEP_LOGS" -eq 0 ]; then
	PATHS="${PATHS}
/Library/Logs/Untether"
fi

# Accounts mid-change: the open journal entries' users (the agent writes one JSON file per entry).
open_entries() {
	for entry in "${ROOT}${SUPPORT}/journal"/*; do
		[ -f "$entry" ] || continue
		case "${entry##*/}" in .*) continue ;; esac
		user=$(sed -n 's/^ *"user": *"\([^"]*\)".*/\1/p' "$entry" | head -n 1)
		echo "${user:-?}"
	done
}
mid_change=$(open_entries | tr '\n' ' ' | sed 's/ *$//')

# What stays in the support directory: the journal while an account is mid-change, the snapshots unless asked.
KEEP=""
if [ -n "$mid_change" ]; then
	KEEP="journal journal-history snapshots"
elif [ "$REMOVE_SNAPSHOTS" -eq 0 ]; then
	KEEP="snapshots"
fi

echo "Untether uninstall report, $(date -u +%Y-%m-%dT%H:%M:%SZ)$([ "$DRY_RUN" -eq 1 ] && echo ' (dry run: nothing is changed)')"
if job=$("$LAUNCHCTL" print "system/${LABEL}" 2>/dev/null); then
	pid=$(echo "$job" | sed -n 's/^[[:space:]]*pid = \([0-9][0-9]*\)$/\1/p' | head -n 1)
	echo "daemon:  ${LABEL} is loaded${pid:+ (pid ${pid})}: will be stopped"
else
	echo "daemon:  ${LABEL} is not loaded"
fi
if [ -n "$mid_change" ]; then
	echo "journal: accounts mid-change: ${mid_change}: the journal and snapshots stay in ${SUPPORT}; reinstall Untether to finish or roll back"
fi
for kept in $KEEP; do
	[ -e "${ROOT}${SUPPORT}/${kept}" ] && echo "keep:    ${SUPPORT}/${kept}"
done
if [ -e "${ROOT}${SUPPORT}" ]; then
	echo "remove:  ${SUPPORT}$([ -n "$KEEP" ] && echo " (except the kept data above)")"
else
	echo "absent:  ${SUPPORT}"
fi
echo "$PATHS" | while IFS= read -r macPath; do
	if [ -e "${ROOT}${macPath}" ] || [ -L "${ROOT}${macPath}" ]; then
		echo "remove:  ${macPath}"
	else
		echo "absent:  ${macPath}"
	fi
done
[ "$KEEP_LOGS" -eq 1 ] && echo "keep:    /Library/Logs/Untether (--keep-logs)"
echo "receipt: ${RECEIPTS}: will be forgotten"

if [ "$DRY_RUN" -eq 1 ]; then
	exit 0
fi

# 1. Take the action lock the agent's CLI and daemon share (agent/src/system/datastore.ts): an exclusive create
#    (noclobber) of a file naming this shell's pid. A lock whose owner no longer runs is stale and taken over.
#    A running action (a demobilization, a restore) is waited for, for at most WAIT_SECONDS.
HAVE_LOCK=0
release_lock() {
	[ "$HAVE_LOCK" -eq 1 ] && rm -f "$LOCK"
	HAVE_LOCK=0
}
if [ -d "${ROOT}${SUPPORT}" ]; then
	waited=0
	while :; do
		if (set -C; umask 077; echo "{\"pid\":$$,\"command\":\"uninstall\",\"since\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}" >"$LOCK") 2>/dev/null; then
			HAVE_LOCK=1
			break
		fi
		holder=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$LOCK" 2>/dev/null | head -n 1)
		if [ -z "$holder" ] || ! kill -0 "$holder" 2>/dev/null; then
			# Its owner died without releasing it (or died mid-write): the journal recovers its work.
			echo "lock:    taking over a stale action lock${holder:+ (pid ${holder} is gone)}"
			rm -f "$LOCK"
			continue
		fi
		if [ "$waited" -ge "$WAIT_SECONDS" ]; then
			what=$(sed -n 's/.*"command": *"\([^"]*\)".*/\1/p' "$LOCK" 2>/dev/null | head -n 1)
			echo "untether uninstall: an Untether action is running (${what:-unknown}, pid ${holder}) after waiting ${waited} s; nothing was removed. Run the uninstall again when it finishes." >&2
			exit "$EXIT_BUSY"
		fi
		[ "$waited" -eq 0 ] && echo "lock:    waiting up to ${WAIT_SECONDS} s for the running Untether action (pid ${holder})"
		sleep 1
		waited=$((waited + 1))
	done
fi
trap release_lock EXIT

# 2. Stop the daemon. If launchd could not stop it, it may still be running or about to touch an account: remove
#    nothing (its journal and snapshots are the only way back), and say how to retry.
output=$("$LAUNCHCTL" bootout "system/${LABEL}" 2>&1)
status=$?
case "$status" in
	0) echo "stopped: ${LABEL}" ;;
	3 | 113) ;;
	*)
		echo "untether uninstall: bootout answered ${status}: ${output}; the daemon may still be running, so nothing was removed. Retry, or restart the Mac and retry." >&2
		exit "$EXIT_FAILED"
		;;
esac

failed=0
remove() {
	if rm -rf "${ROOT}$1"; then
		echo "removed: $1"
	else
		echo "untether uninstall: could not remove $1" >&2
		failed=1
	fi
}

# 3. The support directory: everything but the kept data (the lock goes last, with the trap).
if [ -d "${ROOT}${SUPPORT}" ]; then
	if [ -z "$KEEP" ]; then
		HAVE_LOCK=0
		remove "$SUPPORT"
	else
		for entry in "${ROOT}${SUPPORT}"/* "${ROOT}${SUPPORT}"/.[!.]*; do
			[ -e "$entry" ] || [ -L "$entry" ] || continue
			name="${entry##*/}"
			case " $KEEP action.lock " in *" $name "*) continue ;; esac
			remove "${SUPPORT}/${name}"
		done
	fi
fi

# A here-document, not a pipe: the loop must run in this shell so a failure reaches $failed.
while IFS= read -r macPath; do
	if [ -e "${ROOT}${macPath}" ] || [ -L "${ROOT}${macPath}" ]; then
		remove "$macPath"
	fi
done <<PATHS_END
${PATHS}
PATHS_END

# 4. The receipts (whichever architecture's component is installed).
forgot=0
for receipt in $RECEIPTS; do
	output=$("$PKGUTIL" --forget "$receipt" 2>&1)
	status=$?
	if [ "$status" -eq 0 ]; then
		echo "forgot:  receipt ${receipt}"
		forgot=1
	elif ! echo "$output" | grep -q "No receipt"; then
		echo "untether uninstall: pkgutil --forget ${receipt} answered ${status}: ${output}" >&2
		failed=1
	fi
done
[ "$forgot" -eq 0 ] && echo "receipt: none was recorded"

if [ "$failed" -ne 0 ]; then
	echo "untether uninstall: finished with errors (see above)" >&2
	exit "$EXIT_FAILED"
fi
if [ -n "$KEEP" ]; then
	echo "Untether is removed; kept in ${SUPPORT}: $(for kept in $KEEP; do [ -e "${ROOT}${SUPPORT}/${kept}" ] && printf '%s ' "$kept"; done)"
else
	echo "Untether is removed."
fi
exit 0
