#!/bin/sh
# Remove Untether from this Mac: report what is there, stop the daemon, delete its files and forget the
# package receipt.
#
#   sudo "/Library/Application Support/Untether/uninstall.sh" [--keep-logs] [--dry-run]
#
# As a Jamf Pro policy script, Jamf's own $1-$3 (mount point, computer name, user) are ignored; put
# --keep-logs or --dry-run in parameter 4 or 5. The report goes to stdout, which Jamf keeps in the policy log.
# Removing "/Library/Application Support/Untether" also removes the agent's journal and account snapshots:
# an account converted by Untether can no longer be restored by `untether restore` afterwards.
#
# UNTETHER_SYSTEM_ROOT is for tests only (a simulated Mac); unset on a real Mac.
set -u
PATH=/bin:/usr/bin:/sbin:/usr/sbin
export PATH

LABEL="io.untether.agent"
PKG_ID="io.untether.agent"
ROOT="${UNTETHER_SYSTEM_ROOT:-}"
LAUNCHCTL="${ROOT}/bin/launchctl"
PKGUTIL="${ROOT}/usr/sbin/pkgutil"

KEEP_LOGS=0
DRY_RUN=0
for arg in "$@"; do
	case "$arg" in
		--keep-logs) KEEP_LOGS=1 ;;
		--dry-run) DRY_RUN=1 ;;
		--help | -h)
			sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
			exit 0
			;;
		--*)
			echo "untether uninstall: unknown option ${arg} (known: --keep-logs, --dry-run)" >&2
			exit 2
			;;
		*) ;; # Jamf's positional parameters, or an empty parameter
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "untether uninstall: must run as root (sudo)" >&2
	exit 5
fi

# Every top-level path the package or the agent creates (scripts/pkg/layout.ts UNINSTALL_PATHS).
PATHS="/Library/LaunchDaemons/io.untether.agent.plist
/Library/Application Support/Untether
/private/etc/newsyslog.d/io.untether.agent.conf"
if [ "$KEEP_LOGS" -eq 0 ]; then
	PATHS="${PATHS}
/Library/Logs/Untether"
fi

echo "Untether uninstall report, $(date -u +%Y-%m-%dT%H:%M:%SZ)$([ "$DRY_RUN" -eq 1 ] && echo ' (dry run: nothing is changed)')"
if job=$("$LAUNCHCTL" print "system/${LABEL}" 2>/dev/null); then
	pid=$(echo "$job" | sed -n 's/^[[:space:]]*pid = \([0-9][0-9]*\)$/\1/p' | head -n 1)
	echo "daemon:  ${LABEL} is loaded${pid:+ (pid ${pid})}: will be stopped"
else
	echo "daemon:  ${LABEL} is not loaded"
fi
echo "$PATHS" | while IFS= read -r macPath; do
	if [ -e "${ROOT}${macPath}" ] || [ -L "${ROOT}${macPath}" ]; then
		echo "remove:  ${macPath}"
	else
		echo "absent:  ${macPath}"
	fi
done
[ "$KEEP_LOGS" -eq 1 ] && echo "keep:    /Library/Logs/Untether (--keep-logs)"
echo "receipt: ${PKG_ID}: will be forgotten"

if [ "$DRY_RUN" -eq 1 ]; then
	exit 0
fi

failed=0
output=$("$LAUNCHCTL" bootout "system/${LABEL}" 2>&1)
status=$?
case "$status" in
	0) echo "stopped: ${LABEL}" ;;
	3 | 113) ;;
	*)
		echo "untether uninstall: bootout answered ${status}: ${output}" >&2
		failed=1
		;;
esac

# A here-document, not a pipe: the loop must run in this shell so a failure reaches $failed.
while IFS= read -r macPath; do
	if [ -e "${ROOT}${macPath}" ] || [ -L "${ROOT}${macPath}" ]; then
		if rm -rf "${ROOT}${macPath}"; then
			echo "removed: ${macPath}"
		else
			echo "untether uninstall: could not remove ${macPath}" >&2
			failed=1
		fi
	fi
done <<PATHS_END
${PATHS}
PATHS_END

output=$("$PKGUTIL" --forget "$PKG_ID" 2>&1)
status=$?
if [ "$status" -eq 0 ]; then
	echo "forgot:  receipt ${PKG_ID}"
elif echo "$output" | grep -q "No receipt"; then
	echo "receipt: ${PKG_ID} was not recorded"
else
	echo "untether uninstall: pkgutil --forget answered ${status}: ${output}" >&2
	failed=1
fi

if [ "$failed" -ne 0 ]; then
	echo "untether uninstall: finished with errors (see above)" >&2
	exit 1
fi
echo "Untether is removed."
exit 0
