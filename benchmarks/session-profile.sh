#!/usr/bin/env bash
# One Portcullis in front of one vsftpd on loopback, driven by the harness's session workload
# (8 ftplib workers: anonymous login, EPSV, LIST, QUIT), to see where a session's CPU goes:
# sessions/s and the proxy's CPU per session (user and system apart) after an untimed warm-up,
# and with PROFILE=1 a perf profile of the measured window (Java frames named through the JVM's
# perf map). Loopback only; every process it starts is stopped by PID at exit.
#
#   bash benchmarks/session-profile.sh                 # warm figures
#   PROFILE=1 bash benchmarks/session-profile.sh       # and target/session-profile.txt (top frames)
#   JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java PORTCULLIS_JAVA_OPTS="..." bash benchmarks/session-profile.sh
#
# Where haproxy is installed, every round also measures HAProxy in TCP mode (the harness's recipe:
# the control port and the server's passive range, EPSV only) before a vsftpd of its own, so that
# each Portcullis figure has a ratio to the C relay from the same run (HAPROXY=0 leaves it out).
# HAProxy listens on 127.0.0.2: a 229 names only a port, which the client opens on the address it
# used for control, and there HAProxy, not that vsftpd (on 127.0.0.1), holds the passive range.
#
# JAR_B=other.jar runs a second Portcullis ("portcullis-b", its own port and passive range, the same
# vsftpd) beside the first and measures it in every round right after it: an A/B whose pairs are
# seconds apart, so that the machine's drift (HAProxy's own figure moves by 20 % between runs
# here) does not decide it. The report gives B's CPU per session as a ratio to A's, round by round.
#
# Needs vsftpd, python3, java (and perf for PROFILE=1); builds target/portcullis.jar if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA=${JAVA:-java}
WARM_SECONDS=${WARM_SECONDS:-20}
SECONDS_MEASURED=${SECONDS_MEASURED:-10}
ROUNDS=${ROUNDS:-3}
PROFILE=${PROFILE:-0}
JAVA_OPTS=${PORTCULLIS_JAVA_OPTS:--Xss256k -XX:+UseSerialGC}
BACKEND_PORT=${BACKEND_PORT:-2200}
PROXY_PORT=${PROXY_PORT:-2300}
HAPROXY=${HAPROXY:-$(command -v haproxy >/dev/null && echo 1 || echo 0)}
HAPROXY_BACKEND_PORT=$((BACKEND_PORT + 1)); HAPROXY_PORT=$((PROXY_PORT + 1))
HZ=$(getconf CLK_TCK)
JAR=${JAR:-target/portcullis.jar}
JAR_B=${JAR_B:-}
[ -f "$JAR" ] || mvn -q -B -DskipTests package
WORK=$(mktemp -d /tmp/session-profile.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

mkdir -p "$WORK/root" /var/run/vsftpd/empty
for i in $(seq 1 20); do echo "file $i" > "$WORK/root/f$i.txt"; done
# The harness's vsftpd, on loopback with its own port and passive range.
sed -n '/^cat > "\$WORK\/vsftpd.conf" <<CONF$/,/^CONF$/p' benchmarks/netns-harness.sh | sed '1d;$d' \
  | sed -e 's/^listen_address=.*/listen_address=127.0.0.1/' -e "s/^listen_port=.*/listen_port=$BACKEND_PORT/" \
        -e "s|^anon_root=.*|anon_root=$WORK/root|" -e 's/^pasv_min_port=.*/pasv_min_port=41000/' \
        -e 's/^pasv_max_port=.*/pasv_max_port=41999/' > "$WORK/vsftpd.conf"
grep -q "^listen_port=$BACKEND_PORT" "$WORK/vsftpd.conf" || { echo "cannot read the vsftpd config from netns-harness.sh"; exit 1; }
vsftpd "$WORK/vsftpd.conf" & PIDS+=($!)
if [ "$HAPROXY" = 1 ]; then
  sed -e "s/^listen_port=.*/listen_port=$HAPROXY_BACKEND_PORT/" -e 's/^pasv_min_port=.*/pasv_min_port=43000/' \
      -e 's/^pasv_max_port=.*/pasv_max_port=43999/' "$WORK/vsftpd.conf" > "$WORK/vsftpd-haproxy.conf"
  vsftpd "$WORK/vsftpd-haproxy.conf" & PIDS+=($!)
  cat > "$WORK/haproxy.cfg" <<CONF
global
  maxconn 4000
defaults
  mode tcp
  option splice-auto
  timeout connect 5s
  timeout client 3600s
  timeout server 3600s
frontend ftp_control
  bind 127.0.0.2:$HAPROXY_PORT
  default_backend vsftpd_control
backend vsftpd_control
  server s1 127.0.0.1:$HAPROXY_BACKEND_PORT
frontend ftp_data
  bind 127.0.0.2:43000-43999
  default_backend vsftpd_data
backend vsftpd_data
  server s1 127.0.0.1
CONF
  haproxy -db -f "$WORK/haproxy.cfg" > "$WORK/haproxy.log" 2>&1 & HPID=$!
  PIDS+=($HPID)
fi
cat > "$WORK/portcullis.yaml" <<CONF
listen: 127.0.0.1:$PROXY_PORT
backend: 127.0.0.1:$BACKEND_PORT
passive-ports: 51000-51999
limits: {max-sessions-per-ip: 1000}
admin: {listen: "off"}
CONF
perf_opts=""
[ "$PROFILE" = 1 ] && perf_opts="-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -XX:+PreserveFramePointer"
# shellcheck disable=SC2086
"$JAVA" $JAVA_OPTS $perf_opts -jar "$JAR" --config "$WORK/portcullis.yaml" > "$WORK/portcullis.log" 2>&1 & JPID=$!
PIDS+=($JPID)
for _ in $(seq 1 100); do grep -q "listening on" "$WORK/portcullis.log" && break; sleep 0.1; done
grep -q "listening on" "$WORK/portcullis.log" || { cat "$WORK/portcullis.log"; exit 1; }
BPID=""
if [ -n "$JAR_B" ]; then
  sed -e "s/^listen: .*/listen: 127.0.0.1:$((PROXY_PORT + 2))/" -e 's/^passive-ports: .*/passive-ports: 52000-52999/' \
    "$WORK/portcullis.yaml" > "$WORK/portcullis-b.yaml"
  # shellcheck disable=SC2086
  "$JAVA" $JAVA_OPTS -jar "$JAR_B" --config "$WORK/portcullis-b.yaml" > "$WORK/portcullis-b.log" 2>&1 & BPID=$!
  PIDS+=($BPID)
  for _ in $(seq 1 100); do grep -q "listening on" "$WORK/portcullis-b.log" && break; sleep 0.1; done
  grep -q "listening on" "$WORK/portcullis-b.log" || { cat "$WORK/portcullis-b.log"; exit 1; }
fi
sed -n '/^cat > "\$WORK\/sessions.py"/,/^PY$/p' benchmarks/netns-harness.sh | sed '1d;$d' > "$WORK/sessions.py"

cpu() { awk '{print $14, $15}' "/proc/${1:-$JPID}/stat"; }
# Per thread (name, CPU ticks, context switches), to see which threads a session's CPU goes to.
threads() { for t in /proc/${1:-$JPID}/task/*; do
  printf '%s\t%s\t%s\n' "$(cat "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")" \
    "$(awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s}' "$t/status")"; done 2>/dev/null | sort; }
WARM_JIT_PERCENT=${WARM_JIT_PERCENT:-3}; WARM_MAX_SECONDS=${WARM_MAX_SECONDS:-300}
jit_ticks() { threads "$1" | awk -F'\t' '$1 ~ /^C[12] CompilerThre/ {s += $2} END {print s + 0}'; }
# As in netns-harness.sh, a warm-up goes on in 10-s chunks while the JIT compiler threads took more
# than WARM_JIT_PERCENT of the JVM's CPU (at most WARM_MAX_SECONDS in all): on a slow machine a
# fixed warm-up measures a JVM that is still compiling. WARM_SECONDS=0 (a cold curve) skips it.
warm() {  # pid, port, name
  local spent=$WARM_SECONDS j0 j1 u0 s0 u1 s1
  python3 "$WORK/sessions.py" "127.0.0.1:$2" "$WARM_SECONDS" > /dev/null
  while [ "$spent" -lt "$WARM_MAX_SECONDS" ]; do
    j0=$(jit_ticks "$1"); read -r u0 s0 < <(cpu "$1")
    python3 "$WORK/sessions.py" "127.0.0.1:$2" 10 > /dev/null
    j1=$(jit_ticks "$1"); read -r u1 s1 < <(cpu "$1"); spent=$((spent + 10))
    awk -v d=$((j1 > j0 ? j1 - j0 : 0)) -v p=$((u1 + s1 - u0 - s0)) -v l="$WARM_JIT_PERCENT" 'BEGIN {exit !(p > 0 && d / p * 100 <= l)}' && break
  done
  echo "warm-up of $3: $spent s (until the JIT took at most $WARM_JIT_PERCENT % of the JVM's CPU over 10 s, at most $WARM_MAX_SECONDS s)"
}
if [ "$WARM_SECONDS" -gt 0 ]; then
  warm "$JPID" "$PROXY_PORT" portcullis
  [ -n "$BPID" ] && warm "$BPID" $((PROXY_PORT + 2)) portcullis-b
fi
[ "$HAPROXY" = 1 ] && python3 "$WORK/sessions.py" "127.0.0.2:$HAPROXY_PORT" 3 > /dev/null
# Context switches of all of a process's threads.
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print s}'; }
report() {  # name, sessions/s, user ticks, system ticks, context switches
  awk -v m="$1" -v n="$2" -v s="$SECONDS_MEASURED" -v u="$3" -v y="$4" -v x="$5" -v hz="$HZ" -v r="$r" 'BEGIN {
    t = n * s; printf "round %d: %-12s %d sessions/s; CPU per session %.3f ms (user %.3f, system %.3f); %.1f context switches\n", r, m, n,
      (u + y) / hz * 1000 / t, u / hz * 1000 / t, y / hz * 1000 / t, x / t }'
}
# Bytes allocated in the last round: young collections (jstat) times eden's size, plus eden's growth
# (jcmd GC.heap_info: jstat's eden figure is only updated at a collection under the serial GC).
JDK_BIN=$(dirname "$(readlink -f "$(command -v "$JAVA")")")
heap() {
  local line bottom top ec ygc
  line=$("$JDK_BIN/jcmd" "$JPID" GC.heap_info 2>/dev/null | grep -m1 'eden space') || return 0
  ec=$(echo "$line" | sed -E 's/.*eden space ([0-9]+)K.*/\1/')
  read -r bottom top < <(echo "$line" | sed -E 's/.*\[(0x[0-9a-f]+), (0x[0-9a-f]+),.*/\1 \2/')
  ygc=$("$JDK_BIN/jstat" -gc "$JPID" | awk 'NR == 1 {for (i = 1; i <= NF; i++) c[$i] = i} NR == 2 {print $c["YGC"]}')
  echo "$ec $((top - bottom)) $ygc"
}
# The second build, measured right after the first in odd rounds and right before it in even ones
# (whichever comes first after HAProxy's window measured a few per cent higher here).
measure_b() {
  local u0 s0 x0 u1 s1 x1 n
  read -r u0 s0 < <(cpu "$BPID"); x0=$(switches "$BPID")
  n=$(python3 "$WORK/sessions.py" "127.0.0.1:$((PROXY_PORT + 2))" "$SECONDS_MEASURED")
  read -r u1 s1 < <(cpu "$BPID"); x1=$(switches "$BPID")
  report portcullis-b "$n" $((u1 - u0)) $((s1 - s0)) $((x1 - x0)) | tee -a "$WORK/rounds"
}
# A JVM that sat idle while the other warmed up gets a few seconds of sessions before round 1.
if [ -n "$BPID" ]; then
  python3 "$WORK/sessions.py" "127.0.0.1:$PROXY_PORT" 5 > /dev/null
  python3 "$WORK/sessions.py" "127.0.0.1:$((PROXY_PORT + 2))" 5 > /dev/null
fi
echo "java: $("$JAVA" -version 2>&1 | head -n1); opts: $JAVA_OPTS"
for r in $(seq 1 "$ROUNDS"); do
  [ -n "$BPID" ] && [ $((r % 2)) = 0 ] && measure_b
  read -r u0 s0 < <(cpu); x0=$(switches "$JPID")
  [ "$r" = "$ROUNDS" ] && threads > "$WORK/threads0" && heap > "$WORK/heap0"
  if [ "${SYSCALLS:-0}" = 1 ] && [ "$r" = "$ROUNDS" ]; then
    # Syscalls of the measured window (strace slows the proxy: this round's rates are not comparable).
    timeout -s INT "$SECONDS_MEASURED" strace -c -f -p "$JPID" -o "$WORK/strace.txt" > /dev/null 2>&1 &
    STRACE=$!
  fi
  if [ "$PROFILE" = 1 ] && [ "$r" = "$ROUNDS" ]; then
    perf record -F 999 -g -p "$JPID" -o "$WORK/perf.data" -- sleep "$SECONDS_MEASURED" > /dev/null 2>&1 &
    PERF=$!
  fi
  n=$(python3 "$WORK/sessions.py" "127.0.0.1:$PROXY_PORT" "$SECONDS_MEASURED")
  read -r u1 s1 < <(cpu); x1=$(switches "$JPID")
  [ "$r" = "$ROUNDS" ] && threads > "$WORK/threads1" && heap > "$WORK/heap1" && last_n=$n
  report portcullis "$n" $((u1 - u0)) $((s1 - s0)) $((x1 - x0)) | tee -a "$WORK/rounds"
  [ -n "$BPID" ] && [ $((r % 2)) = 1 ] && measure_b
  if [ "$HAPROXY" = 1 ]; then
    read -r u0 s0 < <(cpu "$HPID"); x0=$(switches "$HPID")
    n=$(python3 "$WORK/sessions.py" "127.0.0.2:$HAPROXY_PORT" "$SECONDS_MEASURED")
    read -r u1 s1 < <(cpu "$HPID"); x1=$(switches "$HPID")
    report haproxy "$n" $((u1 - u0)) $((s1 - s0)) $((x1 - x0)) | tee -a "$WORK/rounds"
  fi
done
if [ -n "$BPID" ]; then
  awk '{gsub(/[(),]/, " ")} $3 == "portcullis" {a[$2] = $9} $3 == "portcullis-b" {b[$2] = $9}
    END {for (i = 1; (i ":") in a; i++) if ((i ":") in b) {r = i ":"; printf "round %s B/A %.3f; ", r, b[r] / a[r]; s = s " " b[r] / a[r]}
      n = split(s, v, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) {t = v[i]; v[i] = v[j]; v[j] = t}
      printf "\nportcullis-b / portcullis, CPU per session, by round (median %.3f)\n", (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2}' "$WORK/rounds"
fi
if [ "$HAPROXY" = 1 ]; then
  # Medians over the rounds, and Portcullis' as a ratio to HAProxy's.
  awk '{gsub(/[(),]/, " ")} {rate[$3] = rate[$3] " " $4; cpu[$3] = cpu[$3] " " $9}
    function median(list,   a, n, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
      if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }; return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END { pr = median(rate["portcullis"]); hr = median(rate["haproxy"]); pc = median(cpu["portcullis"]); hc = median(cpu["haproxy"])
      printf "medians: portcullis %d sessions/s, %.3f ms a session; haproxy %d sessions/s, %.3f ms a session\n", pr, pc, hr, hc
      printf "ratios to haproxy: sessions/s %.2fx, CPU per session %.2fx\n", pr / hr, pc / hc }' "$WORK/rounds"
fi
if [ "${SYSCALLS:-0}" = 1 ]; then
  wait "$STRACE" || true
  mkdir -p target
  awk -v n=$((last_n * SECONDS_MEASURED)) 'NR > 2 && $4 ~ /^[0-9]+$/ && $NF != "total" {printf "  %-20s %.2f per session\n", $NF, $4 / n}' "$WORK/strace.txt" \
    | sort -k2 -rn | head -25 > target/session-syscalls.txt
  echo "syscalls per session: target/session-syscalls.txt"; cat target/session-syscalls.txt
fi
# Threads by name (a pool's threads summed): CPU ms and context switches per session in the last round.
echo "last round, per session, by thread: CPU ms, context switches"
awk -F'\t' -v t=$((last_n * SECONDS_MEASURED)) -v hz="$HZ" '{gsub(/[0-9]+/, "N", $1)}
  NR == FNR {c0[$1] += $2; x0[$1] += $3; next} {c1[$1] += $2; x1[$1] += $3}
  END {for (k in c1) { d = c1[k] - c0[k]; if (d > 0 || x1[k] - x0[k] > t / 10)
  printf "  %-28s %.3f ms  %.1f switches\n", k, d / hz * 1000 / t, (x1[k] - x0[k]) / t } }' \
  "$WORK/threads0" "$WORK/threads1" | sort -k2 -rn
if [ -s "$WORK/heap1" ]; then
  read -r ec0 eu0 y0 < "$WORK/heap0"; read -r ec1 eu1 y1 < "$WORK/heap1"
  awk -v ec="$ec1" -v eu0="$eu0" -v eu1="$eu1" -v y=$((y1 - y0)) -v t=$((last_n * SECONDS_MEASURED)) \
    'BEGIN {printf "last round: %.1f KB allocated per session (%d young collections)\n", (y * ec * 1024 + eu1 - eu0) / 1024 / t, y}'
fi
if [ "$PROFILE" = 1 ]; then
  wait "$PERF" || true
  kill "$JPID"; wait "$JPID" 2>/dev/null || true   # the JVM writes /tmp/perf-PID.map as it exits
  mkdir -p target
  cp "$WORK/perf.data" target/session-profile.data
  cp "/tmp/perf-$JPID.map" target/ 2>/dev/null || true
  { echo "# by binary"; perf report -i "$WORK/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep '%' | head -12
    echo "# by function"; perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep '%' | head -60
    echo "# who creates exceptions (callers of fill_in_stack_trace)"
    perf report -i "$WORK/perf.data" --no-children --stdio -G -S java_lang_Throwable::fill_in_stack_trace 2>/dev/null | grep -E '^ +[|-]' | head -40
  } > target/session-profile.txt
  echo "profile: target/session-profile.txt"
  rm -f "/tmp/perf-$JPID.map"
fi
