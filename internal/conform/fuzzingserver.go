package conform

import (
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wsx-go/websocket/internal/rawframe"
)

// FuzzingServer plays the server for clients under test, speaking Autobahn's
// fuzzingserver URL scheme, so a client written for Autobahn runs unchanged:
//
//	/getCaseCount                   a text message with the number of cases
//	/getCaseInfo?case=N             a JSON text message with case N's id and description
//	/runCase?case=N&agent=A         case N (1-based) played against client A
//	/getCaseStatus?case=N&agent=A   a JSON text message with the verdict of case N for A
//	/updateReports?agent=A          the reports are written; then a normal close
type FuzzingServer struct {
	Cases []*Case
	// OnResult, when set, is told about each case as it ends.
	OnResult func(agent string, index int, r *Result)
	// OnUpdateReports, when set, is called for /updateReports.
	OnUpdateReports func(agent string)

	mu      sync.Mutex
	results map[string][]*Result // by agent, in case order
	running map[string]int       // cases being played or judged, by agent
}

// settleTimeout bounds the wait of /getCaseStatus and /updateReports for the
// agent's cases still being judged.
const settleTimeout = 5 * time.Second

// settle waits until no case of agent is still being played or judged. A
// client moves on as soon as its connection ends, which may be before the
// server has judged the case and stored the result: without this wait,
// /updateReports could report without the last case.
func (f *FuzzingServer) settle(agent string) {
	deadline := time.Now().Add(settleTimeout)
	for {
		f.mu.Lock()
		n := f.running[agent]
		f.mu.Unlock()
		if n == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Results returns the results of every agent so far, by agent.
func (f *FuzzingServer) Results() map[string][]*Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string][]*Result, len(f.results))
	for a, rs := range f.results {
		var done []*Result
		for _, r := range rs {
			if r != nil {
				done = append(done, r)
			}
		}
		out[a] = done
	}
	return out
}

// ServeHTTP dispatches on the URL path.
func (f *FuzzingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	agent := agentName(q.Get("agent"))
	switch r.URL.Path {
	case "/getCaseCount":
		f.sendText(w, r, strconv.Itoa(len(f.Cases)))
	case "/getCaseInfo":
		c := f.caseAt(q.Get("case"))
		if c == nil {
			http.Error(w, "no such case", http.StatusNotFound)
			return
		}
		info, _ := json.Marshal(map[string]string{"id": c.ID, "description": c.Description})
		f.sendText(w, r, string(info))
	case "/getCaseStatus":
		f.settle(agent)
		status := map[string]string{"behavior": "UNKNOWN"}
		if i, err := strconv.Atoi(q.Get("case")); err == nil {
			f.mu.Lock()
			if rs := f.results[agent]; i >= 1 && i <= len(rs) && rs[i-1] != nil {
				status["behavior"] = string(rs[i-1].Behavior)
			}
			f.mu.Unlock()
		}
		b, _ := json.Marshal(status)
		f.sendText(w, r, string(b))
	case "/runCase":
		i, err := strconv.Atoi(q.Get("case"))
		if err != nil || i < 1 || i > len(f.Cases) {
			http.Error(w, "no such case", http.StatusNotFound)
			return
		}
		f.runCase(w, r, agent, i)
	case "/updateReports":
		f.settle(agent)
		if f.OnUpdateReports != nil {
			f.OnUpdateReports(agent)
		}
		f.sendText(w, r, "")
	default:
		http.NotFound(w, r)
	}
}

func (f *FuzzingServer) caseAt(s string) *Case {
	i, err := strconv.Atoi(s)
	if err != nil || i < 1 || i > len(f.Cases) {
		return nil
	}
	return f.Cases[i-1]
}

func (f *FuzzingServer) runCase(w http.ResponseWriter, r *http.Request, agent string, i int) {
	// Count the case as running before the handshake answer, so the client
	// cannot ask for the reports before it counts.
	f.mu.Lock()
	if f.running == nil {
		f.running = make(map[string]int)
	}
	f.running[agent]++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running[agent]--
		f.mu.Unlock()
	}()
	c := f.Cases[i-1]
	nc, br, neg, err := upgradeRaw(w, r, c.Compression)
	if err != nil {
		return
	}
	defer nc.Close()
	res := newSession(nc, br, true, neg).run(c)
	f.mu.Lock()
	if f.results == nil {
		f.results = make(map[string][]*Result)
	}
	rs := f.results[agent]
	for len(rs) < len(f.Cases) {
		rs = append(rs, nil)
	}
	rs[i-1] = res
	f.results[agent] = rs
	f.mu.Unlock()
	if f.OnResult != nil {
		f.OnResult(agent, i, res)
	}
}

// sendText upgrades, sends msg as a text message (none if empty) and closes
// normally.
func (f *FuzzingServer) sendText(w http.ResponseWriter, r *http.Request, msg string) {
	nc, br, _, err := upgradeRaw(w, r, nil)
	if err != nil {
		return
	}
	defer nc.Close()
	if msg != "" {
		rawframe.Write(nc, rawframe.Frame{Fin: true, Opcode: 1, Payload: []byte(msg)})
	}
	rawframe.Write(nc, rawframe.Frame{Fin: true, Opcode: 8, Payload: binary.BigEndian.AppendUint16(nil, 1000)})
	// Wait briefly for the client's close frame, then close TCP first.
	nc.SetReadDeadline(time.Now().Add(closeHandshakeTimeout))
	for {
		h, _, err := readFrame(br)
		if err != nil || h.Opcode == 8 {
			return
		}
	}
}
