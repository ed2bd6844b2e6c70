package conform

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// verdictOrder is the order in which reports list verdicts.
var verdictOrder = []Verdict{OK, NonStrict, Informational, Unimplemented, WrongCode, Unclean, FailedByClient, Failed}

// verdictCounts counts verdicts: the known ones in verdictOrder, then any
// others in the order they were first seen.
type verdictCounts struct {
	order []Verdict
	n     map[Verdict]int
}

func (c *verdictCounts) add(v Verdict) {
	if c.n == nil {
		c.n = make(map[Verdict]int)
	}
	if c.n[v] == 0 && !slices.Contains(verdictOrder, v) {
		c.order = append(c.order, v)
	}
	c.n[v]++
}

func (c *verdictCounts) String() string {
	var parts []string
	for _, v := range append(slices.Clone(verdictOrder), c.order...) {
		if n := c.n[v]; n > 0 {
			name := string(v)
			if name == "" {
				name = "(none)"
			}
			parts = append(parts, fmt.Sprintf("%s %d", name, n))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// WriteSummary writes a terminal summary of one agent's results: the
// verdict counts for behaviour and for close behaviour, the total duration
// and every case that did not pass.
func WriteSummary(w io.Writer, agent string, results []*Result) {
	var beh, cls verdictCounts
	var total time.Duration
	var bad []*Result
	for _, r := range results {
		beh.add(r.Behavior)
		cls.add(r.BehaviorClose)
		total += r.Duration
		if !r.Passed() {
			bad = append(bad, r)
		}
	}
	fmt.Fprintf(w, "agent %q: %d cases in %v, %d passed, %d did not\n",
		agent, len(results), total.Round(time.Millisecond), len(results)-len(bad), len(bad))
	fmt.Fprintf(w, "  behaviour:       %s\n", beh.String())
	fmt.Fprintf(w, "  close behaviour: %s\n", cls.String())
	if len(bad) == 0 {
		return
	}
	fmt.Fprintf(w, "  not passing:\n")
	width := 0
	for _, r := range bad {
		width = max(width, len(r.ID))
	}
	for _, r := range bad {
		var why []string
		if !r.Behavior.Passed() && r.Result != "" {
			why = append(why, r.Result)
		}
		if !r.BehaviorClose.Passed() && r.ResultClose != "" {
			why = append(why, r.ResultClose)
		}
		fmt.Fprintf(w, "    %-*s  %s / close %s: %s\n", width, r.ID, r.Behavior, r.BehaviorClose, strings.Join(why, "; "))
	}
}

// caseReport is a per-case JSON report: the whole Result, with the fields
// Autobahn's case reports add (agent, case number) and the duration in
// milliseconds as Autobahn gives it.
type caseReport struct {
	*Result
	Agent    string `json:"agent"`
	Case     int    `json:"case"`     // 1-based position in the agent's run
	Duration int64  `json:"duration"` // milliseconds, shadows Result.Duration
	// DurationNs keeps the exact duration, which milliseconds round.
	DurationNs int64 `json:"durationNs"`
}

// indexEntry is one case of one agent in index.json, as in Autobahn's
// master JSON report.
type indexEntry struct {
	Behavior        Verdict `json:"behavior"`
	BehaviorClose   Verdict `json:"behaviorClose"`
	Duration        int64   `json:"duration"` // milliseconds
	RemoteCloseCode *int    `json:"remoteCloseCode"`
	ReportFile      string  `json:"reportfile"`
}

// ReportFileName returns the name of the JSON report of case id for agent,
// as Autobahn names it: the agent lower-cased with everything but letters
// and digits turned into underscores, "_case_", and the id with its dots
// turned into underscores.
func ReportFileName(agent, id string) string {
	return cleanForFile(agent) + "_case_" + strings.ReplaceAll(id, ".", "_") + ".json"
}

// cleanForFile keeps lower-case letters and digits, turns the rest into
// spaces, trims and turns the inner spaces into underscores.
func cleanForFile(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return ' '
	}, strings.ToLower(strings.TrimSpace(s)))
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "_")
	if s == "" {
		s = "agent"
	}
	return s
}

// millis rounds d to whole milliseconds.
func millis(d time.Duration) int64 { return d.Round(time.Millisecond).Milliseconds() }

