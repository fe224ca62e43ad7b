#!/usr/bin/env bash
# curl's own FTP test suite as an outside judge of Portcullis (issue 29).
#
# Fetches the source of the installed curl from Debian (a private deb-src list built from the
# machine's apt sources; no host name is written here), builds what its FTP tests need (the test
# servers' sockfilt etc., not libcurl), selects the tests whose only server is "ftp" and that run no
# libtest tool, and runs them twice against the installed /usr/bin/curl:
#   direct  - curl -> curl's scripted FTP server (tests/ftpserver.pl)
#   proxied - curl -> Portcullis -> the same server: in a copy of tests/ whose ftpserver.pl is
#             .ci/curl-ftp-hook.pl, which starts the real server on a port of its own and one
#             Portcullis in front of it each time runtests starts its FTP server.
# In the proxied copy every test's <verify><strip> also drops PASV/EPSV/PORT/EPRT lines from the
# expected and the recorded protocol: the proxy chooses its own data connection set-up towards the
# server.
# Prints both scores; exits 1 if a test that passes direct fails through the proxy and is not in
# .ci/curl-ftp-allow.txt (one test number per line, its reason after '#').
#
# Loopback only. Bounded: each curl run is killed after $CURL_SUITE_TEST_TIMEOUT s (20), each
# runtests run after $CURL_SUITE_TIMEOUT s (900).
# Environment: CURL_SUITE_CACHE (default target/curl-ftp-suite; holds src/, apt/, work dirs),
# CURL_SUITE_TESTS (test numbers to run instead of the selection), CURL_SUITE_SKIP_DIRECT=1,
# PORTCULLIS_PASSIVE (default 30100-30119, below the kernel's ephemeral range).
# Needs: perl, gcc, make, dpkg-dev (dpkg-source), java, a built target/portcullis.jar
# (mvn -o -q -B package -DskipTests).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
CACHE=${CURL_SUITE_CACHE:-$REPO/target/curl-ftp-suite}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
SRC=$CACHE/src
TEST_TIMEOUT=${CURL_SUITE_TEST_TIMEOUT:-20}
TOTAL_TIMEOUT=${CURL_SUITE_TIMEOUT:-900}
ALLOW=$REPO/.ci/curl-ftp-allow.txt
JAR=$REPO/target/portcullis.jar
START=$(date +%s)

[ -f "$JAR" ] || { echo "missing $JAR: mvn -o -q -B package -DskipTests" >&2; exit 2; }
CURL=/usr/bin/curl
[ -x "$CURL" ] || { echo "no $CURL" >&2; exit 2; }

