#!/bin/sh
# make run: serves the bundled examples/ on 127.0.0.1:8080 and prints the
# receiver URL and a ready-to-paste curl command that sends a signed push.
set -eu
cd "$(dirname "$0")/.."
# The tests run this script with their own build and state file.
bin=${KW_BIN:-./kargo-webhooks}
state=${KW_STATE:-kargo-webhooks.db}
port=${PORT:-8080}
base=${EXTERNAL_WEBHOOK_SERVER_BASE_URL:-http://127.0.0.1:$port}
export EXTERNAL_WEBHOOK_SERVER_BASE_URL="$base"
"$bin" check --manifests examples/manifests >/dev/null
url=$("$bin" receivers --manifests examples/manifests -o json |
	sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' | head -n 1)
secret_file=$(mktemp)
trap 'rm -f "$secret_file"' EXIT
# The example Secret's value, as Bitbucket would hold it.
sed -n 's/^ *secret: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' examples/manifests/secret.yaml | head -n 1 | tr -d '\n' > "$secret_file"
sig=$("$bin" sign --secret-file "$secret_file" examples/push.json)
cat <<MSG

Receiver URL (paste into Bitbucket's webhook form with the secret in examples/manifests/secret.yaml):
  $url

In another terminal, send a signed push:
  curl -sS -X POST '$url' -H 'Content-Type: application/json' -H 'X-Event-Key: repo:push' -H 'X-Hub-Signature: $sig' --data-binary @examples/push.json

Then see what was refreshed:
  ./kargo-webhooks get warehouses --manifests examples/manifests
  ./kargo-webhooks deliveries

MSG
rm -f "$secret_file"
exec "$bin" serve --manifests examples/manifests --listen "127.0.0.1:$port" --state "$state"