// WriteJSON writes the JSON reports of every agent's results into dir,
// laid out as Autobahn lays them out: index.json maps agent to case id to a
// short entry naming the case's report file, and each case of each agent
// has its own file holding the whole result.
func WriteJSON(dir string, results map[string][]*Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	index := make(map[string]map[string]indexEntry, len(results))
	for agent, rs := range results {
		entries := make(map[string]indexEntry, len(rs))
		for i, r := range rs {
			name := ReportFileName(agent, r.ID)
			rep := caseReport{Result: r, Agent: agent, Case: i + 1, Duration: millis(r.Duration), DurationNs: int64(r.Duration)}
			if err := writeJSONFile(filepath.Join(dir, name), rep); err != nil {
				return err
			}
			entries[r.ID] = indexEntry{
				Behavior:        r.Behavior,
				BehaviorClose:   r.BehaviorClose,
				Duration:        millis(r.Duration),
				RemoteCloseCode: r.RemoteCloseCode,
				ReportFile:      name,
			}
		}
		index[agent] = entries
	}
	return writeJSONFile(filepath.Join(dir, "index.json"), index)
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "   ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadJSON reads reports that WriteJSON wrote into dir, by agent, each
// agent's results in case order.
func ReadJSON(dir string) (map[string][]*Result, error) {
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}
	var index map[string]map[string]indexEntry
	if err := json.Unmarshal(b, &index); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "index.json"), err)
	}
	out := make(map[string][]*Result, len(index))
	for agent, entries := range index {
		type numbered struct {
			n int
			r *Result
		}
		var rs []numbered
		for id, e := range entries {
			if e.ReportFile == "" || filepath.Base(e.ReportFile) != e.ReportFile {
				return nil, fmt.Errorf("index.json: agent %q case %s: bad report file %q", agent, id, e.ReportFile)
			}
			b, err := os.ReadFile(filepath.Join(dir, e.ReportFile))
			if err != nil {
				return nil, err
			}
			rep := caseReport{Result: new(Result)}
			if err := json.Unmarshal(b, &rep); err != nil {
				return nil, fmt.Errorf("%s: %w", e.ReportFile, err)
			}
			if rep.DurationNs != 0 {
				rep.Result.Duration = time.Duration(rep.DurationNs)
			} else {
				rep.Result.Duration = time.Duration(rep.Duration) * time.Millisecond
			}
			if rep.Result.ID == "" {
				rep.Result.ID = id
			}
			rs = append(rs, numbered{rep.Case, rep.Result})
		}
		slices.SortStableFunc(rs, func(a, b numbered) int {
			if a.n != b.n {
				return a.n - b.n
			}
			return compareIDs(a.r.ID, b.r.ID)
		})
		list := make([]*Result, len(rs))
		for i, x := range rs {
			list[i] = x.r
		}
		out[agent] = list
	}
	return out, nil
}

// sectionNames names the sections of the suite, as Autobahn's reports do.
var sectionNames = map[string]string{
	"1":  "Framing",
	"2":  "Pings/Pongs",
	"3":  "Reserved Bits",
	"4":  "Opcodes",
	"5":  "Fragmentation",
	"6":  "UTF-8 Handling",
	"7":  "Close Handling",
	"9":  "Limits/Performance",
	"10": "Miscellaneous",
	"12": "WebSocket Compression (different payloads)",
	"13": "WebSocket Compression (different parameters)",
}

// verdictClass is the CSS class of a verdict's table cell.
func verdictClass(v Verdict) string {
	switch v {
	case OK:
		return "ok"
	case NonStrict:
		return "nonstrict"
	case Informational:
		return "info"
	case Unimplemented:
		return "unimpl"
	case FailedByClient:
		return "almost"
	case WrongCode:
		return "wrongcode"
	default:
		return "failed"
	}
}

type htmlReport struct {
	Generated string
	Agents    []htmlAgent
	Rows      []htmlRow
	Cases     []htmlCase
}

type htmlAgent struct {
	Name          string
	Total, Passed int
	Duration      string
}

type htmlRow struct {
	Section string // set on the first row of a section
	ID      string
	Anchor  string
	Cells   []htmlCell
}

type htmlCell struct {
	Missing    bool
	Anchor     string
	Behavior   Verdict
	Class      string
	Close      string
	CloseClass string
	Duration   string // for cases that report their time
}

type htmlCase struct {
	ID, Anchor               string
	Description, Expectation string
	Runs                     []htmlRun
}

type htmlRun struct {
	Agent, Anchor            string
	Behavior, BehaviorClose  Verdict
	Class, CloseClass        string
	Result, ResultClose      string
	Duration                 string
	Expected                 []htmlOutcome
	Received                 []string
	ExpectedClose            string
	ClosedByMe, DroppedByMe  bool
	WasClean                 bool
	RemoteCode, RemoteReason string
	Wire                     []htmlWire
	WireTruncated            bool
	Compression              string
}

type htmlOutcome struct {
	Verdict Verdict
	Events  []string
}

