#!/usr/bin/env perl
# Stand-in for curl's tests/ftpserver.pl (installed as ftpserver.pl in the proxied copy of the
# test directory by .ci/curl-ftp-suite.sh): whenever runtests.pl starts its FTP server, this starts
# the real one (ftpserver-real.pl) on a port of its own, then ONE Portcullis in front of it on a
# free loopback port, and hands runtests the proxy's port as the server's. runtests' verification
# (curl ftp://.../verifiedserver) and every test then go through the proxy.
# Other protocols (pop3, imap, smtp) and IPv6 are passed to the real server untouched.
#
# Environment (set by curl-ftp-suite.sh): PORTCULLIS_JAR, PORTCULLIS_CONF (YAML),
# PORTCULLIS_PASSIVE (LO-HI), PORTCULLIS_RUNDIR (proxy logs and pid files, for cleanup).
use strict;
use warnings;
use IO::Socket::INET;
use POSIX ":sys_wait_h";
use Time::HiRes qw(sleep time);

my @args = @ARGV;
my %opt;
for (my $i = 0; $i < @args; $i++) {
    if ($args[$i] =~ /^--(pidfile|portfile|logfile|srcdir|proto|id|port|addr)$/) {
        $opt{$1} = $args[$i + 1];
        $i++;
    }
    elsif ($args[$i] =~ /^--ipv(\d)$/) {
        $opt{ipv} = $1;
    }
}
my $srcdir = $opt{srcdir} || $ENV{srcdir} || '.';
my $real = "$srcdir/ftpserver-real.pl";
my @perl = ('perl', "-I$srcdir");

if (($opt{proto} || 'ftp') ne 'ftp' || ($opt{ipv} || 4) != 4 || !$opt{pidfile} || !$opt{portfile}) {
    exec(@perl, $real, @args) or die "exec $real: $!";
}

my $rundir = $ENV{PORTCULLIS_RUNDIR} || 'log';
my $stamp = sprintf("%d-%d", time(), $$);
my $pidfile = $opt{pidfile};
my $portfile = $opt{portfile};
my $realpidfile = "$pidfile.real";
my $realportfile = "$portfile.real";
unlink($realpidfile, $realportfile, $pidfile, $portfile);

sub note { open(my $fh, '>>', "$rundir/hook.log") or return; print $fh scalar(localtime) . " [$$] @_\n"; close $fh; }

my @realargs = map { $_ eq $pidfile ? $realpidfile : $_ eq $portfile ? $realportfile : $_ } @args;
my $realpid = fork();
die "fork: $!" unless defined $realpid;
if ($realpid == 0) { exec(@perl, $real, @realargs) or die "exec $real: $!"; }

my $proxypid;
sub readfile { my ($f) = @_; open(my $fh, '<', $f) or return undef; my $l = <$fh>; close $fh; chomp $l if defined $l; return $l; }
sub stop_all {
    if ($proxypid) {
        # TERM first so that its log is complete; it drains open sessions, so KILL after 1.5 s
        kill('TERM', $proxypid);
        my $end = time() + 1.5;
        while (time() < $end && waitpid($proxypid, WNOHANG) == 0) { sleep(0.05); }
        if (waitpid($proxypid, WNOHANG) == 0) { kill('KILL', $proxypid); waitpid($proxypid, 0); }
        unlink("$rundir/proxy-$stamp.pid"); $proxypid = 0;
    }
    my $rp = readfile($realpidfile);
    # the real server writes its own pid (possibly negated); its sockfilt helpers are cleaned by runtests
    kill('TERM', abs($rp)) if $rp && $rp =~ /^-?\d+$/;
    kill('TERM', $realpid) if $realpid;
    my $end = time() + 3;
    while (time() < $end && waitpid($realpid, WNOHANG) == 0) { sleep(0.05); }
    kill('KILL', $realpid) if waitpid($realpid, WNOHANG) == 0;
    unlink($pidfile, $realpidfile, $realportfile);
}
$SIG{TERM} = $SIG{INT} = $SIG{HUP} = sub { note("signal: stopping"); stop_all(); exit 0; };

# the real server is up when it has written its port file
my $deadline = time() + 15;
my $realport;
while (time() < $deadline) {
    $realport = readfile($realportfile);
    last if $realport && $realport =~ /^\d+$/ && -s $realpidfile;
    if (waitpid($realpid, WNOHANG) != 0) { note("real server exited early"); exit 1; }
    sleep(0.05);
}
unless ($realport && $realport =~ /^\d+$/) { note("real server did not start"); stop_all(); exit 1; }

# a free loopback port for the proxy (bound and released; nothing else races for it on loopback
# within the run but the test processes' own ephemeral ports)
my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp', Listen => 1, ReuseAddr => 1)
    or die "no free port: $!";
my $port = $s->sockport;
close($s);

my $log = "$rundir/proxy-$stamp.log";
$proxypid = fork();
die "fork: $!" unless defined $proxypid;
if ($proxypid == 0) {
    open(STDOUT, '>', $log); open(STDERR, '>&', \*STDOUT); open(STDIN, '<', '/dev/null');
    exec('java', '-XX:TieredStopAtLevel=1', '-Xshare:auto', '-jar', $ENV{PORTCULLIS_JAR},
         '--config', $ENV{PORTCULLIS_CONF}, '--listen', "127.0.0.1:$port",
         '--backend', "127.0.0.1:$realport", '--passive-ports', ($ENV{PORTCULLIS_PASSIVE} || '30100-30119'),
         '--admin-listen', 'off') or die "exec java: $!";
}
if (open(my $fh, '>', "$rundir/proxy-$stamp.pid")) { print $fh "$proxypid\n"; close $fh; }

# listening when its log says so (a probe connection would reach the scripted server)
$deadline = time() + 20;
my $up = 0;
while (time() < $deadline) {
    if (open(my $fh, '<', $log)) { local $/; my $t = <$fh> // ''; close $fh; if ($t =~ /listening on/) { $up = 1; last; } }
    if (waitpid($proxypid, WNOHANG) != 0) { $proxypid = 0; last; }
    sleep(0.05);
}
unless ($up) { note("proxy did not start, see $log"); stop_all(); exit 1; }
note("proxy pid $proxypid on 127.0.0.1:$port -> real ftpserver pid $realpid on port $realport");

# hand runtests the proxy's port, and this process as the server's pid: stopping it stops both
open(my $pf, '>', $portfile) or die; print $pf "$port\n"; close $pf;
open(my $pp, '>', $pidfile) or die; print $pp "$$\n"; close $pp;

# live as long as the real server does
while (1) {
    if (waitpid($realpid, WNOHANG) != 0) { $realpid = 0; note("real server exited"); stop_all(); exit 0; }
    if ($proxypid && waitpid($proxypid, WNOHANG) != 0) { $proxypid = 0; note("proxy exited"); stop_all(); exit 1; }
    sleep(0.2);
}
