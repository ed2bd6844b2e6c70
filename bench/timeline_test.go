package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParsePerfLine(t *testing.T) {
	tests := []struct {
		line string
		ok   bool
		want perfEvent
	}{
		{
			line: "28467/28469 84919.086626:        syscalls:sys_enter_read: fd: 0x00000006, buf: 0x376ecb80ff2, count: 0x00010000",
			ok:   true,
			want: perfEvent{pid: 28467, tid: 28469, at: 84919086626 * time.Microsecond, enter: true, name: "read", fd: 6},
		},
		{
			line: "28467/28469 84919.086624:         syscalls:sys_exit_read: 0x1000",
			ok:   true,
			want: perfEvent{pid: 28467, tid: 28469, at: 84919086624 * time.Microsecond, name: "read", ret: 4096},
		},
		{
			line: "7/8 1.000002:         syscalls:sys_exit_read: 0xfffffffffffffff5",
			ok:   true,
			want: perfEvent{pid: 7, tid: 8, at: 1000002 * time.Microsecond, name: "read", ret: -11},
		},
		{
			line: "7/8 1.5: syscalls:sys_enter_epoll_pwait: epfd: 0x00000007, events: 0x7f9a, maxevents: 0x00000080",
			ok:   true,
			want: perfEvent{pid: 7, tid: 8, at: 1500 * time.Millisecond, enter: true, name: "epoll_pwait", fd: -1},
		},
		{line: "", ok: false},
		{line: "perf: some warning", ok: false},
		{line: "7 1.5: syscalls:sys_exit_read: 0x1", ok: false},           // no thread id
		{line: "7/8 1.5: sched:sched_switch: prev_comm=bench", ok: false}, // not a system call
		{line: "7/8 1.5: syscalls:sys_exit_read: garbage", ok: false},     // no return value
		{line: "7/8 soon: syscalls:sys_exit_read: 0x1", ok: false},        // no time
		{line: "x/8 1.5: syscalls:sys_exit_read: 0x1", ok: false},         // no process id
		{line: "7/8 1.5: syscalls:sys_exit_read: 0x1 trailing", ok: true, want: perfEvent{pid: 7, tid: 8, at: 1500 * time.Millisecond, name: "read", ret: 1}},
	}
	for _, tt := range tests {
		got, ok := parsePerfLine(tt.line)
		if ok != tt.ok {
			t.Errorf("parsePerfLine(%q): ok %v, want %v", tt.line, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if got != tt.want {
			t.Errorf("parsePerfLine(%q) = %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

// perfTrace builds perf script lines of one process, pid 1, thread 1:
// each call is "name fd start end ret", times in microseconds.
func perfTrace(calls ...string) string {
	var b strings.Builder
	for _, c := range calls {
		var name string
		var fd, start, end int
		var ret int64
		if _, err := fmt.Sscan(c, &name, &fd, &start, &end, &ret); err != nil {
			panic(err)
		}
		fmt.Fprintf(&b, "1/1 1.%06d: syscalls:sys_enter_%s: fd: %#x, buf: 0x0, count: 0x10000\n", start, name, fd)
		fmt.Fprintf(&b, "1/1 1.%06d: syscalls:sys_exit_%s: %#x\n", end, name, uint64(ret))
	}
	return b.String()
}

func TestEchoTrips(t *testing.T) {
	// A server's view: two messages, each read in two pieces with a wait
	// between, echoed in a lead write and one more; a read of another
	// descriptor (standard input) and a write to it, which are not the
	// connection's; and an unfinished third message, which is left out.
	trace := perfTrace(
		"read 6 0 1 -11", // before any data: left out
		"epoll_pwait -1 2 10 1",
		"read 6 10 12 65536",
		"read 6 13 15 -11",
		"epoll_pwait -1 15 20 1",
		"read 6 20 24 1000",
		"read 0 24 25 5",
		"write 6 30 33 4096",
		"writev 6 33 40 62440",
		"write 1 41 42 3",
		"read 6 40 41 -11",
		"epoll_pwait -1 41 50 1",
		"read 6 50 52 66536",
		"write 6 55 57 4096",
		"writev 6 57 60 62440",
		"read 6 70 71 10",
	)
	calls, err := parsePerfSyscalls(strings.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	trips := echoTrips(connCalls(calls[1]))
	us := func(n int) time.Duration { return time.Second + time.Duration(n)*time.Microsecond }
	want := []echoTrip{
		{firstIn: us(12), lastIn: us(24), firstOut: us(30), lastOut: us(40), reads: 2, empty: 1, writes: 2, waits: 1},
		{firstIn: us(52), lastIn: us(52), firstOut: us(55), lastOut: us(60), reads: 1, empty: 1, writes: 2, waits: 1},
	}
	if len(trips) != len(want) {
		t.Fatalf("%d trips, want %d: %+v", len(trips), len(want), trips)
	}
	for i := range want {
		if trips[i] != want[i] {
			t.Errorf("trip %d = %+v, want %+v", i, trips[i], want[i])
		}
	}

	var out bytes.Buffer
	printTripSummary(&out, trips)
	for _, line := range []string{
		"receiving       0.0 µs", // of 12 and 0, the nearest-rank p50: the lower one
		"turning         3.0 µs", // of 6 and 3
		"sending         5.0 µs", // of 10 and 5
		"waiting        12.0 µs", // 52 − 40, the only gap between trips
		"2.0 writes",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("summary lacks %q:\n%s", line, out.String())
		}
	}
}

func TestParsePerfSyscallsPairsByThread(t *testing.T) {
	// Two threads interleave; an exit whose enter was not recorded is
	// dropped, and so is an exit of another call than the one entered.
	trace := "1/1 1.000010: syscalls:sys_enter_read: fd: 0x5, buf: 0x0, count: 0x10\n" +
		"1/2 1.000011: syscalls:sys_enter_write: fd: 0x5, buf: 0x0, count: 0x10\n" +
		"1/3 1.000012: syscalls:sys_exit_read: 0x10\n" +
		"1/2 1.000013: syscalls:sys_exit_write: 0x10\n" +
		"1/1 1.000014: syscalls:sys_exit_read: 0x8\n" +
		"1/4 1.000015: syscalls:sys_enter_readv: fd: 0x5, buf: 0x0, count: 0x10\n" +
		"1/4 1.000016: syscalls:sys_exit_read: 0x8\n"
	calls, err := parsePerfSyscalls(strings.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	got := calls[1]
	if len(got) != 2 || got[0].name != "write" || got[0].ret != 16 || got[1].name != "read" || got[1].ret != 8 || got[1].fd != 5 {
		t.Fatalf("calls = %+v, want the write of 16 and the read of 8", got)
	}
}