type htmlWire struct {
	At, Dir, Text, Payload string
	Class                  string
}

// maxShownPayload bounds how much of a payload the HTML report shows.
const maxShownPayload = 120

// showBytes renders a payload for people: quoted text when it is printable
// UTF-8, hex otherwise, cut at maxShownPayload bytes; full is the length of
// the whole payload when b is only its start.
func showBytes(b []byte, full int) string {
	cut := b
	if len(cut) > maxShownPayload {
		cut = cut[:maxShownPayload]
	}
	var s string
	if printable(cut) {
		s = fmt.Sprintf("%q", cut)
	} else {
		s = fmt.Sprintf("%x", cut)
	}
	if full > len(cut) {
		s += fmt.Sprintf(" … (%d bytes)", full)
	}
	return s
}

func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < ' ' && r != '\t' && r != '\n' && r != '\r' || r == utf8.RuneError {
			return false
		}
	}
	return true
}

func showEvent(e Event) string {
	switch e.Kind {
	case "message":
		kind := "text"
		if e.Binary {
			kind = "binary"
		}
		return fmt.Sprintf("%s message, %d bytes: %s", kind, len(e.Data), showBytes(e.Data, len(e.Data)))
	default:
		return fmt.Sprintf("%s, %d bytes: %s", e.Kind, len(e.Data), showBytes(e.Data, len(e.Data)))
	}
}

func showEvents(es []Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = showEvent(e)
	}
	return out
}

func showCloseExpectation(c CloseExpectation) string {
	who := "the peer"
	if c.ClosedByMe {
		who = "the tester"
	}
	s := "closed first by " + who
	if len(c.Codes) > 0 {
		codes := make([]string, len(c.Codes))
		for i, code := range c.Codes {
			codes[i] = fmt.Sprint(code)
		}
		s += "; peer close code " + strings.Join(codes, " or ") + " (or none)"
	}
	if c.RequireClean {
		s += "; the close handshake must complete"
	}
	return s
}

// showCompression describes a case's permessage-deflate: the negotiation
// and, as Autobahn reports it, how much the messages shrank each way.
func showCompression(c *CompressionStats) string {
	s := fmt.Sprintf("offer %q; answer %q", c.Offer, c.Response)
	if c.Response == "" {
		s = fmt.Sprintf("offer %q; not accepted", c.Offer)
	}
	if c.Note != "" {
		s += " (" + c.Note + ")"
	}
	ratio := func(wire, payload int64) string {
		if payload == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(wire)/float64(payload))
	}
	if c.SentMessages > 0 {
		s += fmt.Sprintf("; sent %d messages, %d octets as %d (%s)", c.SentMessages, c.SentOctets, c.SentWireOctets,
			ratio(c.SentWireOctets, c.SentOctets))
	}
	if c.ReceivedMessages > 0 {
		s += fmt.Sprintf("; received %d messages (%d compressed), %d octets from %d (%s)", c.ReceivedMessages,
			c.ReceivedCompressed, c.ReceivedOctets, c.ReceivedWireOctets, ratio(c.ReceivedWireOctets, c.ReceivedOctets))
	}
	return s
}

func anchorID(id string) string { return "case_" + strings.ReplaceAll(id, ".", "_") }

func runAnchor(agent, id string) string {
	return cleanForFile(agent) + "_case_" + strings.ReplaceAll(id, ".", "_")
}

func showDuration(d time.Duration) string {
	return fmt.Sprintf("%d ms", millis(d))
}

