package conform

import (
	"bytes"
	"fmt"
	"time"
)

// Section 12: permessage-deflate (RFC 7692) with payloads of different
// kinds. Each case negotiates the extension with default parameters, then
// sends 1000 compressed messages of one size, each only once the previous
// one has been echoed, taking them in turn from a data set (wrapping
// around at its end), and checks every echo: type, length and content.
// Some cases cut each compressed message into frames of a fixed size.

// compressionSize is one row of the table of message sizes sections 12
// and 13 share.
type compressionSize struct {
	n     int           // payload octets of each message
	count int           // messages to echo
	wait  time.Duration // the case gives up after this
	frag  int           // frame size of the compressed payload; 0: one frame
}

// compressionSizes are Autobahn's, in its order: sizes from 16 octets to
// 128 KiB unfragmented, then from 8 KiB to 128 KiB in frames of 256
// octets, then 128 KiB in frames of 1 KiB to 32 KiB.
var compressionSizes = []compressionSize{
	{16, 1000, 60 * time.Second, 0},
	{64, 1000, 60 * time.Second, 0},
	{256, 1000, 120 * time.Second, 0},
	{1024, 1000, 240 * time.Second, 0},
	{4096, 1000, 480 * time.Second, 0},
	{8192, 1000, 480 * time.Second, 0},
	{16384, 1000, 480 * time.Second, 0},
	{32768, 1000, 480 * time.Second, 0},
	{65536, 1000, 480 * time.Second, 0},
	{131072, 1000, 480 * time.Second, 0},
	{8192, 1000, 480 * time.Second, 256},
	{16384, 1000, 480 * time.Second, 256},
	{32768, 1000, 480 * time.Second, 256},
	{65536, 1000, 480 * time.Second, 256},
	{131072, 1000, 480 * time.Second, 256},
	{131072, 1000, 480 * time.Second, 1024},
	{131072, 1000, 480 * time.Second, 4096},
	{131072, 1000, 480 * time.Second, 32768},
}

// compressionSlack is added to a case's own waiting time to bound the
// whole case: time for the close handshake after the tester gives up.
const compressionSlack = 15 * time.Second

// Compressed reports whether c is one of the permessage-deflate cases
// (sections 12 and 13), which need a peer that negotiates the extension.
func Compressed(c *Case) bool { return c.Compression != nil }

// defaultOffer is Autobahn's default permessage-deflate offer: the client
// hints that it will not use context takeover and accepts any window size
// the server asks it to use.
var defaultOffer = DeflateParams{ClientNoContextTakeover: true, ClientMaxWindowBits: -1}

// acceptFirst accepts the first offer with the server's parameters as the
// client asked for them, and nothing asked of the client: Autobahn's
// server for section 12 and for 13.1.
func acceptFirst(offers []DeflateParams) *DeflateParams {
	if len(offers) == 0 {
		return nil
	}
	return acceptWith(offers[0], false, 0)
}

// acceptWith answers offer o as Autobahn's server does: the server's
// parameters as the client asked, plus client_no_context_takeover when
// noContext is set and client_max_window_bits when bits is (never above a
// value the client offered, which Autobahn does not check).
func acceptWith(o DeflateParams, noContext bool, bits int) *DeflateParams {
	r := DeflateParams{
		ServerNoContextTakeover: o.ServerNoContextTakeover,
		ServerMaxWindowBits:     o.ServerMaxWindowBits,
		ClientNoContextTakeover: noContext,
	}
	if bits > 0 {
		if o.ClientMaxWindowBits > 0 {
			bits = min(bits, o.ClientMaxWindowBits)
		}
		r.ClientMaxWindowBits = bits
	}
	return &r
}

// compressionCase builds a case that echoes size.count messages of size.n
// octets from data, compressed with comp's negotiation.
func compressionCase(id string, data *dataSet, size compressionSize, comp *Compression, how string) *Case {
	kind := data.kind()
	withCount := func(n int) *Case {
		other := size // size itself stays this case's
		other.count = n
		return compressionCase(id, data, other, comp, how)
	}
	frames := "each in one frame"
	if size.frag > 0 {
		frames = fmt.Sprintf("each compressed payload cut into frames of at most %d octets", size.frag)
	}
	return &Case{
		ID: id,
		Description: fmt.Sprintf("Send %d compressed %s messages of %d octets each, %s, one at a time, each after the previous one "+
			"is echoed. The payloads are consecutive pieces of %s. %s",
			size.count, kind, size.n, frames, data.desc, how),
		Expectation: fmt.Sprintf("Receive every message echoed back, with the payload as sent, compressed or not. "+
			"A peer that does not negotiate permessage-deflate gets UNIMPLEMENTED. The case gives up after %v.", size.wait),
		Timeout:     size.wait + compressionSlack,
		Compression: comp,
		Open:        func(s *Session) { openCompression(s, data, size) },
		withCount:   withCount,
	}
}

