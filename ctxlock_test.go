package websocket

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitForWaiters waits until n waiters are counted in l's state.
func waitForWaiters(t *testing.T, l *ctxLock, n int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for l.state.Load()>>1 != n {
		if time.Now().After(deadline) {
			t.Fatalf("state %#x: want %d waiters", l.state.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCtxLockFreeAndHeld(t *testing.T) {
	var l ctxLock
	if err := l.lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l.tryLock() {
		t.Fatal("tryLock took a held lock")
	}
	l.unlock()
	if !l.tryLock() {
		t.Fatal("tryLock failed on a free lock")
	}
	l.unlock()
	// A free lock is taken even with an ended context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.lock(ctx); err != nil {
		t.Fatalf("free lock with ended context: %v", err)
	}
	l.unlock()
	if s := l.state.Load(); s != 0 {
		t.Fatalf("state %#x after unlock, want 0", s)
	}
}

func TestCtxLockUnlockUnlockedPanics(t *testing.T) {
	var l ctxLock
	defer func() {
		if recover() == nil {
			t.Fatal("unlock of a free lock did not panic")
		}
	}()
	l.unlock()
}

// TestCtxLockCancel: a waiter whose context ends returns its error and
// leaves the lock as it found it.
func TestCtxLockCancel(t *testing.T) {
	var l ctxLock
	l.lock(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.lock(ctx) }()
	waitForWaiters(t, &l, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("lock = %v, want context.Canceled", err)
	}
	if s := l.state.Load(); s != ctxLockHeld {
		t.Fatalf("state %#x after the waiter left, want held with none waiting", s)
	}
	l.unlock()
	if !l.tryLock() {
		t.Fatal("lock not free after the canceled waiter and unlock")
	}
	l.unlock()
}

// TestCtxLockHandOff: unlock hands the lock to the waiter; a new locker
// cannot take it in between.
func TestCtxLockHandOff(t *testing.T) {
	var l ctxLock
	l.lock(context.Background())
	got := make(chan struct{})
	release := make(chan struct{})
	go func() {
		l.lock(context.Background())
		close(got)
		<-release
		l.unlock()
	}()
	waitForWaiters(t, &l, 1)
	l.unlock()
	if l.tryLock() {
		t.Fatal("tryLock took a lock handed to a waiter")
	}
	<-got
	close(release)
	if err := l.lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.unlock()
}

// TestCtxLockCancelRacingUnlock ends a waiter's context just before, just
// after or while the holder unlocks, many times; whichever wins, the lock
// must come out free and usable.
func TestCtxLockCancelRacingUnlock(t *testing.T) {
	var l ctxLock
	for i := range 3000 {
		l.lock(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			err := l.lock(ctx)
			if err == nil {
				l.unlock()
			}
			errc <- err
		}()
		waitForWaiters(t, &l, 1)
		switch i % 3 {
		case 0:
			cancel()
			l.unlock()
		case 1:
			l.unlock()
			cancel()
		default:
			go cancel()
			l.unlock()
		}
		if err := <-errc; err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("lock = %v", err)
		}
		if s := l.state.Load(); s != 0 {
			t.Fatalf("state %#x after both left, want 0", s)
		}
		cancel()
	}
}

// TestCtxLockExclusion runs lockers with and without deadlines against one
// lock and checks that no two ever hold it at once and that every lock
// that succeeded was counted.
func TestCtxLockExclusion(t *testing.T) {
	var (
		l       ctxLock
		holders atomic.Int32
		count   int // guarded by l
		taken   atomic.Int64
		wg      sync.WaitGroup
	)
	const workers, rounds = 8, 3000
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				ctx := context.Background()
				cancel := func() {}
				if (w+i)%3 == 0 {
					ctx, cancel = context.WithTimeout(ctx, time.Duration(i%5)*time.Microsecond)
				}
				if l.lock(ctx) == nil {
					if holders.Add(1) != 1 {
						t.Error("two holders at once")
					}
					count++
					taken.Add(1)
					holders.Add(-1)
					l.unlock()
				}
				cancel()
			}
		})
	}
	wg.Wait()
	if int64(count) != taken.Load() {
		t.Fatalf("count %d, want %d", count, taken.Load())
	}
	if taken.Load() < workers*rounds*2/3 {
		t.Fatalf("only %d of %d locks taken; the lockers without deadline must all succeed", taken.Load(), workers*rounds)
	}
	if s := l.state.Load(); s != 0 {
		t.Fatalf("state %#x at the end, want 0", s)
	}
}

func BenchmarkCtxLock(b *testing.B) {
	var l ctxLock
	ctx := context.Background()
	for b.Loop() {
		l.lock(ctx)
		l.unlock()
	}
}