// WriteHTML writes a self-contained HTML report of every agent's results:
// a table of cases by agents coloured by verdict, then the details of each
// case for each agent.
func WriteHTML(w io.Writer, results map[string][]*Result) error {
	agents := make([]string, 0, len(results))
	for a := range results {
		agents = append(agents, a)
	}
	slices.Sort(agents)
	byAgent := make(map[string]map[string]*Result, len(agents))
	var ids []string
	seen := map[string]bool{}
	rep := htmlReport{Generated: time.Now().UTC().Format("2006-01-02 15:04:05 UTC")}
	for _, a := range agents {
		m := make(map[string]*Result)
		ha := htmlAgent{Name: a}
		var total time.Duration
		for _, r := range results[a] {
			if r == nil {
				continue
			}
			if m[r.ID] == nil {
				ha.Total++
			} else if m[r.ID].Passed() {
				ha.Passed--
			}
			m[r.ID] = r
			if r.Passed() {
				ha.Passed++
			}
			total += r.Duration
			if !seen[r.ID] {
				seen[r.ID] = true
				ids = append(ids, r.ID)
			}
		}
		ha.Duration = total.Round(time.Millisecond).String()
		byAgent[a] = m
		rep.Agents = append(rep.Agents, ha)
	}
	slices.SortStableFunc(ids, compareIDs)

	lastSection := ""
	for _, id := range ids {
		row := htmlRow{ID: id, Anchor: anchorID(id)}
		if sec, _, _ := strings.Cut(id, "."); sec != lastSection {
			lastSection = sec
			row.Section = sec
			if name := sectionNames[sec]; name != "" {
				row.Section += " " + name
			}
		}
		hc := htmlCase{ID: id, Anchor: anchorID(id)}
		for _, a := range agents {
			r := byAgent[a][id]
			if r == nil {
				row.Cells = append(row.Cells, htmlCell{Missing: true})
				continue
			}
			if hc.Description == "" {
				hc.Description, hc.Expectation = r.Description, r.Expectation
			}
			cell := htmlCell{
				Anchor:     runAnchor(a, id),
				Behavior:   r.Behavior,
				Class:      verdictClass(r.Behavior),
				CloseClass: verdictClass(r.BehaviorClose),
			}
			switch {
			case r.BehaviorClose == Unclean:
				cell.Close = "unclean"
			case r.BehaviorClose == Failed:
				cell.Close = "fail"
			case r.RemoteCloseCode != nil:
				cell.Close = fmt.Sprint(*r.RemoteCloseCode)
			default:
				cell.Close = "none"
			}
			if r.ReportTime {
				cell.Duration = showDuration(r.Duration)
			}
			row.Cells = append(row.Cells, cell)
			hc.Runs = append(hc.Runs, htmlRunOf(a, r))
		}
		rep.Rows = append(rep.Rows, row)
		rep.Cases = append(rep.Cases, hc)
	}
	return reportTemplate.Execute(w, rep)
}

