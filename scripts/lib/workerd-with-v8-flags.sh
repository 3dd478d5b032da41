#!/bin/sh
# The runtime command Miniflare starts (MINIFLARE_WORKERD_PATH, set by workerd-v8-flags.ts):
# puts EDGE_MTL_WORKERD_V8_FLAGS into the config Miniflare writes to stdin, then becomes
# workerd itself (exec), so Miniflare's signals and its SIGKILL on dispose reach workerd.
set -eu
cfg=$(mktemp)
# shellcheck disable=SC2086 # one word per flag
"$EDGE_MTL_NODE" "$(dirname "$0")/workerd-config-v8-flags.mjs" $EDGE_MTL_WORKERD_V8_FLAGS > "$cfg" || { rm -f "$cfg"; exit 1; }
exec 0< "$cfg"
rm -f "$cfg"
exec "$EDGE_MTL_WORKERD_BIN" "$@"
