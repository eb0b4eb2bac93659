#!/bin/sh
# Validates every TTL file of the built bundle (plugin, manifest, presets, UI)
# against the LV2 schemas installed by Debian's lv2-dev, with lv2_validate
# (sord_validate from the sordi package). Passes only on "Found 0 errors".
# Usage: validate_ttl.sh BUNDLE_DIR
set -u
bundle=$1
if ! command -v lv2_validate >/dev/null || ! command -v sord_validate >/dev/null; then
	echo "lv2_validate or sord_validate missing (packages lv2-dev, sordi)"
	exit 77
fi
out=$(lv2_validate "$bundle"/*.ttl 2>&1)
status=$?
echo "$out"
case "$out" in
*"Found 0 errors"*) [ "$status" = 0 ] && exit 0 ;;
esac
echo "FAIL: lv2_validate reported errors (exit $status)"
exit 1
