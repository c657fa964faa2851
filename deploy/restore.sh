#!/usr/bin/env bash
# Restore a backup made by backup.sh into DATABASE_URL, MEDIA_ROOT and the
# export folder. Stop the app, worker and periodic services first.
#
#   deploy/restore.sh /srv/samizdat-backups/20260101T031700Z
#
# The database is replaced (pg_restore --clean); media and export folders are
# replaced too (the old ones are kept beside them as *.before-restore).
set -euo pipefail

src="${1:?usage: restore.sh BACKUP_FOLDER}"
: "${DATABASE_URL:?DATABASE_URL must be set (postgres://…)}"
VAR_DIR="${SAMIZDAT_VAR_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var}"
MEDIA_ROOT="${MEDIA_ROOT:-$VAR_DIR/media}"
EXPORT_DIR="${SAMIZDAT_EXPORT_DIR:-$VAR_DIR/export}"

[ -f "$src/db.dump" ] || { echo "restore.sh: $src/db.dump not found" >&2; exit 2; }
(cd "$src" && sha256sum --check --quiet SHA256SUMS) || {
  echo "restore.sh: checksums do not match; refusing to restore" >&2; exit 3; }

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --dbname="$DATABASE_URL" "$src/db.dump"

replace_dir() {  # replace_dir ARCHIVE TARGET
  local archive="$1" target="$2"
  [ -f "$archive" ] || return 0
  local fresh="$target.restoring"
  rm -rf "$fresh" && mkdir -p "$fresh"
  tar -xzf "$archive" -C "$fresh"
  if [ -e "$target" ]; then
    rm -rf "$target.before-restore" && mv "$target" "$target.before-restore"
  fi
  mv "$fresh" "$target"
}
replace_dir "$src/media.tar.gz" "$MEDIA_ROOT"
replace_dir "$src/export.tar.gz" "$EXPORT_DIR"
echo "restored $src"
