#!/usr/bin/env bash
# Copy the sample notebooks into a lab user's work folder (start-lab.sh does, as root): the
# user's own files, in the user's own group (install -o alone left them in group root), and
# never over a notebook the user already has there.
#
#   scripts/copy-notebooks.sh USER WORK_DIR
set -euo pipefail
USER_NAME=$1
WORK=$2
REPO=$(cd "$(dirname "$0")/.." && pwd)
GROUP=$(id -gn "$USER_NAME")
for nb in "$REPO"/notebooks/*.ipynb; do
    [ -e "$WORK/$(basename "$nb")" ] || install -o "$USER_NAME" -g "$GROUP" -m 644 "$nb" "$WORK/"
done
