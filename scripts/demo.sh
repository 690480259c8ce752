#!/usr/bin/env bash
#
# The Tandem demo: builds the distribution, starts a three-node cluster on loopback addresses
# (scripts/clusters/demo.spec: core1..core3 on 127.0.1.1..3) whose core nodes run the cluster's Kafka
# (embedded KRaft brokers, three voters: nothing but Tandem) and an S3 server, then runs a scenario and
# prints what happened: membership and roles seen from every node, the embedded Kafka quorum,
# centralized storage, accounts and LMTP delivery, Active Replica (initial sync to two replicas, status,
# kill -9 of the source and automatic failover losing nothing while its broker dies with it, replication
# from the new primary, the old source back as a replica with its broker, a switch back), health
# endpoints, a live role switch, a node killed with kill -9, a hung node (SIGSTOP) removed and
# rejoining, a restart.
#
#   scripts/demo.sh [--no-build] [--keep]
#
#   --no-build  use the distribution already in karaf-assembly/target
#   --keep      leave the cluster running at the end (stop it with: scripts/cluster.sh down)
#
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
BUILD=1 KEEP=0
for a in "$@"; do
  case "$a" in
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    *) echo "demo: unknown option '$a'" >&2; exit 2 ;;
  esac
done

export TANDEM_CLUSTER_DIR="$REPO/target/demo-cluster"
C="$REPO/scripts/cluster.sh"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
now_ms() { date +%s%3N; }

"$REPO/scripts/setup.sh"

if [ $BUILD = 1 ]; then
  step "Building the distribution (mvn install, tests skipped: scripts/test.sh runs them)"
  mvn -B -q install -DskipTests
fi

S3DIR="$REPO/target/demo-s3"
cleanup() {
  [ $KEEP = 1 ] && return
  "$C" clean >/dev/null 2>&1 || true
  "$REPO/scripts/infra/s3proxy.sh" stop "$S3DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$C" clean >/dev/null 2>&1 || true

step "Starting three nodes: core1 (127.0.1.1), core2 (127.0.1.2), core3 (127.0.1.3)"
t0=$(now_ms)
"$C" up scripts/clusters/demo.spec
echo "cluster formed in $(( ($(now_ms) - t0) / 1000 )) s"

for n in core1 core2 core3; do
  step "cluster:node-list on $n"
  "$C" exec $n cluster node-list
done

step "cluster:role-list on core1"
"$C" exec core1 cluster role-list
step "cluster:status on core1"
"$C" exec core1 cluster status

# kafka:status --json of a node: "state liveBrokers pid restarts", or nothing when it does not answer
kafka_state() {
  "$C" exec "$1" kafka status --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["state"], d["liveBrokers"], d["pid"], d["restarts"])' 2>/dev/null || true
}
await_brokers() { # NODE COUNT SECONDS: until NODE's broker runs and sees COUNT live brokers
  local t0 s
  t0=$(now_ms)
  until s=$(kafka_state "$1") && [ "$(echo "$s" | cut -d' ' -f1-2)" = "running $2" ]; do
    [ $(( $(now_ms) - t0 )) -lt $(( $3 * 1000 )) ] || { echo "$1's broker does not see $2 live brokers: ${s:-no answer}"; exit 1; }
    sleep 0.5
  done
}

step "Kafka run by the core nodes: three KRaft brokers (broker+controller), a quorum of three voters"
t0=$(now_ms)
for n in core1 core2 core3; do await_brokers $n 3 180; done
echo "three brokers running, each seeing the three, $(( ($(now_ms) - t0) / 1000 )) s after the cluster formed"
"$C" exec core1 kafka status
echo "the broker is a supervised child process of each node (supervisor:list on core2):"
"$C" exec core2 supervisor list | grep -e Name -e -- -e kafka

