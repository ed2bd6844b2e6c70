package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// timelineMain is the hidden subcommand
//
//	timeline -server PID -client PID < perf-script-output
//
// that trace-echo.sh runs. It reads the system calls of an echo server and
// its load client on one connection, recorded with perf's syscall
// tracepoints and printed by `perf script -F pid,tid,time,event,trace`,
// cuts each process's calls on the connection into round trips, and
// prints where a round trip's time goes on either side: receiving,
// turning around, sending, and waiting for the other side.
func timelineMain(args []string) error {
	fs := flag.NewFlagSet("timeline", flag.ExitOnError)
	server := fs.Int("server", 0, "process id of the echo server")
	client := fs.Int("client", 0, "process id of the load client")
	fs.Parse(args)
	if *server == 0 || *client == 0 {
		return fmt.Errorf("-server and -client are required")
	}
	calls, err := parsePerfSyscalls(os.Stdin)
	if err != nil {
		return err
	}
	for _, side := range []struct {
		name string
		pid  int
	}{{"server", *server}, {"client", *client}} {
		trips := echoTrips(connCalls(calls[side.pid]))
		if len(trips) < 3 {
			return fmt.Errorf("%s (pid %d): %d round trips traced, too few", side.name, side.pid, len(trips))
		}
		fmt.Printf("%s, median of %d round trips:\n", side.name, len(trips))
		printTripSummary(os.Stdout, trips)
	}
	return nil
}

// A tracedCall is one completed system call of a traced process.
type tracedCall struct {
	name        string // "read", "writev", "epoll_pwait", ...
	fd          int    // first argument, for the calls that take a descriptor; else -1
	enter, exit time.Duration
	ret         int64 // the return value; negative: -errno
}

// parsePerfSyscalls reads `perf script -F pid,tid,time,event,trace` output
// of sys_enter_* and sys_exit_* tracepoints and pairs each exit with its
// thread's enter, returning the completed calls of each process in order
// of their exits. Lines it does not understand are skipped.
func parsePerfSyscalls(r io.Reader) (map[int][]tracedCall, error) {
	type pending struct {
		name  string
		fd    int
		enter time.Duration
	}
	open := map[int]pending{} // by thread id
	calls := map[int][]tracedCall{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		ev, ok := parsePerfLine(sc.Text())
		if !ok {
			continue
		}
		if ev.enter {
			open[ev.tid] = pending{ev.name, ev.fd, ev.at}
			continue
		}
		p, ok := open[ev.tid]
		if !ok || p.name != ev.name {
			continue // entered before the recording began
		}
		delete(open, ev.tid)
		calls[ev.pid] = append(calls[ev.pid], tracedCall{name: ev.name, fd: p.fd, enter: p.enter, exit: ev.at, ret: ev.ret})
	}
	return calls, sc.Err()
}

// perfEvent is one line of perf script output.
type perfEvent struct {
	pid, tid int
	at       time.Duration
	enter    bool
	name     string
	fd       int   // enter: the fd argument, or -1
	ret      int64 // exit: the return value
}

// parsePerfLine parses a line such as
//
//	28467/28469 84919.086626:  syscalls:sys_enter_read: fd: 0x00000006, buf: 0x376e, count: 0x00010000
//	28467/28469 84919.086624:  syscalls:sys_exit_read: 0x1000
func parsePerfLine(line string) (perfEvent, bool) {
	var ev perfEvent
	f := strings.Fields(line)
	if len(f) < 4 {
		return ev, false
	}
	pid, tid, ok := strings.Cut(f[0], "/")
	if !ok {
		return ev, false
	}
	var err1, err2, err3 error
	ev.pid, err1 = strconv.Atoi(pid)
	ev.tid, err2 = strconv.Atoi(tid)
	ev.at, err3 = parsePerfTime(strings.TrimSuffix(f[1], ":"))
	if err1 != nil || err2 != nil || err3 != nil {
		return ev, false
	}
	event := strings.TrimSuffix(f[2], ":")
	if name, ok := strings.CutPrefix(event, "syscalls:sys_enter_"); ok {
		ev.enter, ev.name, ev.fd = true, name, -1
		if f[3] == "fd:" && len(f) > 4 {
			fd, err := strconv.ParseUint(strings.TrimSuffix(f[4], ","), 0, 32)
			if err == nil {
				ev.fd = int(fd)
			}
		}
		return ev, true
	}
	if name, ok := strings.CutPrefix(event, "syscalls:sys_exit_"); ok {
		v, err := strconv.ParseUint(f[3], 0, 64)
		if err != nil {
			return ev, false
		}
		ev.name, ev.ret = name, int64(v) // a negative errno wraps back
		return ev, true
	}
	return ev, false
}

