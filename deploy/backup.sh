#!/usr/bin/env bash
# Back up what a newsroom cannot recreate: the database, uploaded media and the
# last signed static export. Secrets (SECRET_KEY, the mirror signing key) are
# NOT included: keep them offline, separately (docs/deploy.md, "Backups").
#
#   BACKUP_DIR=/srv/samizdat-backups DATABASE_URL=postgres://… MEDIA_ROOT=… deploy/backup.sh
#
# Writes BACKUP_DIR/<UTC timestamp>/{db.dump,media.tar.gz,export.tar.gz,SHA256SUMS}
# and keeps the newest BACKUP_KEEP (default 14) backups.
set -euo pipefail
umask 077

: "${DATABASE_URL:?DATABASE_URL must be set (postgres://…)}"
: "${BACKUP_DIR:?BACKUP_DIR must be set}"
VAR_DIR="${SAMIZDAT_VAR_DIR:-$(cd "$(dirname "$0")/.." && pwd)/var}"
MEDIA_ROOT="${MEDIA_ROOT:-$VAR_DIR/media}"
EXPORT_DIR="${SAMIZDAT_EXPORT_DIR:-$VAR_DIR/export}"
KEEP="${BACKUP_KEEP:-14}"
case "$DATABASE_URL" in postgres://*|postgresql://*) ;; *)
  echo "backup.sh: DATABASE_URL is not PostgreSQL; back up the SQLite file instead" >&2; exit 2;;
esac

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target="$BACKUP_DIR/$stamp"
partial="$BACKUP_DIR/.partial-$stamp"
mkdir -p "$partial"
trap 'rm -rf "$partial"' EXIT

pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$partial/db.dump"
if [ -d "$MEDIA_ROOT" ]; then
  tar -czf "$partial/media.tar.gz" -C "$MEDIA_ROOT" .
fi
if [ -d "$EXPORT_DIR" ]; then
  tar -czf "$partial/export.tar.gz" -C "$EXPORT_DIR" .
fi
(cd "$partial" && sha256sum -- * > SHA256SUMS)
mv "$partial" "$target"
trap - EXIT

# Keep the newest $KEEP backups.
ls -1d "$BACKUP_DIR"/2*Z 2>/dev/null | sort -r | tail -n +"$((KEEP + 1))" | xargs -r rm -rf
echo "$target"