# ---- 1. the source of the installed curl
if [ ! -f "$SRC/tests/runtests.pl" ]; then
  version=$(dpkg-query -W -f='${Version}' curl)
  echo "== fetching the source of curl $version"
  apt_dir=$CACHE/apt
  mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$CACHE/dl"
  rm -f "$apt_dir/parts/"*
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" > "$apt_dir/parts/$(basename "$f")"
  done
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > "$apt_dir/parts/one-line.list"
  fi
  apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/parts"
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Debug::NoLocking=1)
  # A third-party list without sources makes update complain; the Debian ones are all that is needed.
  timeout 300 apt-get "${apt_opts[@]}" -qq update || echo "(apt-get update reported errors; trying the download anyway)"
  (cd "$CACHE/dl" && timeout 300 apt-get "${apt_opts[@]}" -qq source --download-only "curl=$version")
  rm -rf "$SRC"
  (cd "$CACHE/dl" && dpkg-source -q -x ./*.dsc "$SRC")
fi

# ---- 2. the test servers (sockfilt and friends), not libcurl
if [ ! -x "$SRC/tests/server/sockfilt" ]; then
  echo "== building tests/server"
  (cd "$SRC" && nice ./configure --without-ssl --disable-shared --without-libpsl --without-zlib \
      --without-brotli --without-zstd --without-libidn2 --without-nghttp2 --without-libssh2 \
      --disable-ldap --without-librtmp --disable-manual --disable-threaded-resolver \
      > "$CACHE/configure.log" 2>&1) || { tail -20 "$CACHE/configure.log"; exit 2; }
  nice make -j2 -C "$SRC/tests/server" > "$CACHE/make-server.log" 2>&1 || { tail -20 "$CACHE/make-server.log"; exit 2; }
fi

# ---- 3. the tests: only server "ftp", no libtest tool
select_tests() {
  perl -e '
    opendir(my $d, $ARGV[0]) or die; my @n;
    for my $f (grep { /^test\d+$/ } readdir($d)) {
      open(my $fh, "<", "$ARGV[0]/$f") or next; local $/; my $t = <$fh>; close $fh;
      my ($c) = $t =~ m{<client>(.*?)</client>}s or next;
      my ($s) = $c =~ m{<server>\s*(.*?)\s*</server>}s or next;
      my @s = grep { length } split /\s+/, $s;
      next unless @s == 1 && $s[0] eq "ftp";
      next if $c =~ m{<tool>};
      push @n, substr($f, 4);
    }
    print join(" ", sort { $a <=> $b } @n), "\n";' "$1"
}
TESTS=${CURL_SUITE_TESTS:-$(select_tests "$SRC/tests/data")}
echo "== $(wc -w <<<"$TESTS") tests (server ftp only, no libtest tool)"

# curl with a per-run time limit
mkdir -p "$CACHE/bin"
cat > "$CACHE/bin/curl" <<EOF
#!/bin/sh
exec timeout -k 2 $TEST_TIMEOUT $CURL "\$@"
EOF
chmod +x "$CACHE/bin/curl"

# the proxied copy of tests/: symlinks, except ftpserver.pl (the hook), data/ (strip added), log/
PDIR=$SRC/tests-portcullis
rm -rf "$PDIR"
mkdir -p "$PDIR/data" "$PDIR/run"
for f in "$SRC"/tests/*; do
  case "$(basename "$f")" in data|log|ftpserver.pl) ;; *) ln -s "$f" "$PDIR/" ;; esac
done
ln -s "$SRC/tests/ftpserver.pl" "$PDIR/ftpserver-real.pl"
cp "$REPO/.ci/curl-ftp-hook.pl" "$PDIR/ftpserver.pl"
perl -e '
  my ($from, $to) = @ARGV;
  my $pat = q{^(PASV|EPSV|PORT|EPRT)\b};
  opendir(my $d, $from) or die;
  for my $f (readdir($d)) {
    next if $f =~ /^\.\.?$/;
    open(my $in, "<", "$from/$f") or die; local $/; my $t = <$in>; close $in;
    if ($f =~ /^test\d+$/ && $t =~ /<verify>/) {
      if ($t =~ m{<verify>.*<strip>.*</verify>}s) { $t =~ s{(<verify>.*?<strip>\n)}{$1$pat\n}s; }
      else { $t =~ s{<verify>\n}{<verify>\n<strip>\n$pat\n</strip>\n}; }
    }
    open(my $out, ">", "$to/$f") or die; print $out $t; close $out;
  }' "$SRC/tests/data" "$PDIR/data"
cat > "$PDIR/run/portcullis.yaml" <<'EOF'
# Portcullis in front of curl's scripted FTP server. Its defaults, except:
health-check:
  enabled: false          # the scripted server takes one connection at a time: a probe would be a test's session
policy:
  ban-after-failures: 0   # the suite logs in wrongly on purpose, from 127.0.0.1, many times
EOF

run_suite() { # dir label
  local dir=$1 label=$2
  echo "== $label run"
  (cd "$dir" && rm -rf log && PORTCULLIS_JAR=$JAR PORTCULLIS_CONF=$PDIR/run/portcullis.yaml \
     PORTCULLIS_RUNDIR=$PDIR/run PORTCULLIS_PASSIVE=${PORTCULLIS_PASSIVE:-30100-30119} \
     timeout -k 10 "$TOTAL_TIMEOUT" perl ./runtests.pl -n -a -p -c "$CACHE/bin/curl" -vc "$CURL" -ac "$CURL" \
       $TESTS > "$CACHE/$label.log" 2>&1) || true
  # any proxy left behind by a server the suite killed hard
  for p in "$PDIR"/run/proxy-*.pid; do
    [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null; rm -f "$p"
  done
  grep -a -E "^TESTDONE: [0-9]+ tests out of" "$CACHE/$label.log" || echo "$label: no score (see $CACHE/$label.log)"
}
ok_tests() { perl -ne '
    if (/^test 0*(\d+)\.\.\./) { $t = $1 } if (/\bOK \(\d+\s+out of/ && defined $t) { print "$t\n"; undef $t }' "$1"; }

if [ "${CURL_SUITE_SKIP_DIRECT:-0}" != 1 ]; then
  run_suite "$SRC/tests" direct
fi
run_suite "$PDIR" proxied

# (with CURL_SUITE_SKIP_DIRECT=1 the previous direct run's log is used)
[ -f "$CACHE/direct.log" ] || { echo "no direct run to compare with" >&2; exit 2; }
tr ' ' '\n' <<<"$TESTS" | sed '/^$/d' | sort > "$CACHE/selected"
ok_tests "$CACHE/direct.log" | sort | comm -12 - "$CACHE/selected" > "$CACHE/direct.ok"
ok_tests "$CACHE/proxied.log" | sort > "$CACHE/proxied.ok"
sed -n 's/^\s*\([0-9][0-9]*\).*/\1/p' "$ALLOW" | sort > "$CACHE/allowed"
comm -23 "$CACHE/direct.ok" "$CACHE/proxied.ok" > "$CACHE/lost"
unexpected=$(comm -23 "$CACHE/lost" "$CACHE/allowed" | tr '\n' ' ')
fixed=$(comm -12 "$CACHE/proxied.ok" "$CACHE/allowed" | tr '\n' ' ')

echo "== scores: direct $(wc -l < "$CACHE/direct.ok") passed, through Portcullis $(wc -l < "$CACHE/proxied.ok") passed" \
     "($(wc -l < "$CACHE/lost") lost, allow-listed $(comm -12 "$CACHE/lost" "$CACHE/allowed" | wc -l)); $(( $(date +%s) - START )) s"
[ -n "$fixed" ] && echo "== allow-listed but passing now (take them off the list): $fixed"
if [ -n "$unexpected" ]; then
  echo "== FAIL: pass direct, fail through Portcullis, not allow-listed: $unexpected"
  echo "   (logs: $CACHE/proxied.log; rerun one with CURL_SUITE_TESTS=N CURL_SUITE_SKIP_DIRECT=1 and see $PDIR/log)"
  exit 1
fi
echo "== ok"
