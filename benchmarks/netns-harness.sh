#!/usr/bin/env bash
# End-to-end benchmark in three network namespaces made here:
#   client 198.51.100.10  ->  edge 198.51.100.1 / 203.0.113.1  ->  server 203.0.113.10 (vsftpd on tmpfs)
# Modes, measured interleaved in one run (every other round in reverse order) so that drift hits all alike:
#   direct      plain routing through the edge, no helper (the physical limit of this path)
#   kernel      DNAT 198.51.100.1:21 -> server, nftables "ct helper" of type ftp (nf_conntrack_ftp;
#               nf_nat_ftp where the kernel has it: the run says whether 227 was rewritten)
#   portcullis  Portcullis in the edge namespace (198.51.100.1:2121), relaying data (splice)
#   portcullis-knat  the same with data.kernel-nat (198.51.100.1:2124): plain passive data forwarded by
#               netfilter through mappings Portcullis adds; control, policy and active mode as above
#   ftp-proxy   SuSE proxy-suite ftp-proxy in the edge namespace (198.51.100.1:2122), if installed
#   haproxy     HAProxy in TCP mode (epoll, option splice-auto) in the edge namespace, binding 198.51.100.1:2125
#               and the passive range of a third vsftpd (42000-42999) on the same ports: the recipe admins
#               use when their balancer cannot speak FTP; EPSV clients only (a 227 would name the server)
# Figures: (a) single-stream RETR and STOR, (b) parallel RETRs, (c) sessions per second
# (login + EPSV + LIST + QUIT, 8 workers) and each proxy's CPU per session, warm and, for a fresh
# Portcullis, cold (its first seconds), (d) proxy CPU seconds per GiB, (e) RSS and heap with
# idle control sessions, (f) latency added to a NOOP round trip (p50, p99), (g) explicit FTPS RETR
# (a second vsftpd that requires TLS; a second Portcullis that ends the client's TLS and opens its
# own to that vsftpd; ProFTPD + mod_proxy doing the same, where its Debian packages are unpacked
# under MODPROXY_ROOT (default /opt/portcullis-interop/root, as .ci/run does); the kernel helper
# and ftp-proxy cannot do FTPS).
# Usage: bash benchmarks/netns-harness.sh            full run (after an untimed warm-up of every mode), appends to benchmarks/RESULTS.md
#        bash benchmarks/netns-harness.sh --smoke    30-second correctness check of every mode (CI)
#        PORTCULLIS_YAML_EXTRA='data: {zero-copy: false}' ...   extra config lines for Portcullis (A/B runs)
# Needs root, iproute2, nftables, vsftpd, curl, python3, java; ftp-proxy and haproxy optional.
# Addresses are from the documentation ranges only; every process is stopped by its PID and every
# namespace deleted on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
[ "${1:-}" = "--smoke" ] && SMOKE=1
if [ "$SMOKE" = 1 ]; then
  SIZE_MIB=8; PAR=4; PAR_MIB=4; SESS_SECONDS=3; SETTLE_SECONDS=0; IDLE=200; NOOPS=100; ROUNDS=1; WARM_SECONDS=0
else
  SIZE_MIB=${SIZE_MIB:-1024}; PAR=${PAR:-16}; PAR_MIB=${PAR_MIB:-100}; SESS_SECONDS=${SESS_SECONDS:-10}; SETTLE_SECONDS=${SETTLE_SECONDS:-2}
  # 60 s at least: the JVM's session path is still being compiled after 15 s (a fresh instance's CPU
  # per session falls for its first 30–60 s: benchmarks/session-profile.sh with WARM_SECONDS=0);
  # the JVMs' warm-up then goes on until their JIT is quiet (see "Untimed warm-up" below).
  WARM_SECONDS=${WARM_SECONDS:-60}
  # 10,000 idle sessions need over 20,000 descriptors in the proxy (client and backend side):
  # the default stays below this machine's hard limit (ulimit -Hn); the report gives the per-session cost.
  HARD_FDS=$(ulimit -Hn); [ "$HARD_FDS" = unlimited ] && HARD_FDS=1048576
  DEFAULT_IDLE=$(( HARD_FDS > 20500 ? 10000 : (HARD_FDS - 500) / 2 ))
  IDLE=${IDLE:-$DEFAULT_IDLE}; NOOPS=${NOOPS:-2000}; ROUNDS=${ROUNDS:-3}
fi

NS_C=pcb-client; NS_E=pcb-edge; NS_S=pcb-server
C_IP=198.51.100.10; E_CIP=198.51.100.1; E_SIP=203.0.113.1; S_IP=203.0.113.10
PIDS=()
WORK=""

