package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"time"

	"github.com/wsx-go/websocket"
)

// jsonEvent is one line of -json output.
type jsonEvent struct {
	Time  string `json:"time"` // RFC 3339 with nanoseconds
	Dir   string `json:"dir,omitempty"`
	Type  string `json:"type"` // open, text, binary, ping, pong, close, error
	Frame bool   `json:"frame,omitempty"`
	// Final is set on data frames and messages only.
	Final *bool `json:"final,omitempty"`
	// Data is text as a string, binary data and control payloads in
	// base64.
	Data *string `json:"data,omitempty"`
	// Size is the payload's length in bytes, on data frames and messages.
	Size *int `json:"size,omitempty"`

	RTT         float64 `json:"rtt_ms,omitempty"` // pong
	Code        int     `json:"code,omitempty"`   // close
	Reason      string  `json:"reason,omitempty"` // close
	URL         string  `json:"url,omitempty"`    // open
	Subprotocol string  `json:"subprotocol,omitempty"`
	Extensions  string  `json:"extensions,omitempty"`
	Error       string  `json:"error,omitempty"`
}

// jsonPrinter writes every event to stdout as a JSON object on a line of
// its own.
type jsonPrinter struct {
	out io.Writer
	now func() time.Time // time.Now, or a clock of the tests
}

func (p *jsonPrinter) emit(ev jsonEvent) {
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	ev.Time = now().Format(time.RFC3339Nano)
	line, err := json.Marshal(ev)
	if err != nil {
		return // the fields are strings and numbers: cannot fail
	}
	p.out.Write(append(line, '\n'))
}

func (p *jsonPrinter) open(c *websocket.Conn) {
	p.emit(jsonEvent{Type: "open", URL: c.URL().Redacted(), Subprotocol: c.Subprotocol(), Extensions: c.Extensions()})
}

func (p *jsonPrinter) frame(f websocket.Frame) {
	ev := dataEvent(dirIn, f.Type, f.Data, f.Final)
	ev.Frame = true
	p.emit(ev)
}

func (p *jsonPrinter) message(dir string, typ websocket.MessageType, data []byte) {
	p.emit(dataEvent(dir, typ, data, true))
}

func (p *jsonPrinter) ping(payload []byte) {
	p.emit(jsonEvent{Dir: dirIn, Type: "ping", Data: base64Data(payload)})
}

func (p *jsonPrinter) pong(rtt time.Duration, payload []byte) {
	p.emit(jsonEvent{Dir: dirIn, Type: "pong", Data: base64Data(payload), RTT: float64(rtt) / float64(time.Millisecond)})
}

func (p *jsonPrinter) closed(dir string, code websocket.CloseCode, reason string) {
	p.emit(jsonEvent{Dir: dir, Type: "close", Code: int(code), Reason: reason})
}

func (p *jsonPrinter) fail(err error) {
	p.emit(jsonEvent{Type: "error", Error: err.Error()})
}

// dataEvent describes a data frame or message.
func dataEvent(dir string, typ websocket.MessageType, data []byte, final bool) jsonEvent {
	ev := jsonEvent{Dir: dir, Type: typ.String(), Final: &final, Size: new(len(data))}
	if typ == websocket.MessageText {
		s := string(data)
		ev.Data = &s
	} else {
		ev.Data = base64Data(data)
	}
	return ev
}

// base64Data encodes b for the data field.
func base64Data(b []byte) *string {
	s := base64.StdEncoding.EncodeToString(b)
	return &s
}
