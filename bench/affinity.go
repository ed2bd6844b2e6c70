package main

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Which CPU each side runs on.
const (
	serverCPU = 0
	clientCPU = 1
)

// canPin reports whether the process may run on both CPUs the harness pins
// to.
func canPin() bool {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil {
		return false
	}
	return set.IsSet(serverCPU) && set.IsSet(clientCPU)
}

// pinProcess restricts every thread of this process to cpu. Threads the
// runtime starts later inherit the mask of the thread that creates them,
// so pinning the existing ones pins the process.
func pinProcess(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return fmt.Errorf("pin thread %d to CPU %d: %w", tid, cpu, err)
		}
	}
	return nil
}

// raiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit; child
// processes inherit it.
func raiseFileLimit() error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		return unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
	}
	return nil
}
