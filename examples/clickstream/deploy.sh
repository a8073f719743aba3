#!/bin/sh
# deploy.sh: deploys the clickstream application (app.sql) to a worker.
#
# Run it as often as you like: the statements are idempotent, so a second
# run with the same settings changes nothing, and a run after editing a
# stateless query in app.sql replaces that query in place.
#
# usage: deploy.sh [URL] [-D NAME=VALUE]...
#   URL   the worker (default $SLUICE_SERVER, else http://127.0.0.1:8088)
#   -D    override a setting: clicks_topic (default clicks), window_seconds
#         (default 60)
# $SLUICE names the sluice binary (default: sluice on the PATH);
# $SLUICE_SERVER_AUTH (USER:PASSWORD) is used for a worker with basic auth.
set -u
here=$(cd "$(dirname "$0")" && pwd)
url=${SLUICE_SERVER:-http://127.0.0.1:8088}
case "${1:-}" in http://*|https://*) url=$1; shift ;; esac
SLUICE=${SLUICE:-sluice}

# The defaults come first: a -D given to this script comes later and wins.
exec "$SLUICE" --server "$url" \
    -D clicks_topic=clicks \
    -D window_seconds=60 \
    "$@" \
    -f "$here/app.sql"
