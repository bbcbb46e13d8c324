#!/usr/bin/env bash
# End-to-end test of the local stack on a kind cluster: deploys it with `pulumi up`, checks the
# gateway from outside with curl, and destroys it again.
#
# Needs Docker (running), kind, the Pulumi CLI, kubectl, curl, jq, openssl and Node.js. Uses a
# local Pulumi backend (`pulumi login --local`) and PULUMI_CONFIG_PASSPHRASE (empty by default,
# which is fine for a throwaway stack).
#
# Environment:
#   E2E_STACK        stack to deploy (default: local)
#   E2E_KEEP_STACK   set to 1 to skip `pulumi destroy` at the end, for debugging
#   E2E_READY_SECONDS  seconds to wait for the gateway to respond after `pulumi up` (default: 180)
#
# NOTE: this script has not been run on the development machines, which have no Docker. The
# nightly workflow .github/workflows/e2e-kind.yml runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

STACK="${E2E_STACK:-local}"
KEEP_STACK="${E2E_KEEP_STACK:-0}"
READY_SECONDS="${E2E_READY_SECONDS:-180}"
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"

WORK_DIR="$(mktemp -d)"
PORT_FORWARD_PID=""
DEPLOYED=0

step() { printf '\n==> %s\n' "$*"; }
pass() { printf 'PASS: %s\n' "$*"; }
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local status=$?
  if [[ -n "$PORT_FORWARD_PID" ]]; then
    kill "$PORT_FORWARD_PID" 2>/dev/null || true
  fi
  if [[ "$DEPLOYED" == 1 && "$KEEP_STACK" != 1 ]]; then
    step "pulumi destroy"
    pulumi destroy --yes --stack "$STACK" || status=1
  fi
  rm -rf "$WORK_DIR"
  exit "$status"
}
trap cleanup EXIT

for tool in docker kind pulumi kubectl curl jq openssl node npm; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool was not found on PATH. Install it and run this script again."
done
docker info >/dev/null 2>&1 || fail "The Docker daemon is not reachable (docker info failed). Start Docker and run this script again."

step "npm ci"
npm ci --no-audit --no-fund

step "pulumi stack $STACK on the local backend"
pulumi login --local
pulumi stack select "$STACK" 2>/dev/null || pulumi stack init "$STACK"

APP_HOST="$(pulumi config get appHost --stack "$STACK")"
ADMIN_HOST="$(pulumi config get adminHost --stack "$STACK")"
CLUSTER_NAME="$(pulumi config get kindClusterName --stack "$STACK" 2>/dev/null || echo apigw)"

step "pulumi up"
# Set before `up`, so a failed deployment is destroyed too.
DEPLOYED=1
pulumi up --yes --stack "$STACK"

step "read stack outputs"
pulumi stack output --stack "$STACK" localCaCertificatePem >"$WORK_DIR/local-ca.pem"
pulumi stack output --stack "$STACK" --json idToken >"$WORK_DIR/id-token.json"
JWKS_URL="$(pulumi stack output --stack "$STACK" jwksUrl)"
# The staff certificates are secret outputs, so they are written only into the temporary folder.
pulumi stack output --stack "$STACK" --show-secrets --json staffCertificates >"$WORK_DIR/staff.json"
jq -r 'to_entries[0].value.certificatePem' "$WORK_DIR/staff.json" >"$WORK_DIR/staff.crt"
jq -r 'to_entries[0].value.privateKeyPem' "$WORK_DIR/staff.json" >"$WORK_DIR/staff.key"
chmod 600 "$WORK_DIR/staff.key" "$WORK_DIR/staff.json"
STAFF_ID="$(jq -r 'keys[0]' "$WORK_DIR/staff.json")"
[[ -s "$WORK_DIR/local-ca.pem" ]] || fail "stack output localCaCertificatePem is empty."
[[ "$STAFF_ID" != "null" ]] || fail "stack output staffCertificates is empty. Add a person to apigw:staff in Pulumi.$STACK.yaml."

# kind maps ports 80 and 443 of 127.0.0.1 to Traefik, and --resolve sends every request there
# without a DNS lookup.
CURL=(curl --silent --show-error --max-time 20
  --resolve "$APP_HOST:80:127.0.0.1" --resolve "$APP_HOST:443:127.0.0.1"
  --resolve "$ADMIN_HOST:443:127.0.0.1"
  --cacert "$WORK_DIR/local-ca.pem")

