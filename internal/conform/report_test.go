package conform

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func intp(n int) *int { return &n }

// sampleResults is a small run of one agent: a pass, a non-strict pass, a
// failure with a wrong close code and a timed section 9 case.
func sampleResults() []*Result {
	return []*Result{
		{
			ID: "1.1.1", Description: "Send a text message with an empty payload.", Expectation: "Echo.",
			Behavior: OK, BehaviorClose: OK,
			Result: "Actual events match at least one expected.", ResultClose: "Connection was properly closed",
			Expected:        []Outcome{{OK, []Event{Message(nil, false)}}},
			ExpectedClose:   CloseExpectation{ClosedByMe: true, Codes: []int{1000}, RequireClean: true},
			Received:        []Event{Message([]byte{}, false)},
			RemoteCloseCode: intp(1000), WasClean: true, ClosedByMe: true,
			Duration: 2*time.Millisecond + 400*time.Microsecond,
			WireLog: []WireEntry{
				{At: time.Millisecond, Dir: "TX", Text: "frame op=1 fin=true rsv=0 len=0"},
				{At: 2 * time.Millisecond, Dir: "RX", Text: "frame op=8 fin=true rsv=0 len=2", Payload: []byte{3, 232}, Length: 2},
			},
		},
		{
			ID: "2.10", Description: "Ten pings <b>then</b> nothing.", Expectation: "Pongs.",
			Behavior: NonStrict, BehaviorClose: OK, Result: "only the last pong", ResultClose: "Connection was properly closed",
			Expected: []Outcome{{OK, []Event{Pong([]byte("ping 1"))}}, {NonStrict, []Event{Pong([]byte("ping 9"))}}},
			Received: []Event{Pong([]byte("ping 9"))}, RemoteCloseCode: intp(1000), WasClean: true,
			Duration: 5 * time.Millisecond,
		},
		{
			ID: "7.9.1", Description: "Close with code 0.", Expectation: "Fail with 1002.",
			Behavior: OK, BehaviorClose: WrongCode, Result: "Actual events match at least one expected.",
			ResultClose:     "The close code should have been [1002] or empty",
			ExpectedClose:   CloseExpectation{ClosedByMe: true, Codes: []int{1002}},
			RemoteCloseCode: intp(1000), RemoteCloseReason: "bye", Duration: 1500 * time.Millisecond,
		},
		{
			ID: "9.1.1", Description: "Send a 64 KiB text message.", Expectation: "Echo.",
			Behavior: OK, BehaviorClose: OK, Result: "Received text message of length 65536.",
			ResultClose: "Connection was properly closed", RemoteCloseCode: intp(1000),
			ReportTime: true, Duration: 12*time.Millisecond + 600*time.Microsecond,
			Received: []Event{Message(bytes.Repeat([]byte{0xfe}, 300), true)},
		},
		{
			ID: "6.4.2", Description: "Invalid UTF-8 in fragments.", Expectation: "Fail fast.",
			Behavior: Failed, BehaviorClose: Unclean, Result: "Actual events differ from any expected.",
			ResultClose: "The spec requires the connection to be failed cleanly here",
			Duration:    3 * time.Millisecond,
		},
	}
}