// openCompression runs a case of sections 12 and 13 on its connection.
func openCompression(s *Session, data *dataSet, size compressionSize) {
	s.ReportTime = true
	s.ExpectedClose = CloseExpectation{ClosedByMe: true, Codes: []int{close7Normal}, RequireClean: true}
	switch {
	case s.neg.badOffer && !s.Compressed():
		s.Verdict = Failed
		s.VerdictText = "The client's offer broke RFC 7692: " + s.neg.note
		s.SendClose(close7Normal, "")
		return
	case !s.Compressed():
		s.Verdict = Unimplemented
		s.VerdictText = "permessage-deflate was not negotiated"
		if s.neg.note != "" {
			s.VerdictText += ": " + s.neg.note
		}
		s.SendClose(close7Normal, "")
		return
	}
	op := byte(1)
	if data.binary {
		op = 2
	}
	src := data.bytes()
	pos, sent, done := 0, 0, false
	var want []byte
	sendOne := func() {
		want = nextPiece(src, &pos, size.n)
		s.SendCompressed(op, want, size.frag)
		sent++
		// The verdict if the connection ends or the time runs out now.
		s.VerdictText = fmt.Sprintf("Echo %d of %d did not come back (the case gives up after %v).", sent, size.count, size.wait)
	}
	finish := func(v Verdict, text string) {
		done = true
		s.Verdict, s.VerdictText = v, text
		s.ResumeWireLog()
		s.SendClose(close7Normal, "")
	}
	s.Verdict = Failed
	s.OnFail = func(why string) {
		if !done {
			done = true
			s.VerdictText = fmt.Sprintf("After %d of %d messages, the tester failed the connection: %s", sent, size.count, why)
		}
	}
	s.OnMessage = func(e Event) {
		switch {
		case done:
		case e.Binary != data.binary:
			finish(Failed, fmt.Sprintf("Echo %d of %d is a %s message, %s was sent.", sent, size.count, limits9Kind(e.Binary), data.kind()))
		case len(e.Data) != len(want):
			finish(Failed, fmt.Sprintf("Echo %d of %d has %d octets, %d were sent.", sent, size.count, len(e.Data), len(want)))
		case !bytes.Equal(e.Data, want):
			i := 0
			for e.Data[i] == want[i] {
				i++
			}
			finish(Failed, fmt.Sprintf("Echo %d of %d differs from what was sent from octet %d on.", sent, size.count, i))
		case sent < size.count:
			sendOne()
		default:
			finish(OK, fmt.Sprintf("All %d messages came back in time.", size.count))
		}
	}
	s.CloseAfter(size.wait)
	s.PauseWireLog()
	sendOne()
}

// nextPiece returns the n octets of src from *pos on, wrapping around at
// its end, and moves *pos past them, as Autobahn takes its payloads.
func nextPiece(src []byte, pos *int, n int) []byte {
	out := make([]byte, 0, n)
	for len(out) < n {
		k := min(n-len(out), len(src)-*pos)
		out = append(out, src[*pos:*pos+k]...)
		*pos = (*pos + k) % len(src)
	}
	return out
}

func init() {
	comp := &Compression{Offers: []DeflateParams{defaultOffer}, Accept: acceptFirst}
	how := "The client offers permessage-deflate with default parameters (" + defaultOffer.String() +
		"); the server accepts the first offer, asking nothing of the client."
	// Autobahn's data sets, in the order its reports list them.
	for j, data := range []*dataSet{dataJSON, dataBitmap, dataGerman, dataHTML, dataPDF} {
		for i, size := range compressionSizes {
			register(compressionCase(fmt.Sprintf("12.%d.%d", j+1, i+1), data, size, comp, how))
		}
	}
}
