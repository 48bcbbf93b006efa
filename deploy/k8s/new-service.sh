#!/bin/sh
# Create deploy/k8s/services/<name>/ from the order service's folder.
#
#   deploy/k8s/new-service.sh newsletter
#
# The result differs from services/order only in the name: nameSuffix, component
# label, image store-backend/<name>-service, binary <name>-service and Secret
# store-<name>-db (the order service's own extras, the addresses of the services
# it calls and its cart-recovery settings, are left out). Add it to the overlays and to helm/store/values.yaml
# afterwards.
set -eu

usage() { echo "usage: $0 <service name, e.g. newsletter>" >&2; exit 2; }
[ $# -eq 1 ] || usage
name=$1
case $name in
  ''|*[!a-z0-9]*) echo "service name must be lower-case letters and digits" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
src=$here/services/order
dst=$here/services/$name
[ ! -e "$dst" ] || { echo "$dst already exists" >&2; exit 1; }

mkdir -p "$dst"
sed "s/\border\b/$name/g" "$src/kustomization.yaml" > "$dst/kustomization.yaml"
# The patch without what only the order service has: the comment beyond its
# first line and every server variable after DATABASE_URL (the addresses of
# the services it calls, its cart-recovery settings).
sed "s/\border\b/$name/g" "$src/deployment-patch.yaml" | awk '
  NR > 1 && /^#/ { next }
  { print }
  /key: DATABASE_URL$/ && ++seen == 2 { exit }' > "$dst/deployment-patch.yaml"

cat <<MSG
Created $dst. Next:
  - add ../../services/$name to the resources of each overlay (overlays/*/kustomization.yaml)
    and its Secret store-$name-db (key DATABASE_URL) to the overlay's secret source;
  - add services.$name to helm/store/values.yaml;
  - check: kubectl kustomize $here/overlays/dev && ctest -R '^ops\.'
MSG