func htmlRunOf(agent string, r *Result) htmlRun {
	run := htmlRun{
		Agent:         agent,
		Anchor:        runAnchor(agent, r.ID),
		Behavior:      r.Behavior,
		BehaviorClose: r.BehaviorClose,
		Class:         verdictClass(r.Behavior),
		CloseClass:    verdictClass(r.BehaviorClose),
		Result:        r.Result,
		ResultClose:   r.ResultClose,
		Duration:      showDuration(r.Duration),
		Received:      showEvents(r.Received),
		ExpectedClose: showCloseExpectation(r.ExpectedClose),
		ClosedByMe:    r.ClosedByMe,
		DroppedByMe:   r.DroppedByMe,
		WasClean:      r.WasClean,
		RemoteCode:    "none",
		RemoteReason:  r.RemoteCloseReason,
		WireTruncated: len(r.WireLog) >= maxWireLog,
	}
	if r.RemoteCloseCode != nil {
		run.RemoteCode = fmt.Sprint(*r.RemoteCloseCode)
	}
	if c := r.Compression; c != nil {
		run.Compression = showCompression(c)
	}
	for _, o := range r.Expected {
		run.Expected = append(run.Expected, htmlOutcome{Verdict: o.Verdict, Events: showEvents(o.Events)})
	}
	for _, e := range r.WireLog {
		hw := htmlWire{
			At:   fmt.Sprintf("%.3f ms", float64(e.At)/float64(time.Millisecond)),
			Dir:  e.Dir,
			Text: e.Text,
		}
		switch e.Dir {
		case "TX":
			hw.Class = "tx"
		case "RX":
			hw.Class = "rx"
		default:
			hw.Class = "ev"
		}
		if e.Length > 0 || len(e.Payload) > 0 {
			hw.Payload = showBytes(e.Payload, e.Length)
		}
		run.Wire = append(run.Wire, hw)
	}
	return run
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>wsx conform report</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; background: #f5f5f5; color: #222; margin: 20px; }
h1 { font-size: 1.5em; }
h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #bbb; }
h3 { font-size: 1em; }
table { border-collapse: collapse; }
td, th { border: 1px solid #fff; padding: 3px 10px; font-size: 0.85em; }
th { background: #234; color: #fff; }
td.id { background: #555; color: #fff; }
td.id a { color: #fff; }
tr.section td { background: #000; color: #fff; font-weight: bold; }
td.ok { background: #0a0; color: #fff; }
td.nonstrict, td.wrongcode { background: #9a0; color: #fff; }
td.almost { background: #6d6; color: #fff; }
td.info { background: #4095bf; color: #fff; }
td.unimpl { background: #808; color: #fff; }
td.failed { background: #900; color: #fff; }
td.missing { background: #a05a2c; color: #fff; }
td.ok a, td.nonstrict a, td.wrongcode a, td.almost a, td.info a, td.unimpl a, td.failed a { color: #fff; }
td.close { font-size: 0.7em; }
span.dur { display: block; font-size: 0.75em; }
span.badge { padding: 1px 8px; border-radius: 4px; color: #fff; }
span.ok { background: #0a0; } span.nonstrict, span.wrongcode { background: #9a0; }
span.almost { background: #6d6; } span.info { background: #4095bf; }
span.unimpl { background: #808; } span.failed { background: #900; }
div.case { background: #fff; border: 1px solid #ccc; border-radius: 6px; padding: 4px 16px; margin: 12px 0; }
div.run { border-top: 1px dashed #ccc; margin-top: 8px; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dt { font-weight: bold; }
dd { margin: 0; }
ol.events { margin: 0; padding-left: 1.5em; font-family: ui-monospace, Consolas, monospace; font-size: 0.85em; }
table.wire td { font-family: ui-monospace, Consolas, monospace; font-size: 0.75em; border: none; padding: 1px 8px; vertical-align: top; }
table.wire tr.tx { background: #fde8e8; }
table.wire tr.rx { background: #e6f6e6; }
table.wire tr.ev { background: #eee; }
td.payload { word-break: break-all; }
a.up { float: right; font-size: 0.8em; }
</style>
</head>
<body>
<a id="top"></a>
<h1>wsx conform report</h1>
<p>Generated {{.Generated}}.
{{range .Agents}}<br><b>{{.Name}}</b>: {{.Passed}} of {{.Total}} cases passed ({{.Duration}} in all).{{end}}</p>
<table class="results">
{{range .Rows}}{{if .Section}}<tr class="section"><td>{{.Section}}</td>{{range $.Agents}}<th colspan="2">{{.Name}}</th>{{end}}</tr>
{{end}}<tr><td class="id"><a href="#{{.Anchor}}">{{.ID}}</a></td>{{range .Cells}}{{if .Missing}}<td class="missing" colspan="2">missing</td>{{else}}<td class="{{.Class}}"><a href="#{{.Anchor}}">{{.Behavior}}</a>{{if .Duration}}<span class="dur">{{.Duration}}</span>{{end}}</td><td class="close {{.CloseClass}}">{{.Close}}</td>{{end}}{{end}}</tr>
{{end}}</table>
{{range .Cases}}
<div class="case">
<h2 id="{{.Anchor}}">Case {{.ID}}</h2><a class="up" href="#top">top</a>
<p><b>Description:</b> {{.Description}}</p>
<p><b>Expectation:</b> {{.Expectation}}</p>
{{range .Runs}}<div class="run">
<h3 id="{{.Anchor}}">{{.Agent}}: <span class="badge {{.Class}}">{{.Behavior}}</span> close <span class="badge {{.CloseClass}}">{{.BehaviorClose}}</span> ({{.Duration}})</h3>
<dl>
<dt>Result</dt><dd>{{.Result}}</dd>
<dt>Expected</dt><dd>{{if .Expected}}{{range .Expected}}{{.Verdict}}: {{if .Events}}<ol class="events">{{range .Events}}<li>{{.}}</li>{{end}}</ol>{{else}}no events<br>{{end}}{{end}}{{else}}(the case judges for itself){{end}}</dd>
<dt>Observed</dt><dd>{{if .Received}}<ol class="events">{{range .Received}}<li>{{.}}</li>{{end}}</ol>{{else}}no events{{end}}</dd>
<dt>Close</dt><dd>{{.ResultClose}}</dd>
<dt>Expected close</dt><dd>{{.ExpectedClose}}</dd>
{{if .Compression}}<dt>Compression</dt><dd>{{.Compression}}</dd>
{{end}}<dt>Observed close</dt><dd>closed first by {{if .ClosedByMe}}the tester{{else}}the peer{{end}}; peer close code {{.RemoteCode}}{{if .RemoteReason}}, reason {{printf "%q" .RemoteReason}}{{end}}; {{if .WasClean}}clean{{else}}not clean{{end}}{{if .DroppedByMe}}; TCP dropped by the tester{{end}}</dd>
</dl>
{{if .Wire}}<details><summary>Wire log ({{len .Wire}} entries{{if .WireTruncated}}, cut short{{end}})</summary>
<table class="wire">
{{range .Wire}}<tr class="{{.Class}}"><td>{{.At}}</td><td>{{.Dir}}</td><td>{{.Text}}</td><td class="payload">{{.Payload}}</td></tr>
{{end}}</table>
</details>{{end}}
</div>
{{end}}</div>
{{end}}
</body>
</html>
`))