func TestWriteSummary(t *testing.T) {
	tests := []struct {
		name    string
		results []*Result
		want    []string
		notWant []string
	}{
		{
			name:    "mixed",
			results: sampleResults(),
			want: []string{
				`agent "wsx": 5 cases in 1.523s, 2 passed, 3 did not`,
				"behaviour:       OK 3, NON-STRICT 1, FAILED 1",
				"close behaviour: OK 3, WRONG CODE 1, UNCLEAN 1",
				"not passing:",
				"2.10   NON-STRICT / close OK: only the last pong",
				"7.9.1  OK / close WRONG CODE: The close code should have been [1002] or empty",
				"6.4.2  FAILED / close UNCLEAN: Actual events differ",
			},
			notWant: []string{"1.1.1 ", "9.1.1"},
		},
		{
			name:    "all pass",
			results: sampleResults()[:1],
			want:    []string{"1 cases in 2ms, 1 passed, 0 did not", "behaviour:       OK 1"},
			notWant: []string{"not passing"},
		},
		{
			name:    "empty",
			results: nil,
			want:    []string{"0 cases", "behaviour:       -"},
		},
		{
			name:    "unknown verdict",
			results: []*Result{{ID: "1.1.1", Behavior: "ODD", BehaviorClose: OK}},
			want:    []string{"behaviour:       ODD 1", "1.1.1  ODD / close OK"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			WriteSummary(&b, "wsx", tt.results)
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("summary lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("summary has %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestReportFileName(t *testing.T) {
	tests := []struct{ agent, id, want string }{
		{"wsx", "1.1.1", "wsx_case_1_1_1.json"},
		{"AutobahnPython/0.6.0", "6.4.2", "autobahnpython_0_6_0_case_6_4_2.json"},
		{"  My Agent ", "10.1.1", "my_agent_case_10_1_1.json"},
		{"a--b", "2.1", "a__b_case_2_1.json"},
		{"", "9.1.1", "agent_case_9_1_1.json"},
	}
	for _, tt := range tests {
		if got := ReportFileName(tt.agent, tt.id); got != tt.want {
			t.Errorf("ReportFileName(%q, %q) = %q, want %q", tt.agent, tt.id, got, tt.want)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	dir := t.TempDir()
	in := map[string][]*Result{
		"wsx":       sampleResults(),
		"Other/1.0": sampleResults()[:2],
	}
	if err := WriteJSON(dir, in); err != nil {
		t.Fatal(err)
	}

	// index.json, read generically as other tools would.
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index map[string]map[string]map[string]any
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	if len(index) != 2 || len(index["wsx"]) != 5 || len(index["Other/1.0"]) != 2 {
		t.Fatalf("index agents/cases: %v", index)
	}
	tests := []struct {
		agent, id string
		want      map[string]any
	}{
		{"wsx", "1.1.1", map[string]any{"behavior": "OK", "behaviorClose": "OK", "duration": 2.0, "remoteCloseCode": 1000.0, "reportfile": "wsx_case_1_1_1.json"}},
		{"wsx", "7.9.1", map[string]any{"behavior": "OK", "behaviorClose": "WRONG CODE", "duration": 1500.0, "remoteCloseCode": 1000.0, "reportfile": "wsx_case_7_9_1.json"}},
		{"wsx", "9.1.1", map[string]any{"behavior": "OK", "behaviorClose": "OK", "duration": 13.0, "remoteCloseCode": 1000.0, "reportfile": "wsx_case_9_1_1.json"}},
		{"wsx", "6.4.2", map[string]any{"behavior": "FAILED", "behaviorClose": "UNCLEAN", "duration": 3.0, "remoteCloseCode": nil, "reportfile": "wsx_case_6_4_2.json"}},
		{"Other/1.0", "2.10", map[string]any{"behavior": "NON-STRICT", "behaviorClose": "OK", "duration": 5.0, "remoteCloseCode": 1000.0, "reportfile": "other_1_0_case_2_10.json"}},
	}
	for _, tt := range tests {
		got := index[tt.agent][tt.id]
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("index[%q][%q] = %v, want %v", tt.agent, tt.id, got, tt.want)
		}
		if _, err := os.Stat(filepath.Join(dir, tt.want["reportfile"].(string))); err != nil {
			t.Errorf("report file: %v", err)
		}
	}

	// A case file, read generically: Autobahn's key fields.
	b, err = os.ReadFile(filepath.Join(dir, "wsx_case_1_1_1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"id": "1.1.1", "agent": "wsx", "case": 1.0, "duration": 2.0, "behavior": "OK",
		"behaviorClose": "OK", "remoteCloseCode": 1000.0, "wasClean": true, "closedByMe": true,
	} {
		if !reflect.DeepEqual(c[k], want) {
			t.Errorf("case file %s = %#v, want %#v", k, c[k], want)
		}
	}
	for _, k := range []string{"expected", "expectedClose", "received", "wirelog", "description", "expectation", "result", "resultClose"} {
		if _, ok := c[k]; !ok {
			t.Errorf("case file lacks %q", k)
		}
	}

	// Round trip.
	out, err := ReadJSON(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(out), normalize(in)) {
		for a := range in {
			for i := range in[a] {
				if i < len(out[a]) && !reflect.DeepEqual(normalize1(out[a][i]), normalize1(in[a][i])) {
					t.Errorf("%s %s: round trip\n got %+v\nwant %+v", a, in[a][i].ID, out[a][i], in[a][i])
				}
			}
		}
		t.Fatalf("round trip differs")
	}
}

// normalize makes results comparable after a JSON round trip: empty and
// nil byte slices are the same.
func normalize(m map[string][]*Result) map[string][]*Result {
	out := map[string][]*Result{}
	for a, rs := range m {
		for _, r := range rs {
			out[a] = append(out[a], normalize1(r))
		}
	}
	return out
}

func normalize1(r *Result) *Result {
	c := *r
	fix := func(es []Event) []Event {
		var out []Event
		for _, e := range es {
			if len(e.Data) == 0 {
				e.Data = nil
			}
			out = append(out, e)
		}
		return out
	}
	c.Received = fix(c.Received)
	c.Expected = nil
	for _, o := range r.Expected {
		c.Expected = append(c.Expected, Outcome{o.Verdict, fix(o.Events)})
	}
	c.WireLog = nil
	for _, e := range r.WireLog {
		if len(e.Payload) == 0 {
			e.Payload = nil
		}
		c.WireLog = append(c.WireLog, e)
	}
	return &c
}

func TestWriteHTML(t *testing.T) {
	var b bytes.Buffer
	in := map[string][]*Result{
		"wsx":   sampleResults(),
		"other": sampleResults()[:1],
	}
	if err := WriteHTML(&b, in); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	tests := []struct {
		name string
		want string
	}{
		{"doctype", "<!DOCTYPE html>"},
		{"inline css", "<style>"},
		{"section header", "<td>1 Framing</td>"},
		{"section 9 header", "<td>9 Limits/Performance</td>"},
		{"agent column", `<th colspan="2">other</th><th colspan="2">wsx</th>`},
		{"pass cell", `<td class="ok"><a href="#wsx_case_1_1_1">OK</a></td><td class="close ok">1000</td>`},
		{"non-strict cell", `<td class="nonstrict"><a href="#wsx_case_2_10">NON-STRICT</a>`},
		{"wrong code cell", `<td class="close wrongcode">1000</td>`},
		{"failed cell", `<td class="failed"><a href="#wsx_case_6_4_2">FAILED</a></td><td class="close failed">unclean</td>`},
		{"missing cell", `<td class="missing" colspan="2">missing</td>`},
		{"section 9 duration", `<a href="#wsx_case_9_1_1">OK</a><span class="dur">13 ms</span>`},
		{"case anchor", `<h2 id="case_7_9_1">Case 7.9.1</h2>`},
		{"description escaped", "Ten pings &lt;b&gt;then&lt;/b&gt; nothing."},
		{"expectation", "<b>Expectation:</b> Fail with 1002."},
		{"expected events", `<li>pong, 6 bytes: &#34;ping 1&#34;</li>`},
		{"observed events", `<li>pong, 6 bytes: &#34;ping 9&#34;</li>`},
		{"binary cut", "binary message, 300 bytes: fefe"},
		{"binary cut length", "… (300 bytes)"},
		{"close details", "peer close code 1000, reason &#34;bye&#34;"},
		{"expected close", "closed first by the tester; peer close code 1002 (or none)"},
		{"wire log", `<td>RX</td><td>frame op=8 fin=true rsv=0 len=2</td><td class="payload">03e8</td>`},
		{"agent totals", "<b>wsx</b>: 2 of 5 cases passed"},
	}
	for _, tt := range tests {
		if !strings.Contains(out, tt.want) {
			t.Errorf("%s: HTML lacks %q", tt.name, tt.want)
		}
	}
	for _, bad := range []string{"http://", "https://", "<script", "<link"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML is not self-contained: has %q", bad)
		}
	}
	if strings.Contains(out, `<a href="#other_case_2_10"`) {
		t.Errorf("HTML links a case the agent did not run")
	}
	// Non-timed cases show no duration in the table.
	if strings.Contains(out, `<a href="#wsx_case_1_1_1">OK</a><span class="dur">`) {
		t.Errorf("a case without ReportTime shows its duration in the table")
	}
	if t.Failed() {
		t.Logf("HTML:\n%s", out)
	}
}

// TestCompressionReport checks that a permessage-deflate case's
// negotiation and ratios reach the HTML report and survive the JSON one.
func TestCompressionReport(t *testing.T) {
	r := &Result{
		ID: "12.1.10", Description: "Compressed echoes.", Behavior: OK, BehaviorClose: OK, ReportTime: true,
		Duration: time.Second,
		Compression: &CompressionStats{
			Offer:        "permessage-deflate; client_no_context_takeover; client_max_window_bits",
			Response:     "permessage-deflate; client_no_context_takeover",
			SentMessages: 1000, SentOctets: 131072000, SentWireOctets: 32768000,
			ReceivedMessages: 1000, ReceivedCompressed: 999, ReceivedOctets: 131072000, ReceivedWireOctets: 65536000,
		},
	}
	declined := &Result{ID: "13.3.1", Behavior: Unimplemented, BehaviorClose: OK,
		Compression: &CompressionStats{Offer: "permessage-deflate", Note: "no offer of the client suits the case"}}
	var b bytes.Buffer
	if err := WriteHTML(&b, map[string][]*Result{"wsx": {r, declined}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<td>12 WebSocket Compression (different payloads)</td>",
		"<td>13 WebSocket Compression (different parameters)</td>",
		"<dt>Compression</dt><dd>offer &#34;permessage-deflate; client_no_context_takeover; client_max_window_bits&#34;; " +
			"answer &#34;permessage-deflate; client_no_context_takeover&#34;; sent 1000 messages, 131072000 octets as 32768000 (25.0%); " +
			"received 1000 messages (999 compressed), 131072000 octets from 65536000 (50.0%)</dd>",
		"offer &#34;permessage-deflate&#34;; not accepted (no offer of the client suits the case)</dd>",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	dir := t.TempDir()
	if err := WriteJSON(dir, map[string][]*Result{"wsx": {r}}); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := back["wsx"][0].Compression; got == nil || *got != *r.Compression {
		t.Errorf("compression read back as %+v, want %+v", got, r.Compression)
	}
}