say() { printf '%s\n' "$*" >&2; }
# A process started in the background through in_c/in_e/in_s is a subshell whose child is the
# real program: stopping one means stopping its descendants too (found by parent PID, all ours).
descendants() { local c; for c in $(pgrep -P "$1" || true); do descendants "$c"; echo "$c"; done; }
stop_tree() { local p; for p in $(descendants "$1") "$1"; do kill "$p" 2>/dev/null || true; done; }
cleanup() {
  # ftp-proxy forks its listener, and children keep our unique work directory in their command
  # line: collect those PIDs too (all started by this script), then stop them by PID.
  if [ -n "$WORK" ]; then
    for pid in $(pgrep -f "$WORK" || true); do PIDS+=("$pid"); done
  fi
  local all=()
  for pid in "${PIDS[@]}"; do all+=($(descendants "$pid") "$pid"); done
  PIDS=("${all[@]}")
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for ns in $NS_C $NS_E $NS_S; do ip netns del "$ns" 2>/dev/null || true; done
  [ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 130" INT TERM

if [ "$(id -u)" != 0 ] || ! ip netns add pcb-probe 2>/dev/null; then
  say "SKIP: network namespaces cannot be created here (needs root and CAP_NET_ADMIN); nothing measured."
  exit 0
fi
ip netns del pcb-probe
for tool in vsftpd curl python3 java nft openssl; do
  command -v "$tool" >/dev/null || { say "missing $tool (install: vsftpd curl python3 nftables and a JDK)"; exit 1; }
done
[ -f target/portcullis.jar ] || mvn -q -B package -DskipTests
# The JVM for Portcullis: PORTCULLIS_JAVA, else the newest JDK 22+ under /usr/lib/jvm (there the
# splice pipes of bulk transfers grow to 1 MiB), else the default java.
JAVA=${PORTCULLIS_JAVA:-}
if [ -z "$JAVA" ]; then
  best=21
  for home in /usr/lib/jvm/*; do
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" 2>/dev/null || true)
    if [ -n "$v" ] && [ "$v" -gt "$best" ] && [ -x "$home/bin/java" ]; then JAVA="$home/bin/java"; best=$v; fi
  done
fi
JAVA=${JAVA:-java}
# JVM options: -Xss256k -XX:+UseSerialGC always (the packaged defaults for a small edge), plus
# compact object headers on JDK 25+ (a product flag there: ~20 % less heap per session), unless
# PORTCULLIS_JAVA_OPTS says otherwise.
JAVA_FEATURE=$("$JAVA" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')
DEFAULT_JAVA_OPTS="-Xss256k -XX:+UseSerialGC"
[ "${JAVA_FEATURE:-0}" -ge 25 ] && DEFAULT_JAVA_OPTS+=" -XX:+UseCompactObjectHeaders"
JAVA_OPTS=${PORTCULLIS_JAVA_OPTS:-$DEFAULT_JAVA_OPTS}

in_c() { ip netns exec $NS_C "$@"; }
in_e() { ip netns exec $NS_E "$@"; }
in_s() { ip netns exec $NS_S "$@"; }

# ---------------------------------------------------------------- topology
for ns in $NS_C $NS_E $NS_S; do ip netns del "$ns" 2>/dev/null || true; done # left by an interrupted run of ours
for ns in $NS_C $NS_E $NS_S; do ip netns add $ns; ip netns exec $ns ip link set lo up; done
ip link add pcb-c0 type veth peer name pcb-e0
ip link add pcb-e1 type veth peer name pcb-s0
ip link set pcb-c0 netns $NS_C; ip link set pcb-e0 netns $NS_E
ip link set pcb-e1 netns $NS_E; ip link set pcb-s0 netns $NS_S
in_c ip addr add $C_IP/24 dev pcb-c0; in_c ip link set pcb-c0 up; in_c ip route add default via $E_CIP
in_e ip addr add $E_CIP/24 dev pcb-e0; in_e ip link set pcb-e0 up
in_e ip addr add $E_SIP/24 dev pcb-e1; in_e ip link set pcb-e1 up
in_s ip addr add $S_IP/24 dev pcb-s0; in_s ip link set pcb-s0 up; in_s ip route add default via $E_SIP
in_e sysctl -qw net.ipv4.ip_forward=1

# ---------------------------------------------------------------- files and server
WORK=$(mktemp -d /dev/shm/pcb.XXXXXX)
chmod 755 "$WORK"; mkdir -p "$WORK/root/upload"; chmod 755 "$WORK/root"; chown ftp "$WORK/root/upload"
dd if=/dev/urandom of="$WORK/root/big.bin" bs=1M count="$SIZE_MIB" status=none
dd if=/dev/urandom of="$WORK/root/par.bin" bs=1M count="$PAR_MIB" status=none
BIG_SHA=$(sha256sum "$WORK/root/big.bin" | cut -d' ' -f1)
mkdir -p /var/run/vsftpd/empty
cat > "$WORK/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=$S_IP
listen_port=21
background=NO
anonymous_enable=YES
anon_root=$WORK/root
no_anon_password=YES
local_enable=NO
write_enable=YES
anon_upload_enable=YES
anon_other_write_enable=YES
anon_umask=022
pasv_min_port=40000
pasv_max_port=40999
connect_from_port_20=NO
seccomp_sandbox=NO
isolate_network=NO
isolate=NO
xferlog_enable=NO
max_clients=20000
max_per_ip=20000
CONF
in_s vsftpd "$WORK/vsftpd.conf" & PIDS+=($!)
# FTPS: the same files from a vsftpd that requires TLS for logins and data (port 2221).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/server.key" -out "$WORK/server.pem" -days 2 -subj /CN=$S_IP \
  -addext "subjectAltName=IP:$S_IP" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/edge.key" -out "$WORK/edge.pem" -days 2 \
  -subj /CN=$E_CIP -addext "subjectAltName=IP:$E_CIP" 2>/dev/null
sed -e 's/^listen_port=21$/listen_port=2221/' -e 's/^pasv_min_port=40000$/pasv_min_port=41000/' -e 's/^pasv_max_port=40999$/pasv_max_port=41999/' \
  "$WORK/vsftpd.conf" > "$WORK/vsftpd-tls.conf"
cat >> "$WORK/vsftpd-tls.conf" <<CONF
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
ssl_ciphers=HIGH
rsa_cert_file=$WORK/server.pem
rsa_private_key_file=$WORK/server.key
CONF
in_s vsftpd "$WORK/vsftpd-tls.conf" & PIDS+=($!)
# For HAProxy: the same files on port 2125 with a passive range of its own, which HAProxy binds on the edge.
sed -e 's/^listen_port=21$/listen_port=2125/' -e 's/^pasv_min_port=40000$/pasv_min_port=42000/' -e 's/^pasv_max_port=40999$/pasv_max_port=42999/' \
  "$WORK/vsftpd.conf" > "$WORK/vsftpd-haproxy.conf"
in_s vsftpd "$WORK/vsftpd-haproxy.conf" & PIDS+=($!)

# ---------------------------------------------------------------- kernel helper (DNAT + ct helper)
in_e nft -f - <<NFT
table ip pcb_nat {
  chain prerouting { type nat hook prerouting priority dstnat; ip daddr $E_CIP tcp dport 21 dnat to $S_IP:21; }
}
table inet pcb_helper {
  ct helper ftp-standard { type "ftp" protocol tcp; }
  chain prerouting { type filter hook prerouting priority filter; tcp dport 21 ct helper set "ftp-standard"; }
}
NFT

# ---------------------------------------------------------------- portcullis and ftp-proxy
# Starts the packaged Portcullis in the edge namespace with config $1, logging to $2 (with the
# machine's descriptor limit: the idle-sessions figure needs tens of thousands); LAUNCHED is its launcher.
launch_portcullis() {  # config, log, further JVM options
  in_e bash -c "ulimit -n $(ulimit -Hn); exec $JAVA $JAVA_OPTS ${3:-} -jar target/portcullis.jar --config $1" > "$2" 2>&1 & PIDS+=($!)
  LAUNCHED=$!
}
cat > "$WORK/portcullis.yaml" <<CONF
listen: $E_CIP:2121
backend: $S_IP:21
passive-ports: 50000-50999
timeouts: {idle: 3600s}
limits: {max-sessions-per-ip: 1000}
admin: {listen: "127.0.0.1:9121"}
${PORTCULLIS_YAML_EXTRA:-}
CONF
launch_portcullis "$WORK/portcullis.yaml" "$WORK/portcullis.log"
PORTCULLIS_LAUNCHER=$LAUNCHED

# The kernel data path (data.kernel-nat); PORTCULLIS_YAML_EXTRA is not applied here (it may set data: too).
cat > "$WORK/portcullis-knat.yaml" <<CONF
listen: $E_CIP:2124
backend: $S_IP:21
passive-ports: 56000-56999
timeouts: {idle: 3600s}
limits: {max-sessions-per-ip: 1000}
admin: {listen: "127.0.0.1:9124"}
data: {kernel-nat: true, kernel-nat-table: pcb_portcullis}
CONF
launch_portcullis "$WORK/portcullis-knat.yaml" "$WORK/portcullis-knat.log"
KNAT_LAUNCHER=$LAUNCHED

cat > "$WORK/portcullis-tls.yaml" <<CONF
listen: $E_CIP:2221
backend: $S_IP:2221
passive-ports: 54000-54999
tls: {cert: $WORK/edge.pem, key: $WORK/edge.key}
backend-tls: {mode: explicit, ca: $WORK/server.pem}
admin: {listen: "off"}
${PORTCULLIS_YAML_EXTRA:-}
CONF
launch_portcullis "$WORK/portcullis-tls.yaml" "$WORK/portcullis-tls.log"

HAVE_FTP_PROXY=0
if command -v ftp-proxy >/dev/null || [ -x /usr/sbin/ftp-proxy ]; then
  HAVE_FTP_PROXY=1
  cat > "$WORK/ftp-proxy.conf" <<CONF
[-Global-]
ServerType standalone
Listen $E_CIP
Port 2122
DestinationAddress $S_IP
DestinationPort 21
DestinationTransferMode client
PassiveMinDataPort 51000
PassiveMaxDataPort 51999
ActiveMinDataPort 52000
ActiveMaxDataPort 52999
SockBindRand yes
MaxClients 20000
User nobody
Group nogroup
PidFile $WORK/ftp-proxy.pid
CONF
  in_e /usr/sbin/ftp-proxy -d -n -f "$WORK/ftp-proxy.conf" > "$WORK/ftp-proxy.log" 2>&1 & PIDS+=($!)
fi

# HAProxy, TCP mode: the control port and the server's passive range, each connection to the same
# port on the server (no port on the server line). EPSV's 229 names only a port, which the client
# opens on the edge; a 227 would name the server's own address, so PASV/PORT are not carried.
HAVE_HAPROXY=0
if command -v haproxy >/dev/null; then
  HAVE_HAPROXY=1
  cat > "$WORK/haproxy.cfg" <<CONF
global
  maxconn 4000
  pidfile $WORK/haproxy.pid
defaults
  mode tcp
  option splice-auto
  timeout connect 5s
  timeout client 3600s
  timeout server 3600s
frontend ftp_control
  bind $E_CIP:2125
  default_backend vsftpd_control
backend vsftpd_control
  server s1 $S_IP:2125
frontend ftp_data
  bind $E_CIP:42000-42999
  default_backend vsftpd_data
backend vsftpd_data
  server s1 $S_IP
CONF
  in_e bash -c "ulimit -n $(ulimit -Hn); exec haproxy -db -f $WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 & PIDS+=($!)
  HAPROXY_LAUNCHER=$!
fi

# ProFTPD + mod_proxy as a TLS-terminating reverse proxy (198.51.100.1:2223 -> vsftpd:2221), for (g).
MODPROXY_ROOT=${MODPROXY_ROOT:-/opt/portcullis-interop/root}
HAVE_MOD_PROXY=0
if [ -x "$MODPROXY_ROOT/usr/sbin/proftpd" ] && [ -f "$MODPROXY_ROOT/usr/lib/proftpd/mod_proxy.so" ] \
   && [ -f "$MODPROXY_ROOT/usr/lib/proftpd/mod_tls.so" ]; then
  HAVE_MOD_PROXY=1
  mkdir -p "$WORK/mod_proxy-tables"; chmod 777 "$WORK/mod_proxy-tables"
  cat > "$WORK/mod_proxy.conf" <<CONF
ServerName "mod_proxy"
ServerType standalone
Port 2223
DefaultAddress $E_CIP
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
PidFile $WORK/mod_proxy.pid
ScoreboardFile $WORK/mod_proxy.scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
MaxInstances 500
PassivePorts 55000 55999
ModulePath $MODPROXY_ROOT/usr/lib/proftpd
LoadModule mod_tls.c
LoadModule mod_proxy.c
<IfModule mod_tls.c>
  TLSEngine on
  TLSRequired on
  TLSProtocol TLSv1.2 TLSv1.3
  TLSECCertificateFile $WORK/edge.pem
  TLSECCertificateKeyFile $WORK/edge.key
  TLSOptions NoSessionReuseRequired
</IfModule>
<IfModule mod_proxy.c>
  ProxyEngine on
  ProxyRole reverse
  ProxyReverseServers ftp://$S_IP:2221
  ProxyTables $WORK/mod_proxy-tables
  ProxyLog $WORK/mod_proxy.log
  ProxyTLSEngine on
  ProxyTLSCACertificateFile $WORK/server.pem
  ProxyTLSVerifyServer on
</IfModule>
CONF
  in_e "$MODPROXY_ROOT/usr/sbin/proftpd" -n -c "$WORK/mod_proxy.conf" > "$WORK/mod_proxy.out" 2>&1 & PIDS+=($!)
fi

wait_port() { # ns host port
  for _ in $(seq 1 200); do ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0; sleep 0.1; done
  say "nothing listens on $2:$3 in $1"; return 1
}
wait_port $NS_S $S_IP 21
wait_port $NS_S $S_IP 2221
wait_port $NS_E $E_CIP 2121
wait_port $NS_E $E_CIP 2221
wait_port $NS_E $E_CIP 2124
[ "$HAVE_FTP_PROXY" = 1 ] && wait_port $NS_E $E_CIP 2122
[ "$HAVE_MOD_PROXY" = 1 ] && wait_port $NS_E $E_CIP 2223
wait_port $NS_S $S_IP 2125
[ "$HAVE_HAPROXY" = 1 ] && wait_port $NS_E $E_CIP 2125
# HAProxy, like the JVMs, is the child of the launching subshell.
HAPROXY_PID=""; [ "$HAVE_HAPROXY" = 1 ] && HAPROXY_PID=$(pgrep -P "$HAPROXY_LAUNCHER" haproxy || echo "$HAPROXY_LAUNCHER")
# The JVM is the launcher's child in the namespace: find it for CPU and memory readings.
JAVA_PID=$(pgrep -P "$PORTCULLIS_LAUNCHER" java || echo "$PORTCULLIS_LAUNCHER")
KNAT_JAVA_PID=$(pgrep -P "$KNAT_LAUNCHER" java || echo "$KNAT_LAUNCHER")
# Its nft child (nft -e -i, long-lived) does the mapping work: its CPU counts as the proxy's.
KNAT_NFT_PID=$(pgrep -P "$KNAT_JAVA_PID" nft || true)
FTP_PROXY_PID=$(pgrep -f "ftp-proxy -d -n -f $WORK" | head -n1 || true)

declare -A URL=( [direct]="ftp://$S_IP" [kernel]="ftp://$E_CIP" [portcullis]="ftp://$E_CIP:2121" [portcullis-knat]="ftp://$E_CIP:2124"
  [ftp-proxy]="ftp://$E_CIP:2122" [haproxy]="ftp://$E_CIP:2125" )
MODES=(direct kernel portcullis portcullis-knat)
[ "$HAVE_FTP_PROXY" = 1 ] && MODES+=(ftp-proxy)
[ "$HAVE_HAPROXY" = 1 ] && MODES+=(haproxy)

# ---------------------------------------------------------------- correctness of every mode
# ftp-proxy answers EPSV/EPRT with 500: curl falls back, as real clients do.
FAIL=0
for m in "${MODES[@]}"; do
  for flags in "" "--disable-epsv" "--ftp-port $C_IP"; do
    if [ "$m" = haproxy ] && [ -n "$flags" ]; then say "n/a  $m $flags (TCP relay: EPSV only)"; continue; fi
    got=$(in_c curl -sS --max-time 60 $flags "${URL[$m]}/big.bin" | sha256sum | cut -d' ' -f1 || true)
    if [ "$got" = "$BIG_SHA" ]; then say "ok   $m ${flags:-EPSV}"; else say "FAIL $m ${flags:-EPSV}"; FAIL=1; fi
  done
done
# Where the JVM can grow splice pipes, the transfers above must have grown them (one per bulk direction).
if grep -q "pipes of bulk transfers grow" "$WORK/portcullis.log"; then
  grown=$(in_e curl -s --max-time 5 http://127.0.0.1:9121/metrics | awk '/^portcullis_data_splice_pipes_grown_total /{print int($2)}')
  if [ "${grown:-0}" -ge 3 ]; then say "ok   portcullis grew $grown splice pipes"; else say "FAIL portcullis grew ${grown:-no} splice pipes (expected 3)"; FAIL=1; fi
fi
# The kernel data path must have carried the passive transfers above (EPSV and PASV), not the relay.
knat=$(in_e curl -s --max-time 5 http://127.0.0.1:9124/metrics | awk '/^portcullis_data_kernel_nat_requests_total\{result="mapped"/{print int($2)}')
if [ "${knat:-0}" -ge 2 ] && [ "$(grep -c 'relay=kernel result=226' "$WORK/portcullis-knat.log")" -ge 2 ]; then
  say "ok   portcullis-knat forwarded $knat passive transfers in the kernel"
else
  say "FAIL portcullis-knat forwarded ${knat:-no} passive transfers in the kernel (expected 2)"; FAIL=1
fi
declare -A TLS_URL=( [direct]="ftp://$S_IP:2221" [portcullis]="ftp://$E_CIP:2221" [mod_proxy]="ftp://$E_CIP:2223" )
TLS_MODES=(direct portcullis)
[ "$HAVE_MOD_PROXY" = 1 ] && TLS_MODES+=(mod_proxy)
for m in "${TLS_MODES[@]}"; do
  for flags in "" "--disable-epsv"; do
    got=$(in_c curl -sS --max-time 30 --ssl-reqd -k $flags "${TLS_URL[$m]}/big.bin" | sha256sum | cut -d' ' -f1 || true)
    if [ "$got" = "$BIG_SHA" ]; then say "ok   $m FTPS ${flags:-EPSV}"; else say "FAIL $m FTPS ${flags:-EPSV}"; FAIL=1; fi
  done
done
NAT_FTP="no (nf_nat_ftp absent: 227 still names the server; the helper's expectation admits the data connection)"
if in_c curl -sS -v --max-time 20 --disable-epsv "${URL[kernel]}/" 2>&1 >/dev/null | grep -q "227.*198,51,100,1"; then
  NAT_FTP="yes (227 rewritten to the edge address by nf_nat_ftp)"
fi
if [ "$FAIL" != 0 ]; then
  for log in portcullis portcullis-knat portcullis-tls mod_proxy mod_proxy.out; do say "---- $log.log (last lines)"; tail -n 20 "$WORK/$log.log" >&2 || true; done
fi
if [ "$SMOKE" = 1 ]; then
  [ "$FAIL" = 0 ] && say "smoke: every mode transferred byte-exact (kernel helper NAT: $NAT_FTP)"
  exit "$FAIL"
fi
[ "$FAIL" = 0 ] || { say "a mode failed: no figures written"; exit 1; }

# ---------------------------------------------------------------- figures
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
cpu_ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{print $14+$15+$16+$17}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
HZ=$(getconf CLK_TCK)
# Busy and total ticks of the whole machine (all processes, interrupts and softirqs included).
machine_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat; }
declare -A RETR STOR PARA SESS CPU FTPS MCPU BUSY SCPU SJIT
# (c)'s workload: 8 workers, each session login + EPSV + LIST + QUIT; prints sessions per second.
cat > "$WORK/sessions.py" <<'PY'
import ftplib, sys, threading, time
hostport, secs = sys.argv[1], float(sys.argv[2])
host, _, port = hostport.partition(":")
port = int(port or 21)
done = [0]; lock = threading.Lock(); stop = time.time() + secs
def work():
    while time.time() < stop:
        try:
            f = ftplib.FTP(); f.connect(host, port, timeout=10); f.login()
            f.af = 10  # makes ftplib use EPSV; ftp-proxy refuses it, so fall back as clients do
            try:
                f.retrlines("LIST", lambda l: None)
            except ftplib.error_perm:
                f.af = 2; f.retrlines("LIST", lambda l: None)
            f.quit()
            with lock: done[0] += 1
        except Exception:
            pass
threads = [threading.Thread(target=work) for _ in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
print(round(done[0] / secs) if secs > 0 else 0)
PY
# Untimed warm-up: a proxy runs for months, so it is measured warm (the JVM compiles its hot
# paths during the first few thousand sessions). Every mode gets the same, except that ftp-proxy
# skips the sessions part: its per-minute connection cap would still hold in the first round.
# A JVM is warm when its JIT has finished, not after a fixed time: what it compiles follows from
# invocation counts, so a machine that runs half the sessions a second needs twice as long. Its
# warm-up goes on in chunks of WARM_CHUNK_SECONDS while its compiler threads took more than
# WARM_JIT_PERCENT of the JVM's own CPU in the last chunk, up to WARM_MAX_SECONDS of sessions in all;
# each chunk also carries the round's transfers (bulk_pass).
WARM_CHUNK_SECONDS=${WARM_CHUNK_SECONDS:-10}; WARM_JIT_PERCENT=${WARM_JIT_PERCENT:-3}; WARM_MAX_SECONDS=${WARM_MAX_SECONDS:-300}
# CPU ticks of a JVM's JIT compiler threads (C1 and C2 CompilerThreadN).
jit_ticks() { local t s=0; for t in /proc/"$1"/task/*; do case "$(cat "$t/comm" 2>/dev/null)" in
  C[12]\ CompilerThre*) s=$((s + $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null || echo 0))) ;; esac; done; echo "$s"; }
# The bulk half of a round, untimed: a JVM warmed on sessions alone went on compiling the transfer
# paths, and recompiling the session path after them, inside the measured rounds (at 19:04Z its JIT
# took 36 % of the first round's session window).
bulk_pass() {
  in_c curl -sS -o /dev/null "${URL[$1]}/big.bin" || true
  in_c curl -sS -o /dev/null -T "$WORK/root/big.bin" "${URL[$1]}/upload/warm-$1.bin" || true
  rm -f "$WORK/root/upload/warm-$1.bin"  # tmpfs: a GiB of memory each
  local i jobs_w=()
  for i in $(seq 1 "$PAR"); do in_c curl -sS -o /dev/null "${URL[$1]}/par.bin" & jobs_w+=($!); done
  wait "${jobs_w[@]}" || true
}
# Warms JVM $2 behind mode $1 (its URL), after $3 seconds of sessions already run, until its JIT is
# quiet; the time it took and the JIT's last share into QUIET_AFTER. With $4 = 0, sessions alone.
until_jit_quiet() {
  local m=$1 jvm=$2 spent=$3 bulk=${4:-1} jit="–" j0 j1 p0 p1  # "–": not measured when $3 already reaches WARM_MAX_SECONDS
  while [ "$spent" -lt "$WARM_MAX_SECONDS" ]; do
    j0=$(jit_ticks "$jvm"); p0=$(cpu_ticks "$jvm")
    [ "$bulk" = 1 ] && bulk_pass "$m"  # each chunk is a round's work: transfers, then sessions
    in_c python3 "$WORK/sessions.py" "${URL[$m]#ftp://}" "$WARM_CHUNK_SECONDS" > /dev/null
    j1=$(jit_ticks "$jvm"); p1=$(cpu_ticks "$jvm"); spent=$((spent + WARM_CHUNK_SECONDS))
    jit=$(awk -v d=$((j1 > j0 ? j1 - j0 : 0)) -v p=$((p1 - p0)) 'BEGIN {printf "%.1f", (p > 0) ? d / p * 100 : 0}')
    awk -v j="$jit" -v l="$WARM_JIT_PERCENT" 'BEGIN {exit !(j <= l)}' && break
  done
  QUIET_AFTER="${spent} s (JIT ${jit} % of its CPU in the last ${WARM_CHUNK_SECONDS} s)"
}
declare -A WARMED
for m in "${MODES[@]}"; do
  in_c curl -sS -o /dev/null "${URL[$m]}/par.bin" || true
  [ "$m" = ftp-proxy ] && continue
  in_c python3 "$WORK/sessions.py" "${URL[$m]#ftp://}" "$WARM_SECONDS" > /dev/null
  jvm=""; [ "$m" = portcullis ] && jvm=$JAVA_PID; [ "$m" = portcullis-knat ] && jvm=$KNAT_JAVA_PID
  [ -n "$jvm" ] && [ "$SMOKE" = 0 ] || continue
  until_jit_quiet "$m" "$jvm" "$WARM_SECONDS"
  WARMED[$m]="$m $QUIET_AFTER"
  say "warm-up: ${WARMED[$m]}"
done
for round in $(seq 1 "$ROUNDS"); do
  # Every other round runs the modes in reverse order: a mode's place in the round (what ran just
  # before it, the tmpfs and page cache it finds) would otherwise favour one side of a comparison in
  # every round, and parity between the kernel helper and the kernel data path is a few per cent.
  ORDER=("${MODES[@]}")
  if [ $((round % 2)) = 0 ]; then ORDER=(); for ((i = ${#MODES[@]} - 1; i >= 0; i--)); do ORDER+=("${MODES[$i]}"); done; fi
  for m in "${ORDER[@]}"; do
    pid=""; [ "$m" = portcullis ] && pid=$JAVA_PID; [ "$m" = ftp-proxy ] && pid=$FTP_PROXY_PID; [ "$m" = haproxy ] && pid=$HAPROXY_PID
    [ "$m" = portcullis-knat ] && pid="$KNAT_JAVA_PID $KNAT_NFT_PID"
    t0=$( [ -n "$pid" ] && cpu_ticks $pid || echo 0 )
    read -r mb0 mt0 < <(machine_ticks)
    RETR[$m]+="$(in_c curl -sS -o /dev/null -w '%{speed_download}' "${URL[$m]}/big.bin") "
    read -r mb1 mt1 < <(machine_ticks)
    t1=$( [ -n "$pid" ] && cpu_ticks $pid || echo 0 )
    MCPU[$m]+="$(awk -v d=$((mb1 - mb0)) -v hz="$HZ" -v mib="$SIZE_MIB" 'BEGIN {printf "%.3f", d / hz / (mib * 1048576 / 1e9)}') "
    BUSY[$m]+="$(awk -v b=$((mb1 - mb0)) -v t=$((mt1 - mt0)) 'BEGIN {printf "%.2f", (t > 0) ? b / t : 0}') "
    [ -n "$pid" ] && CPU[$m]+="$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v mib="$SIZE_MIB" 'BEGIN {printf "%.3f", d / hz / (mib / 1024)}') "
    STOR[$m]+="$(in_c curl -sS -o /dev/null -w '%{speed_upload}' -T "$WORK/root/big.bin" "${URL[$m]}/upload/up-$m.bin") "
    start=$(date +%s.%N)
    jobs_par=()
    for i in $(seq 1 "$PAR"); do in_c curl -sS -o /dev/null "${URL[$m]}/par.bin" & jobs_par+=($!); done
    wait "${jobs_par[@]}"
    end=$(date +%s.%N)
    PARA[$m]+="$(awk -v s="$start" -v e="$end" -v n="$PAR" -v mib="$PAR_MIB" 'BEGIN {printf "%.0f", n * mib * 1048576 / (e - s)}') "
    # A moment's pause first: the 16 transfers just ended, and their sockets closing and splice
    # workers letting go are the tail of that test, not work of the sessions measured next.
    sleep "$SETTLE_SECONDS"
    s0=$( [ -n "$pid" ] && cpu_ticks $pid || echo 0 )
    case "$m" in portcullis|portcullis-knat) sj0=$(jit_ticks "${pid%% *}") ;; esac
    n=$(in_c python3 "$WORK/sessions.py" "${URL[$m]#ftp://}" "$SESS_SECONDS")
    s1=$( [ -n "$pid" ] && cpu_ticks $pid || echo 0 )
    # How much of a JVM's session window its JIT took: recompiling after the bulk tests shows here.
    case "$m" in portcullis|portcullis-knat) SJIT[$m]+="$(awk -v d=$(($(jit_ticks "${pid%% *}") - sj0)) -v p=$((s1 - s0)) \
      'BEGIN {printf "%.0f", (p > 0) ? d / p * 100 : 0}') " ;; esac
    SESS[$m]+="$n "
    # The edge's own CPU per session (the proxy process; none for direct and the kernel helper).
    [ -n "$pid" ] && SCPU[$m]+="$(awk -v d=$((s1 - s0)) -v hz="$HZ" -v n="$n" -v s="$SESS_SECONDS" 'BEGIN {printf "%.2f", (n > 0) ? d / hz * 1000 / (n * s) : 0}') "
    if [ -n "${TLS_URL[$m]:-}" ]; then
      FTPS[$m]+="$(in_c curl -sS -o /dev/null --ssl-reqd -k -w '%{speed_download}' "${TLS_URL[$m]}/big.bin") "
    fi
    say "round $round $m done"
  done
  if [ "$HAVE_MOD_PROXY" = 1 ]; then
    FTPS[mod_proxy]+="$(in_c curl -sS -o /dev/null --ssl-reqd -k -w '%{speed_download}' "${TLS_URL[mod_proxy]}/big.bin") "
    say "round $round mod_proxy (FTPS) done"
  fi
done

# (c, cold) a fresh Portcullis: sessions/s and its CPU per session in each of its first
# COLD_WINDOWS windows of COLD_SECONDS after it listens, against the warm figures above (a JVM
# compiles its hot paths under load; HAProxy, compiled ahead of time, has no such phase).
# COLD_INSTANCES fresh instances each: one instance's third window moved by ±30 % between runs.
COLD_SECONDS=${COLD_SECONDS:-5}; COLD_WINDOWS=${COLD_WINDOWS:-3}; COLD_INSTANCES=${COLD_INSTANCES:-3}
# The measured Portcullis' own config, on a port and passive range of its own.
sed -e "s/^listen: .*/listen: $E_CIP:2126/" -e 's/^passive-ports: .*/passive-ports: 57000-57999/' -e 's/^admin: .*/admin: {listen: "off"}/' \
  "$WORK/portcullis.yaml" > "$WORK/cold.yaml"
# The windows of one fresh instance (launched with JVM options $1, logging to $2) into COLD_RESULT,
# and its last window's CPU per session into COLD_LAST.
cold_windows() {
  launch_portcullis "$WORK/cold.yaml" "$2" "$1"
  local launcher=$LAUNCHED java c0 c1 n w ms out=""
  wait_port $NS_E $E_CIP 2126
  java=$(pgrep -P "$launcher" java || echo "$launcher")
  for w in $(seq 1 "$COLD_WINDOWS"); do
    c0=$(cpu_ticks "$java")
    n=$(in_c python3 "$WORK/sessions.py" "$E_CIP:2126" "$COLD_SECONDS")
    c1=$(cpu_ticks "$java")
    ms=$(awk -v d=$((c1 - c0)) -v hz="$HZ" -v n="$n" -v s="$COLD_SECONDS" 'BEGIN {printf "%.2f", (n > 0) ? d / hz * 1000 / (n * s) : 0}')
    out+="$n/s at $ms ms; "
  done
  stop_tree "$launcher"
  for w in $(seq 1 100); do kill -0 "$java" 2>/dev/null || break; sleep 0.2; done
  COLD_RESULT=${out%; }; COLD_LAST=$ms
}
# On JDK 25+, fresh instances with an AOT cache too (JEP 483, 515: classes loaded and linked, and
# method profiles, so that the JIT compiles the hot paths at once), as a deployment would build it
# once from its first start's traffic (systemd/portcullis-java). Two caches, since the traffic that
# trains one decides what its instances compile first: one trained on whole rounds (a GiB each way
# and 16 parallel transfers between the sessions), one on the measured sessions alone. Each training
# lasts until its JIT is quiet, as the warm-up does: a cache trained for a fixed 30 s on a machine
# that ran 65 sessions a second held immature profiles, and its instances were slower than those
# without one. A third cache is trained without any of this lab's traffic, as deploy/Dockerfile
# trains the image's: `portcullis train` (listing sessions through the demo backend on the edge's
# loopback until its JIT is quiet). AOT_TRAININGS="rounds sessions builtin" by default.
AOT_TRAIN_SECONDS=${AOT_TRAIN_SECONDS:-30}
AOT_TRAININGS=${AOT_TRAININGS:-rounds sessions builtin}
declare -A AOT_CACHE AOT_TRAINED COLD_AOT COLD_AOT_LASTS
# Trains the cache named $1 (rounds: with the bulk passes, sessions: without, builtin: portcullis
# train) into AOT_CACHE[$1].
train_aot_cache() {
  local name=$1 launcher java bulk=0
  if [ "$name" = builtin ]; then
    in_e $JAVA $JAVA_OPTS "-XX:AOTCacheOutput=$WORK/portcullis-$name.aot" -jar target/portcullis.jar train \
      > "$WORK/aot-training-$name.out" 2> "$WORK/aot-training-$name.log" || true
    AOT_TRAINED[$name]=$(sed -n 's/^portcullis train: //p' "$WORK/aot-training-$name.out" | head -n1)
    if [ -s "$WORK/portcullis-$name.aot" ]; then AOT_CACHE[$name]=$WORK/portcullis-$name.aot
    else COLD_AOT[$name]="no cache written (see aot-training-$name.log)"; fi
    return
  fi
  [ "$name" = rounds ] && bulk=1
  launch_portcullis "$WORK/cold.yaml" "$WORK/aot-training-$name.log" "-XX:AOTCacheOutput=$WORK/portcullis-$name.aot"
  launcher=$LAUNCHED
  wait_port $NS_E $E_CIP 2126
  java=$(pgrep -P "$launcher" java || echo "$launcher")
  URL[aot-training]="ftp://$E_CIP:2126"
  [ "$bulk" = 1 ] && { in_c curl -sS -o /dev/null "${URL[aot-training]}/par.bin" || true; }
  in_c python3 "$WORK/sessions.py" "$E_CIP:2126" "$AOT_TRAIN_SECONDS" > /dev/null
  until_jit_quiet aot-training "$java" "$AOT_TRAIN_SECONDS" "$bulk"
  AOT_TRAINED[$name]=$QUIET_AFTER
  stop_tree "$launcher"   # the JVM writes the cache as it exits
  for _ in $(seq 1 300); do kill -0 "$java" 2>/dev/null || break; sleep 0.2; done
  if [ -s "$WORK/portcullis-$name.aot" ]; then AOT_CACHE[$name]=$WORK/portcullis-$name.aot
  else COLD_AOT[$name]="no cache written (see aot-training-$name.log)"; fi
}
COLD=""; COLD_LASTS=""; COLD_KINDS=(none)
if [ "${JAVA_FEATURE:-0}" -ge 25 ]; then
  for name in $AOT_TRAININGS; do train_aot_cache "$name"; [ -n "${AOT_CACHE[$name]:-}" ] && COLD_KINDS+=("$name"); done
fi
# Each instance starts once the connections of the one before have left TIME_WAIT (at most 65 s):
# back to back, the later instances of 07:49Z met thousands of them towards the same port and ran
# 25 % fewer sessions a second in their third window than the first instance did, with or without
# the cache.
time_waits() { echo $(( $(in_c ss -Htan state time-wait | wc -l) + $(in_e ss -Htan state time-wait | wc -l) )); }
settle_time_waits() {  # how long it waited, and for how many, into SETTLED
  local t n0; n0=$(time_waits)
  for t in $(seq 0 65); do [ "$(time_waits)" -lt 200 ] && break; sleep 1; done
  SETTLED="after ${t} s for $n0 in TIME_WAIT"
}
# Instances without a cache and with each cache take turns, the order rotated by one each time, so
# that drift and position hit all alike.
for i in $(seq 1 "$COLD_INSTANCES"); do
  for k in $(seq 0 $((${#COLD_KINDS[@]} - 1))); do
    kind=${COLD_KINDS[$(( (k + i - 1) % ${#COLD_KINDS[@]} ))]}
    settle_time_waits
    if [ "$kind" = none ]; then
      cold_windows "" "$WORK/cold-portcullis-$i.log"
      COLD+="#$i ($SETTLED): $COLD_RESULT; "; COLD_LASTS+="$COLD_LAST "
    else
      cold_windows "-XX:AOTCache=${AOT_CACHE[$kind]}" "$WORK/cold-aot-$kind-$i.log"
      grep -qi "error.*aot cache\|unable to map\|unable to use" "$WORK/cold-aot-$kind-$i.log" && COLD_RESULT="the cache was refused: $COLD_RESULT"
      COLD_AOT[$kind]+="#$i ($SETTLED): $COLD_RESULT; "; COLD_AOT_LASTS[$kind]+="$COLD_LAST "
    fi
  done
done

# (e) idle control sessions: vsftpd forks two processes per session, so this figure uses a
# greeter (asyncio: 220, then silence) as the backend of a second Portcullis with default settings.
in_s python3 - "$S_IP" 2100 > "$WORK/greeter.log" 2>&1 <<'GREETER' & PIDS+=($!)
import asyncio, resource, sys
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]; resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
async def greet(reader, writer):
    writer.write(b"220 idle-test greeter\r\n")
    await writer.drain()
    while await reader.read(4096):
        pass
    writer.close()
async def main():
    server = await asyncio.start_server(greet, sys.argv[1], int(sys.argv[2]), backlog=4096)
    async with server:
        await server.serve_forever()
asyncio.run(main())
GREETER
GREETER_PID=$!
cat > "$WORK/idle.yaml" <<CONF
listen: $E_CIP:2131
backend: $S_IP:2100
passive-ports: 53000-53099
limits: {max-sessions: 100000, max-sessions-per-ip: 100000}
admin: {listen: "127.0.0.1:9122"}
CONF
launch_portcullis "$WORK/idle.yaml" "$WORK/idle-portcullis.log"
IDLE_LAUNCHER=$LAUNCHED
wait_port $NS_S $S_IP 2100
wait_port $NS_E $E_CIP 2131
IDLE_JAVA=$(pgrep -P "$IDLE_LAUNCHER" java || echo "$IDLE_LAUNCHER")
sleep 2
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
heap_bytes() { in_e curl -s http://127.0.0.1:9122/metrics | awk '/^jvm_memory_used_bytes\{.*area="heap"/ {s+=$NF} END {printf "%.0f", s}'; }
RSS0=$(rss_kib "$IDLE_JAVA"); HEAP0=$(heap_bytes)
in_c python3 - "$E_CIP" 2131 "$IDLE" > "$WORK/idle.out" 2>&1 <<'PY' &
import resource, socket, sys, time
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]; resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = []
for i in range(n):
    s = socket.create_connection((host, port), timeout=30)
    socks.append(s)
ok = sum(1 for s in socks if s.recv(100).startswith(b"220"))
print(ok, flush=True)
time.sleep(30)
PY
IDLE_PID=$!
for _ in $(seq 1 600); do [ -s "$WORK/idle.out" ] && break; sleep 0.5; done
sleep 3
IDLE_OK=$(head -n1 "$WORK/idle.out"); RSS1=$(rss_kib "$IDLE_JAVA"); HEAP1=$(heap_bytes)
stop_tree "$IDLE_PID"
# The idle proxy, its greeter and their 19,500 sockets go before (f): tearing them down shares the
# cores with the NOOP loop and would show up in its tail.
stop_tree "$IDLE_LAUNCHER"; stop_tree "$GREETER_PID"
for _ in $(seq 1 120); do kill -0 "$IDLE_JAVA" 2>/dev/null || break; sleep 0.5; done
sleep 2

# (f) NOOP round trips, direct vs through Portcullis, on one logged-in session each.
noop() {
  in_c python3 - "$1" "$2" "$NOOPS" <<'PY'
import ftplib, sys, time
f = ftplib.FTP(); f.connect(sys.argv[1], int(sys.argv[2]), timeout=10); f.login()
t = []
for _ in range(int(sys.argv[3])):
    a = time.perf_counter_ns(); f.voidcmd("NOOP"); t.append(time.perf_counter_ns() - a)
t.sort(); f.quit()
print(t[len(t) // 2], t[int(len(t) * 0.99)])
PY
}
read -r D50 D99 < <(noop $S_IP 21)
read -r P50 P99 < <(noop $E_CIP 2121)

# ---------------------------------------------------------------- report
mbs() { awk -v x="$1" 'BEGIN {printf "%.0f", x / 1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
# A figure per mode with its ratio to direct and, where HAProxy ran, to HAProxy ("h").
row() { # label associative-array-name
  local name=$2; local -n arr=$name
  local d; d=$(echo "${arr[direct]}" | median)
  local h=""; [ "$HAVE_HAPROXY" = 1 ] && h=$(echo "${arr[haproxy]}" | median)
  local line="| $1 |"
  for m in "${MODES[@]}"; do
    local v; v=$(echo "${arr[$m]}" | median)
    local r; r="$(ratio "$v" "$d")"; [ -n "$h" ] && r+="; $(ratio "$v" "$h") h"
    if [ "$name" = SESS ]; then line+=" $v ($r) |"; else line+=" $(mbs "$v") ($r) |"; fi
  done
  echo "$line"
}
# A cost per mode (smaller is better) with its ratio to HAProxy's; "–" where the mode has no proxy process.
cost_row() { # label associative-array-name
  local -n arr=$2
  local h=""; [ "$HAVE_HAPROXY" = 1 ] && h=$(echo "${arr[haproxy]:-}" | median)
  printf '| %s |' "$1"
  for m in "${MODES[@]}"; do
    if [ -n "${arr[$m]:-}" ]; then
      local v; v=$(echo "${arr[$m]}" | median)
      if [ -n "$h" ]; then printf ' %s (%s h) |' "$v" "$(ratio "$v" "$h")"; else printf ' %s |' "$v"; fi
    else printf ' %s |' "–"; fi
  done; echo
}
# One ratio per round of mode $3 to mode $4 in figure array $2, as "label min–max (median)": the
# medians above hide how far apart rounds were, and a parity claim needs the spread.
round_ratios() { # label array-name mode baseline
  local -n arr=$2
  [ -n "${arr[$3]:-}" ] && [ -n "${arr[$4]:-}" ] || return 0
  local -a a b; read -r -a a <<< "${arr[$3]}"; read -r -a b <<< "${arr[$4]}"
  local i rs=""; for i in "${!a[@]}"; do rs+="$(ratio "${a[$i]}" "${b[$i]:-0}") "; done
  printf '%s %s–%s (%s); ' "$1" "$(echo "$rs" | tr ' ' '\n' | grep -v '^$' | sort -g | head -n1)" \
    "$(echo "$rs" | tr ' ' '\n' | grep -v '^$' | sort -g | tail -n1)" "$(echo "$rs" | median)"
}
spread_line() {
  local out=""
  out+=$(round_ratios "knat ÷ kernel helper, RETR one stream" RETR portcullis-knat kernel)
  out+=$(round_ratios "STOR" STOR portcullis-knat kernel)
  out+=$(round_ratios "16 streams" PARA portcullis-knat kernel)
  if [ "$HAVE_HAPROXY" = 1 ]; then
    out+=$(round_ratios "Portcullis ÷ HAProxy, sessions/s" SESS portcullis haproxy)
    out+=$(round_ratios "CPU per session" SCPU portcullis haproxy)
    out+=$(round_ratios "relay RETR" RETR portcullis haproxy)
  fi
  echo "${out%; }"
}
{
  echo "## Namespace run $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores shared by client, edge and server; $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(uname -sr); Portcullis on $("$JAVA" -version 2>&1 | head -n1) with $JAVA_OPTS; vsftpd on tmpfs."
  echo "Command: \`bash benchmarks/netns-harness.sh\` (SIZE_MIB=$SIZE_MIB PAR=$PAR PAR_MIB=$PAR_MIB SESS_SECONDS=$SESS_SECONDS SETTLE_SECONDS=$SETTLE_SECONDS WARM_SECONDS=$WARM_SECONDS WARM_MAX_SECONDS=$WARM_MAX_SECONDS IDLE=$IDLE NOOPS=$NOOPS ROUNDS=$ROUNDS${PORTCULLIS_YAML_EXTRA:+ PORTCULLIS_YAML_EXTRA='$PORTCULLIS_YAML_EXTRA'}); medians of $ROUNDS interleaved rounds, every other one in reverse order; MB = 10^6 bytes; ratios of direct, and (h) of HAProxy where it ran."
  [ "${#WARMED[@]}" -gt 0 ] && echo "Warm-up of the JVMs, until their JIT compiler threads took at most ${WARM_JIT_PERCENT} % of the JVM's CPU over ${WARM_CHUNK_SECONDS} s (at most ${WARM_MAX_SECONDS} s): $(for m in "${!WARMED[@]}"; do printf '%s; ' "${WARMED[$m]}"; done | sed 's/; $//')."
  echo "Kernel helper: nftables ct helper \"ftp\" with DNAT; NAT of 227: $NAT_FTP."
  echo "Portcullis: $(grep -o 'data relay: .*' "$WORK/portcullis.log" | head -n1). portcullis-knat: $(grep -o 'data path: .*' "$WORK/portcullis-knat.log" | head -n1) (its CPU in (d) includes its nft process where it has one: on Java 17)."
  echo
  printf '| figure |'; for m in "${MODES[@]}"; do printf ' %s |' "$m"; done; echo
  printf '|---|'; for m in "${MODES[@]}"; do printf -- '---|'; done; echo
  row "(a) RETR ${SIZE_MIB} MiB, one stream, MB/s" RETR
  row "(a) STOR ${SIZE_MIB} MiB, one stream, MB/s" STOR
  row "(b) ${PAR} x RETR ${PAR_MIB} MiB, aggregate MB/s" PARA
  row "(c) sessions/s (login, EPSV, LIST, QUIT; 8 workers)" SESS
  printf '| (h) RETR: whole machine CPU s per GB (client, edge, server, softirqs) |'
  for m in "${MODES[@]}"; do printf ' %s |' "$(echo "${MCPU[$m]}" | median)"; done; echo
  printf '| (h) RETR: share of the %s cores busy |' "$(nproc)"
  for m in "${MODES[@]}"; do printf ' %s |' "$(echo "${BUSY[$m]}" | median)"; done; echo
  cost_row "(d) proxy CPU s per GiB moved" CPU
  cost_row "(c) proxy CPU ms per session (warm)" SCPU
  echo
  echo "(spread) ratios round by round, min–max (median), both modes of a pair from the same round: $(spread_line)."
  echo "(c, rounds) proxy CPU ms per session, round by round:$(for m in portcullis portcullis-knat haproxy; do [ -n "${SCPU[$m]:-}" ] && printf ' %s %s;' "$m" "${SCPU[$m]% }"; done | sed 's/;$//'); the JIT's share of the JVM's CPU in those windows, %:$(for m in portcullis portcullis-knat; do [ -n "${SJIT[$m]:-}" ] && printf ' %s %s;' "$m" "${SJIT[$m]% }"; done | sed 's/;$//')."
  WARM_MS=$(echo "${SCPU[portcullis]}" | median)
  echo "(c, cold) $COLD_INSTANCES fresh Portcullis instances, windows of ${COLD_SECONDS} s from the start (sessions/s and CPU per session): ${COLD%; }. Last window, median of the instances: $(echo "$COLD_LASTS" | median) ms = $(ratio "$(echo "$COLD_LASTS" | median)" "$WARM_MS") × warm ($(echo "${SESS[portcullis]}" | median)/s at $WARM_MS ms, above)."
  for name in $AOT_TRAININGS; do
    [ -n "${COLD_AOT[$name]:-}" ] || continue
    echo "(c, cold, AOT cache trained on $name) the same, taking turns with them, from an AOT cache written by $(case "$name" in rounds) echo "a training run on whole rounds (transfers, then sessions) of ${AOT_TRAINED[$name]:-–}" ;; sessions) echo "a training run on sessions alone of ${AOT_TRAINED[$name]:-–}" ;; *) echo "portcullis train, without this lab's traffic (${AOT_TRAINED[$name]:-–})" ;; esac) (-XX:AOTCacheOutput, then -XX:AOTCache): ${COLD_AOT[$name]%; }.$([ -n "${COLD_AOT_LASTS[$name]:-}" ] && echo " Last window, median: $(echo "${COLD_AOT_LASTS[$name]}" | median) ms = $(ratio "$(echo "${COLD_AOT_LASTS[$name]}" | median)" "$WARM_MS") × warm.")"
  done
  echo "(e) Portcullis (default settings, $JAVA_OPTS) with $IDLE_OK of $IDLE idle control sessions, each with its backend connection (to a greeter): RSS $((RSS0 / 1024)) → $((RSS1 / 1024)) MiB, heap used $(mbs "$HEAP0") → $(mbs "$HEAP1") MB; per session $(awk -v a="$RSS0" -v b="$RSS1" -v n="${IDLE_OK:-1}" 'BEGIN {printf "%.1f", (b - a) / n}') KiB of RSS, so 10,000 sessions ≈ $(awk -v a="$RSS0" -v b="$RSS1" -v n="${IDLE_OK:-1}" 'BEGIN {printf "%.0f", (a + (b - a) / n * 10000) / 1024}') MiB."
  echo "(f) NOOP round trip: direct p50 $((D50 / 1000)) µs, p99 $((D99 / 1000)) µs; through Portcullis p50 $((P50 / 1000)) µs, p99 $((P99 / 1000)) µs; added p50 $(((P50 - D50) / 1000)) µs, p99 $(((P99 - D99) / 1000)) µs."
  d=$(echo "${FTPS[direct]}" | median); p=$(echo "${FTPS[portcullis]}" | median)
  mp=""
  if [ -n "${FTPS[mod_proxy]:-}" ]; then
    x=$(echo "${FTPS[mod_proxy]}" | median)
    mp=" ProFTPD $("$MODPROXY_ROOT/usr/sbin/proftpd" -v 2>&1 | grep -o '[0-9][0-9.]*' | head -n1) + mod_proxy (OpenSSL), which does the same: $(mbs "$x") MB/s ($(ratio "$x" "$d") of direct); Portcullis = $(ratio "$p" "$x") × mod_proxy."
  fi
  echo "(g) explicit FTPS RETR ${SIZE_MIB} MiB, one stream (PROT P; curl → vsftpd requiring TLS): direct $(mbs "$d") MB/s; through Portcullis, which ends the client's TLS and opens its own to vsftpd (BoringSSL), $(mbs "$p") MB/s ($(ratio "$p" "$d") of direct);$mp The kernel helper and ftp-proxy cannot carry FTPS."
  echo
} | tee -a "${RESULTS_FILE:-benchmarks/RESULTS.md}"