// parsePerfTime parses perf's "seconds.fraction" time stamps exactly.
func parsePerfTime(s string) (time.Duration, error) {
	secs, frac, _ := strings.Cut(s, ".")
	if len(frac) > 9 {
		return 0, fmt.Errorf("time %q: too many digits", s)
	}
	sec, err := strconv.ParseUint(secs, 10, 32)
	if err != nil {
		return 0, err
	}
	var ns uint64
	if frac != "" {
		if ns, err = strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 32); err != nil {
			return 0, err
		}
	}
	return time.Duration(sec)*time.Second + time.Duration(ns), nil
}

// isRead and isWrite tell the data calls on a socket apart.
func isRead(name string) bool {
	return name == "read" || name == "readv" || name == "recvfrom" || name == "recvmsg"
}

func isWrite(name string) bool {
	return name == "write" || name == "writev" || name == "sendto" || name == "sendmsg"
}

// connCalls keeps the calls that concern the connection, the descriptor
// that carried the most written bytes, and the waits (every call without
// a descriptor of its own, such as epoll_pwait and futex).
func connCalls(calls []tracedCall) []tracedCall {
	written := map[int]int64{}
	for _, c := range calls {
		if isWrite(c.name) && c.ret > 0 {
			written[c.fd] += c.ret
		}
	}
	conn, most := -1, int64(0)
	for fd, n := range written {
		if n > most {
			conn, most = fd, n
		}
	}
	var out []tracedCall
	for _, c := range calls {
		if isRead(c.name) || isWrite(c.name) {
			if c.fd != conn {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}

// An echoTrip is one round trip as one side saw it: a run of reads that
// brought data and a run of writes, with the time between them.
type echoTrip struct {
	firstIn, lastIn   time.Duration // exits of the first and last reads that brought data
	firstOut, lastOut time.Duration // enter of the first write, exit of the last
	reads, empty      int           // reads that brought data, and reads that found none
	writes, waits     int           // writes, and calls without a descriptor
}

// echoTrips cuts one side's calls into round trips. A trip is a run of
// reads followed by a run of writes, for either side: the server's
// round trip ends with its echo going out, the client's with the next
// message. Calls before the first data read are left out, and so is a
// last run without writes.
//
// Reads that find nothing and other calls count towards the trip whose
// data they wait for: those after a trip's writes, towards the next.
func echoTrips(calls []tracedCall) []echoTrip {
	var trips []echoTrip
	var cur, next echoTrip // next gathers the calls after cur's writes
	writing := false
	for _, c := range calls {
		tally := &cur
		if writing {
			tally = &next
		}
		switch {
		case isRead(c.name) && c.ret > 0:
			if writing {
				trips = append(trips, cur)
				cur, next, writing = next, echoTrip{}, false
			}
			if cur.reads == 0 {
				cur.firstIn = c.exit
			}
			cur.lastIn = c.exit
			cur.reads++
		case cur.reads == 0:
			// Before the first data: not part of a trip.
		case isRead(c.name):
			tally.empty++
		case isWrite(c.name):
			if !writing {
				cur.firstOut = c.enter
			}
			writing = true
			cur.lastOut = c.exit
			cur.writes++
		default:
			tally.waits++
		}
	}
	return trips
}

// printTripSummary prints the medians (the harness's nearest-rank p50)
// of the phases of trips: the time
// from the first to the last data read, from there to the first write,
// from there to the end of the last write, and from the end of one trip's
// writes to the next trip's first data; and the calls per trip.
func printTripSummary(w io.Writer, trips []echoTrip) {
	var receive, turn, send, wait []time.Duration
	var reads, empty, writes, waits []int
	for i, t := range trips {
		receive = append(receive, t.lastIn-t.firstIn)
		turn = append(turn, t.firstOut-t.lastIn)
		send = append(send, t.lastOut-t.firstOut)
		if i+1 < len(trips) {
			wait = append(wait, trips[i+1].firstIn-t.lastOut)
		}
		reads = append(reads, t.reads)
		empty = append(empty, t.empty)
		writes = append(writes, t.writes)
		waits = append(waits, t.waits)
	}
	us := func(d []time.Duration) string {
		slices.Sort(d)
		return fmt.Sprintf("%7.1f µs", float64(percentile(d, 50))/1e3)
	}
	n := func(v []int) string {
		sum := 0
		for _, x := range v {
			sum += x
		}
		return fmt.Sprintf("%5.1f", float64(sum)/float64(len(v)))
	}
	fmt.Fprintf(w, "  receiving   %s  (first to last read that brought data)\n", us(receive))
	fmt.Fprintf(w, "  turning     %s  (last read to first write)\n", us(turn))
	fmt.Fprintf(w, "  sending     %s  (first write to the end of the last)\n", us(send))
	fmt.Fprintf(w, "  waiting     %s  (end of the writes to the next data)\n", us(wait))
	fmt.Fprintf(w, "  per round trip, on average: %s data reads, %s empty reads, %s writes, %s other calls\n",
		n(reads), n(empty), n(writes), n(waits))
}