step "wait until the gateway serves the login UI"
deadline=$((SECONDS + READY_SECONDS))
until [[ "$("${CURL[@]}" --output /dev/null --write-out '%{http_code}' "https://$APP_HOST/login" 2>/dev/null || true)" =~ ^(200|30[0-9])$ ]]; do
  ((SECONDS < deadline)) || fail "https://$APP_HOST/login did not answer with 200 or a redirect within $READY_SECONDS s."
  sleep 5
done
pass "the login UI answers"

step "HTTP redirects to HTTPS on port 443"
read -r status location < <("${CURL[@]}" --output /dev/null --write-out '%{http_code} %{redirect_url}\n' "http://$APP_HOST/api/echo")
[[ "$status" =~ ^30[1278]$ ]] || fail "http://$APP_HOST/api/echo returned HTTP $status, expected a redirect."
[[ "$location" =~ ^https://$APP_HOST(:443)?/api/echo$ ]] || fail "http://$APP_HOST/api/echo redirects to $location, expected https://$APP_HOST/api/echo."
pass "http:// redirects to $location"

step "/api/echo without a session"
status="$("${CURL[@]}" --output "$WORK_DIR/anonymous.json" --write-out '%{http_code}' -H 'Accept: application/json' "https://$APP_HOST/api/echo")"
[[ "$status" == 401 ]] || fail "/api/echo without a session returned HTTP $status to an API client, expected 401."
jq -e '.error' "$WORK_DIR/anonymous.json" >/dev/null || fail "/api/echo without a session did not return a JSON error: $(head -c 300 "$WORK_DIR/anonymous.json")"
pass "an API client gets a JSON 401"

read -r status location < <("${CURL[@]}" --output /dev/null --write-out '%{http_code} %{redirect_url}\n' -H 'Accept: text/html' "https://$APP_HOST/api/echo")
[[ "$status" =~ ^30[12378]$ ]] || fail "/api/echo without a session returned HTTP $status to a browser, expected a redirect to the login flow."
[[ "$location" == *login* ]] || fail "/api/echo redirects a browser to $location, expected the login flow."
pass "a browser is redirected to $location"

step "register through Kratos's browser flow"
JAR="$WORK_DIR/cookies.txt"
KRATOS_PUBLIC="https://$APP_HOST/.ory/kratos/public"
"${CURL[@]}" --fail --cookie-jar "$JAR" --cookie "$JAR" -H 'Accept: application/json' \
  "$KRATOS_PUBLIC/self-service/registration/browser" >"$WORK_DIR/flow.json" ||
  fail "creating a registration flow at $KRATOS_PUBLIC/self-service/registration/browser failed."
ACTION="$(jq -r '.ui.action' "$WORK_DIR/flow.json")"
CSRF_TOKEN="$(jq -r '.ui.nodes[] | select(.attributes.name == "csrf_token") | .attributes.value' "$WORK_DIR/flow.json")"
[[ -n "$CSRF_TOKEN" ]] || fail "the registration flow has no csrf_token node."
EMAIL="e2e-$(date +%s)-$RANDOM@example.com"
PASSWORD="$(openssl rand -base64 24)"
# NOTE: Kratos defaults to two-step registration in its UI. This posts traits and password in
# one request to the password method, which is expected to work but was never run against v26.2.0.
jq -n --arg csrf "$CSRF_TOKEN" --arg email "$EMAIL" --arg password "$PASSWORD" \
  '{method: "password", csrf_token: $csrf, traits: {email: $email}, password: $password}' >"$WORK_DIR/registration.json"
status="$("${CURL[@]}" --cookie-jar "$JAR" --cookie "$JAR" --output "$WORK_DIR/registered.json" --write-out '%{http_code}' \
  -H 'Accept: application/json' -H 'Content-Type: application/json' --data @"$WORK_DIR/registration.json" "$ACTION")"
[[ "$status" == 200 ]] || fail "registration returned HTTP $status: $(jq -c '.ui.messages // .error // .' "$WORK_DIR/registered.json" 2>/dev/null | head -c 500)"
grep -q 'ory_kratos_session' "$JAR" || fail "registration succeeded but set no ory_kratos_session cookie."
pass "registered $EMAIL and received a session cookie"

step "/api/echo with the session"
status="$("${CURL[@]}" --cookie "$JAR" --output "$WORK_DIR/echo.txt" --write-out '%{http_code}' -H 'Accept: application/json' "https://$APP_HOST/api/echo")"
[[ "$status" == 200 ]] || fail "/api/echo with a session returned HTTP $status: $(head -c 300 "$WORK_DIR/echo.txt")"
# whoami prints the request it received, one header per line with CRLF endings.
TOKEN="$(tr -d '\r' <"$WORK_DIR/echo.txt" | sed -n 's/^Authorization: Bearer \(.*\)$/\1/p' | head -n 1)"
[[ -n "$TOKEN" ]] || fail "the echo API received no 'Authorization: Bearer' header."
pass "the echo API received a bearer token"

step "verify the token against Oathkeeper's JWKS"
# jwksUrl is http://<service>.<namespace>.svc.cluster.local:<port>/.well-known/jwks.json.
[[ "$JWKS_URL" =~ ^http://([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:([0-9]+)(/.*)$ ]] ||
  fail "stack output jwksUrl $JWKS_URL does not have the expected in-cluster form."
JWKS_SERVICE="${BASH_REMATCH[1]}"
JWKS_NAMESPACE="${BASH_REMATCH[2]}"
JWKS_PORT="${BASH_REMATCH[3]}"
JWKS_PATH="${BASH_REMATCH[4]}"
kind get kubeconfig --name "$CLUSTER_NAME" >"$WORK_DIR/kubeconfig"
LOCAL_PORT=18456
KUBECONFIG="$WORK_DIR/kubeconfig" kubectl port-forward --address 127.0.0.1 -n "$JWKS_NAMESPACE" \
  "service/$JWKS_SERVICE" "$LOCAL_PORT:$JWKS_PORT" >"$WORK_DIR/port-forward.log" 2>&1 &
PORT_FORWARD_PID=$!
for _ in $(seq 1 30); do
  curl --silent --fail --max-time 5 "http://127.0.0.1:$LOCAL_PORT$JWKS_PATH" >"$WORK_DIR/jwks.json" 2>/dev/null && break
  sleep 1
done
[[ -s "$WORK_DIR/jwks.json" ]] || fail "could not read the JWKS through kubectl port-forward: $(cat "$WORK_DIR/port-forward.log")"
# The program is JavaScript with its own template literals, so the shell must not expand it.
# shellcheck disable=SC2016
E2E_TOKEN="$TOKEN" E2E_JWKS_FILE="$WORK_DIR/jwks.json" E2E_ID_TOKEN_FILE="$WORK_DIR/id-token.json" \
  node --input-type=module -e '
import { readFileSync } from "node:fs";
import { createLocalJWKSet, jwtVerify } from "jose";
const keys = createLocalJWKSet(JSON.parse(readFileSync(process.env.E2E_JWKS_FILE, "utf8")));
const expected = JSON.parse(readFileSync(process.env.E2E_ID_TOKEN_FILE, "utf8"));
const { payload, protectedHeader } = await jwtVerify(process.env.E2E_TOKEN, keys, { issuer: expected.issuer, audience: expected.audience });
console.log(`alg ${protectedHeader.alg}, kid ${protectedHeader.kid}, sub ${payload.sub}, expires ${new Date(payload.exp * 1000).toISOString()}`);
' || fail "the ID token did not verify against Oathkeeper's JWKS with the expected issuer and audience."
pass "the ID token signature, issuer and audience verify"

step "mTLS on $ADMIN_HOST"
if "${CURL[@]}" --output /dev/null "https://$ADMIN_HOST/dashboard/" 2>"$WORK_DIR/no-cert.log"; then
  fail "https://$ADMIN_HOST/dashboard/ answered without a client certificate."
fi
pass "the handshake fails without a client certificate ($(head -c 200 "$WORK_DIR/no-cert.log"))"
status="$("${CURL[@]}" --cert "$WORK_DIR/staff.crt" --key "$WORK_DIR/staff.key" --output /dev/null --write-out '%{http_code}' "https://$ADMIN_HOST/dashboard/")"
[[ "$status" == 200 ]] || fail "https://$ADMIN_HOST/dashboard/ returned HTTP $status with the certificate of $STAFF_ID, expected 200."
pass "the dashboard answers with the certificate of $STAFF_ID"

step "all checks passed"
