package main

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// The phases of a load run, shared by its connection goroutines.
const (
	phaseWarm int32 = iota
	phaseMeasure
	phaseStop
)

// echoLoad is the outcome of one closed-loop echo run.
type echoLoad struct {
	RoundTrips int64           // round trips completed while measuring
	Elapsed    time.Duration   // length of the measuring window
	Latencies  []time.Duration // of the measured round trips, unsorted
}

// runEchoLoad opens conns connections to addr and has each send size-byte
// messages and wait for their echoes, one at a time, for warm and then for
// measure; only round trips that end inside the measuring window count.
func runEchoLoad(addr string, raw bool, conns, size int, warm, measure time.Duration) (echoLoad, error) {
	cs := make([]*echoConn, 0, conns)
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	for range conns {
		c, err := dialEcho(addr, raw, size)
		if err != nil {
			return echoLoad{}, err
		}
		cs = append(cs, c)
	}

	var phase atomic.Int32
	var wg sync.WaitGroup
	lats := make([][]time.Duration, conns)
	errs := make([]error, conns)
	for i, c := range cs {
		wg.Go(func() {
			var lat []time.Duration
			for phase.Load() != phaseStop {
				t0 := time.Now()
				if err := c.roundTrip(); err != nil {
					errs[i] = err
					phase.Store(phaseStop)
					break
				}
				if phase.Load() == phaseMeasure {
					lat = append(lat, time.Since(t0))
				}
			}
			lats[i] = lat
		})
	}
	time.Sleep(warm)
	phase.CompareAndSwap(phaseWarm, phaseMeasure)
	start := time.Now()
	time.Sleep(measure)
	phase.Store(phaseStop)
	res := echoLoad{Elapsed: time.Since(start)}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return echoLoad{}, err
	}
	for _, l := range lats {
		res.Latencies = append(res.Latencies, l...)
	}
	res.RoundTrips = int64(len(res.Latencies))
	return res, nil
}