step "Centralized storage: S3Proxy on 127.0.0.1:9000, a bucket, core:testS3Connection, a centralized primary volume"
"$REPO/scripts/infra/s3proxy.sh" stop "$S3DIR" >/dev/null 2>&1 || true
"$REPO/scripts/infra/s3proxy.sh" start "$S3DIR" 9000 >/dev/null
"$REPO/scripts/infra/s3proxy.sh" bucket "$S3DIR" mail >/dev/null
eval "$("$REPO/scripts/infra/s3proxy.sh" env "$S3DIR")"
bucket=$("$C" exec core1 core doCreateBucket MinIO mail "$S3_ACCESS_KEY" "$S3_SECRET_KEY" "$S3_ENDPOINT" | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' | head -n 1)
echo "bucket $bucket registered in the directory"
"$C" exec core2 core testS3Connection "$bucket"
volume=$("$C" exec core1 core doCreateVolume s3-primary primary s3 "$bucket" mailstore --centralized | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' | head -n 1)
"$C" exec core1 core setCurrentVolume "$volume"
"$C" exec core3 core listVolumes

step "Licenses: a TEST license (issuer tandem-test) with the HA module on every node; core:getLicenseInfo"
for n in core1 core2 core3; do
  "$REPO/scripts/issue-test-license.sh" "$("$C" dir $n)/etc/tandem.license" ZxHA=1000 ha_basic=1000 --customer "Demo" >/dev/null
done
"$C" exec core2 core getLicenseInfo | grep -e ZxHA -e ha_basic -A2

step "Directory: a domain and accounts created on core1, read from core3 (one directory for every node)"
"$C" exec core1 prov createDomain example.com
"$C" exec core1 prov createAccount alice@example.com core1
"$C" exec core1 prov createAccount bob@example.com core2
"$C" exec core2 prov createAccount "carol*@example.com" core1 || echo "(refused, as it should be: no wildcards)"
"$C" exec core3 prov getAllAccounts example.com
echo "the core nodes set the global brokers to their embedded brokers (nobody had set them):"
"$C" exec core3 global get brokers
"$C" exec core1 ha test brokers "$("$C" exec core1 global get brokers | sed -n 's/^brokers *: *//p' | tr -d ' \r\n'),127.0.0.1:9"

step "LMTP delivery (Python's smtplib.LMTP): mail for alice to core1, for bob to core2 and, wrongly, to core1"
python3 - <<'PY'
import smtplib
def deliver(host, rcpt, subject):
    c = smtplib.LMTP(host, 7025)
    c.ehlo('demo.example.com')
    c.mail('newsletter@remote.example')
    code, msg = c.rcpt(rcpt)
    result = (code, msg.decode())
    if code == 250:
        result = c.data(('From: Newsletter <newsletter@remote.example>\r\nTo: %s\r\nSubject: %s\r\n\r\nHello!\r\n' % (rcpt, subject)).encode())
        result = (result[0], result[1].decode())
    c.quit()
    print('  %-18s via %-10s -> %s %s' % (rcpt, host, result[0], result[1]))
deliver('127.0.1.1', 'alice@example.com', 'Welcome Alice')
deliver('127.0.1.2', 'bob@example.com', 'Welcome Bob')
deliver('127.0.1.1', 'bob@example.com', 'Wrong Mailstore')
deliver('127.0.1.1', 'nobody@example.com', 'Unknown')
PY
"$C" exec core1 mailbox list alice@example.com
"$C" exec core1 mailbox info alice@example.com
echo "HTTP mailbox API on core1 (port 7080): alice's Inbox, then bob's (hosted on core2: 421 naming the owner)"
curl -s "http://127.0.1.1:7080/accounts/alice@example.com/folders/2/messages?limit=10"
echo
curl -s -o /dev/null -w "  bob@example.com on core1 -> HTTP %{http_code}, X-Tandem-Owner: %header{x-tandem-owner}\n" \
  "http://127.0.1.1:7080/accounts/bob@example.com/folders" 2>/dev/null \
  || curl -s -i "http://127.0.1.1:7080/accounts/bob@example.com/folders" | grep -i -E "^HTTP|owner"
echo "blobs on S3 (content-addressed, SHA-256):"
find "$S3DIR/data/mail" -type f -path '*mailstore*' | sed "s|$S3DIR/data/|  |"

step "SMTP through the MTA (core1:2525, the load balancer's port 25 in production) and reads through the Proxy (core2:8080)"
python3 - <<'PY'
import smtplib
for rcpt, subject in (('alice@example.com', 'Via the MTA'), ('bob@example.com', 'Via the MTA too'), ('nobody@example.com', 'Unknown')):
    c = smtplib.SMTP('127.0.1.1', 2525)
    c.ehlo('demo.example.com')
    c.mail('newsletter@remote.example')
    code, msg = c.rcpt(rcpt)
    result = (code, msg.decode())
    if code == 250:
        result = c.data(('From: newsletter@remote.example\r\nTo: %s\r\nSubject: %s\r\n\r\nHello!\r\n' % (rcpt, subject)).encode())
        result = (result[0], result[1].decode())
    c.quit()
    print('  SMTP %-18s -> %s %s' % (rcpt, result[0], result[1]))
PY
t0=$(now_ms)
until "$C" exec core1 mta queue --json | grep -q '"count" *: *0'; do
  [ $(( $(now_ms) - t0 )) -lt 60000 ] || { echo "the MTA did not deliver"; exit 1; }
  sleep 0.2
done
echo "the MTA's queue is empty $(( $(now_ms) - t0 )) ms later: each message went to its owner over LMTP (alice: core1, bob: core2)"
echo "bob's Inbox through the Proxy on core2 (it routes each account to its current owner):"
curl -s "http://127.0.1.2:8080/accounts/bob@example.com/folders/2/messages?limit=10"
echo
"$C" exec core2 proxy status

lmtp() { # lmtp HOST COUNT PREFIX: deliver COUNT messages for alice, print the last reply
python3 - "$@" <<'PY'
import smtplib, sys
host, count, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(count):
    c = smtplib.LMTP(host, 7025)
    c.ehlo('demo.example.com')
    c.mail('newsletter@remote.example')
    c.rcpt('alice@example.com')
    code, msg = c.data(('From: newsletter@remote.example\r\nTo: alice@example.com\r\nSubject: %s %d\r\n\r\nHello!\r\n' % (prefix, i + 1)).encode())
    c.quit()
    if code != 250:
        print('  delivery %d to %s refused: %s %s' % (i + 1, host, code, msg.decode())); sys.exit(1)
print('  %d messages for alice@example.com via %s: last reply %s %s' % (count, host, code, msg.decode()))
PY
}
checksums() {
  for n in "$@"; do
    printf '  %-6s %s\n' "$n" "$("$C" exec $n mailbox info --no-format alice@example.com 2>/dev/null | grep -E 'sequence|checksum' | tr -s ' ' | tr '\n' ' ')"
  done
}
await_op() { # await_op NODE OPERATION_ID: until ha:monitor says it finished
  local t0; t0=$(now_ms)
  until "$C" exec "$1" ha monitor "$2" | grep -qE 'state +: (done|failed)'; do
    [ $(( $(now_ms) - t0 )) -lt 120000 ] || { echo "operation $2 did not finish"; exit 1; }
    sleep 0.3
  done
  "$C" exec "$1" ha monitor "$2"
}

step "Active Replica: alice@example.com (on core1) replicated to core2 (priority 10) and core3 (priority 20)"
lmtp 127.0.1.1 10 "Before replication"
out=$("$C" exec core1 ha setAccountDestination core2 10 accounts alice@example.com)
echo "$out"
op=$(echo "$out" | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' | head -n 1)
op3=$("$C" exec core1 ha setAccountDestination core3 20 accounts alice@example.com | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' | head -n 1)
lmtp 127.0.1.1 5 "During the initial sync"
await_op core1 "$op"
await_op core2 "$op3"
lmtp 127.0.1.1 5 "Replicated live"
"$C" exec core3 ha getAccountStatus accounts alice@example.com
"$C" exec core2 ha getServices
echo "the three copies (mailbox:info on each node):"
checksums core1 core2 core3

step "kill -9 core1 (alice's source): automatic failover promotes alice to core2, no command typed"
"$C" kill core1
t0=$(now_ms)
until "$C" exec core2 prov getAccount --json alice@example.com 2>/dev/null | grep -q '"mailHost" *: *"core2"'; do
  [ $(( $(now_ms) - t0 )) -lt 180000 ] || { echo "alice was not promoted automatically"; exit 1; }
  sleep 0.2
done
echo "the directory names core2 as alice's owner $(( $(now_ms) - t0 )) ms after kill -9 (grace.ms 2000 + the promotion;"
echo "the shell calls that look add their own time: each bin/tandem call starts a client JVM)"
"$C" exec core2 ha getFailoverStatus
echo "core1's Kafka broker died with it (its watchdog): core2's broker sees 2 of 3 brokers, the quorum holds"
await_brokers core2 2 60
"$C" exec core2 kafka status | grep -e State -e "Live brokers" -e Detail
lmtp 127.0.1.2 3 "After the automatic promotion"
t0=$(now_ms)
until [ "$("$C" exec core2 mailbox info --json alice@example.com | grep -o '"checksum": *"[0-9a-f]*"')" = "$("$C" exec core3 mailbox info --json alice@example.com | grep -o '"checksum": *"[0-9a-f]*"')" ]; do
  [ $(( $(now_ms) - t0 )) -lt 60000 ] || { echo "core3 did not follow the new primary"; exit 1; }
  sleep 0.3
done
echo "core3 follows the new primary core2:"
checksums core2 core3
"$C" exec core3 notification list | head -n 8

step "core1 comes back: it does not take alice back, it rejoins as her replica and re-syncs"
"$C" start core1
"$C" wait core2 3 120
python3 -c "
import smtplib
c = smtplib.LMTP('127.0.1.1', 7025); c.ehlo('demo'); c.mail('x@remote.example'); print('  RCPT alice on core1 ->', *c.rcpt('alice@example.com')); c.quit()"
t0=$(now_ms)
until [ "$("$C" exec core2 mailbox info --json alice@example.com | grep -o '"checksum": *"[0-9a-f]*"')" = "$("$C" exec core1 mailbox info --json alice@example.com 2>/dev/null | grep -o '"checksum": *"[0-9a-f]*"')" ]; do
  [ $(( $(now_ms) - t0 )) -lt 120000 ] || { echo "core1 did not re-sync"; exit 1; }
  sleep 0.5
done
"$C" exec core2 ha getAccountStatus accounts alice@example.com
await_brokers core1 3 120
echo "core1's broker is back: $(kafka_state core1 | awk '{print $1 ", " $2 " live brokers, pid " $3}')"
echo "an operator switches alice back to core1 (ha:promoteAccounts ... destination core1):"
op=$("$C" exec core2 ha promoteAccounts accounts alice@example.com destination core1 | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' | head -n 1)
await_op core2 "$op"
lmtp 127.0.1.1 2 "Back on core1"
checksums core1 core2 core3

step "Health endpoints for load balancers (GET /health/<role> on port 8405)"
for n in core1 core2 core3; do
  addr=$(awk -v n=$n '$1==n {print $2}' "$TANDEM_CLUSTER_DIR/nodes")
  line="$n:"
  for role in mta proxy mailstore; do
    line="$line  /health/$role=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr:8405/health/$role")"
  done
  echo "$line"
done

step "Live role switch: core3 takes the video role (node:set-roles core,mta,proxy,video)"
"$C" exec core3 node set-roles core,mta,proxy,video
t0=$(now_ms)
until "$C" exec core1 cluster node-list --no-format | grep core3 | grep -q video; do
  [ $(( $(now_ms) - t0 )) -lt 30000 ] || { echo "core1 did not see the role change"; exit 1; }
  sleep 0.2
done
echo "core1 sees video on core3 $(( $(now_ms) - t0 )) ms after the command returned"
"$C" exec core1 cluster role-list

step "kill -9 core2"
"$C" kill core2
t0=$(now_ms)
"$C" wait core1 2 30
left=$(grep "NODE_LEFT core2" "$("$C" log core1)" | tail -n 1 | cut -c1-23 | tr ',' '.')
[ -z "$left" ] || echo "core1 dropped core2 $(( $(date -d "$left" +%s%3N) - t0 )) ms after kill -9 (from core1's log)"
"$C" exec core1 cluster node-list
"$C" exec core1 cluster status

step "SIGSTOP core3 (a hung node): removed after the failure-detection bound (5 s)"
"$C" pause core3
t0=$(now_ms)
"$C" wait core1 1 30
left=$(grep "NODE_LEFT core3" "$("$C" log core1)" | tail -n 1 | cut -c1-23 | tr ',' '.')
if [ -n "$left" ]; then
  echo "core1 removed the hung core3 $(( $(date -d "$left" +%s%3N) - t0 )) ms after SIGSTOP (from core1's log)"
fi
"$C" exec core1 cluster status

step "SIGCONT core3 and restart core2: both rejoin"
"$C" resume core3
"$C" start core2
t0=$(now_ms)
"$C" wait core1 3 120
echo "all three members again after $(( $(now_ms) - t0 )) ms"
"$C" exec core2 cluster node-list
"$C" exec core2 cluster status
echo "the Kafka quorum, lost while only core1 was left, is back with the three brokers:"
for n in core1 core2 core3; do await_brokers $n 3 180; done
for n in core1 core2 core3; do echo "  $n: $(kafka_state $n | awk '{print $1 ", " $2 " live brokers, pid " $3 ", restarts " $4}')"; done

step "Done"
if [ $KEEP = 1 ]; then
  echo "The cluster is still running: scripts/cluster.sh status | exec NODE SCOPE CMD | down (TANDEM_CLUSTER_DIR=$TANDEM_CLUSTER_DIR)"
else
  echo "Stopping the demo cluster (use --keep to leave it running)."
fi
