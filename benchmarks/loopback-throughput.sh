#!/usr/bin/env bash
# Loopback throughput and TLS handshake rate, measured interleaved in one run:
#   direct          curl -> vsftpd
#   proxy           curl -> Portcullis (plain) -> vsftpd
#   ftps-boringssl  curl (explicit FTPS, PROT P) -> Portcullis (BoringSSL) -> vsftpd (plain: TLS offload)
#   ftps-jdk        the same with the JDK TLS provider
# and AUTH TLS handshakes per second on the control channel for both providers.
# Everything runs on 127.0.0.1; every process started here is stopped by its PID.
# Usage: bash benchmarks/loopback-throughput.sh [SIZE_MIB=1024] [ROUNDS=3]
# Needs: root (vsftpd), vsftpd, curl, python3, openssl; appends to benchmarks/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
ROUNDS=${2:-3}
WORK=$(mktemp -d /dev/shm/portcullis-bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

[ -f target/portcullis.jar ] || mvn -q -B package -DskipTests
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p "$WORK/root" && chmod 755 "$WORK" "$WORK/root"
dd if=/dev/urandom of="$WORK/root/file.bin" bs=1M count="$SIZE_MIB" status=none
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -days 2 -subj /CN=localhost 2>/dev/null

VS_PORT=$(free_port)
cat > "$WORK/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$VS_PORT
background=NO
anonymous_enable=YES
anon_root=$WORK/root
no_anon_password=YES
local_enable=NO
pasv_min_port=48000
pasv_max_port=48099
seccomp_sandbox=NO
isolate_network=NO
isolate=NO
xferlog_enable=NO
CONF
mkdir -p /var/run/vsftpd/empty
vsftpd "$WORK/vsftpd.conf" & PIDS+=($!)

start_proxy() { # name port extra-yaml
  cat > "$WORK/$1.yaml" <<CONF
listen: 127.0.0.1:$2
backend: 127.0.0.1:$VS_PORT
passive-ports: $3
$4
CONF
  java -jar target/portcullis.jar --config "$WORK/$1.yaml" > "$WORK/$1.log" 2>&1 & PIDS+=($!)
}
P_PLAIN=$(free_port); P_SSL=$(free_port); P_JDK=$(free_port)
start_proxy plain "$P_PLAIN" 48100-48199 ""
start_proxy boringssl "$P_SSL" 48200-48299 "tls: {cert: $WORK/cert.pem, key: $WORK/key.pem, provider: openssl}"
start_proxy jdk "$P_JDK" 48300-48399 "tls: {cert: $WORK/cert.pem, key: $WORK/key.pem, provider: jdk}"
for port in "$VS_PORT" "$P_PLAIN" "$P_SSL" "$P_JDK"; do
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done

rate() { curl -sS -o /dev/null -w '%{speed_download}' "$@"; }
declare -A R
for round in $(seq 1 "$ROUNDS"); do
  R[direct]+="$(rate ftp://127.0.0.1:$VS_PORT/file.bin) "
  R[proxy]+="$(rate ftp://127.0.0.1:$P_PLAIN/file.bin) "
  R[ftps-boringssl]+="$(rate --ssl-reqd -k ftp://127.0.0.1:$P_SSL/file.bin) "
  R[ftps-jdk]+="$(rate --ssl-reqd -k ftp://127.0.0.1:$P_JDK/file.bin) "
  echo "round $round done" >&2
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

handshakes() { # port seconds -> handshakes per second (4 threads)
  python3 - "$1" "$2" <<'PY'
import socket, ssl, sys, threading, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
count = [0]; lock = threading.Lock(); stop = time.time() + secs
def work():
    while time.time() < stop:
        s = socket.create_connection(("127.0.0.1", port)); f = s.makefile("rb")
        f.readline(); s.sendall(b"AUTH TLS\r\n"); f.readline()
        t = ctx.wrap_socket(s, server_hostname="localhost"); t.sendall(b"QUIT\r\n"); t.recv(100); t.close()
        with lock: count[0] += 1
threads = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
print(round(count[0] / secs))
PY
}
HS_SSL=$(handshakes "$P_SSL" 10)
HS_JDK=$(handshakes "$P_JDK" 10)

d=$(echo "${R[direct]}" | median); p=$(echo "${R[proxy]}" | median)
b=$(echo "${R[ftps-boringssl]}" | median); j=$(echo "${R[ftps-jdk]}" | median)
mb() { awk -v x="$1" 'BEGIN {printf "%.0f", x / 1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
OUT=benchmarks/RESULTS.md
{
  echo "## Loopback run $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(java -version 2>&1 | head -n1)."
  echo "Command: \`bash benchmarks/loopback-throughput.sh $SIZE_MIB $ROUNDS\` (RETR of ${SIZE_MIB} MiB from tmpfs, curl, medians of $ROUNDS interleaved rounds; MB = 10^6 bytes)."
  echo "Client, proxy and server share the same cores, so every figure includes the client's and server's CPU too."
  echo
  echo "| path | MB/s | ratio |"
  echo "|---|---|---|"
  echo "| direct to vsftpd | $(mb "$d") | 1.00 (of direct) |"
  echo "| through Portcullis, plain | $(mb "$p") | $(ratio "$p" "$d") of direct |"
  echo "| through Portcullis, FTPS (BoringSSL), plain backend | $(mb "$b") | $(ratio "$b" "$p") of plain through the proxy |"
  echo "| through Portcullis, FTPS (JDK), plain backend | $(mb "$j") | $(ratio "$j" "$p") of plain through the proxy; BoringSSL is $(ratio "$b" "$j")x the JDK |"
  echo
  echo "AUTH TLS handshakes per second on the control channel (4 client threads, 10 s): BoringSSL $HS_SSL, JDK $HS_JDK."
  echo
  echo "Raw rounds (bytes/s): direct ${R[direct]}; proxy ${R[proxy]}; ftps-boringssl ${R[ftps-boringssl]}; ftps-jdk ${R[ftps-jdk]}"
  echo
} | tee -a "$OUT"
