package conform

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The payloads of sections 12 and 13. Autobahn takes its messages from
// five files it ships (Goethe's Faust I as text, a 512x512 greyscale
// bitmap, a PDF, a JSON file and an HTML file); they are not available
// offline, so the tester generates data of the same kind instead, from a
// fixed seed so that every run sends the same octets: ASCII JSON records
// and HTML markup (sent as text, so any cut is valid UTF-8), German
// verse-like text with umlauts and a bitmap with smooth areas and noise
// (binary, compressible to different degrees), and a PDF-like file whose
// streams are mostly already compressed (binary, barely compressible).

// dataSet is one payload source of sections 12 and 13.
type dataSet struct {
	desc   string // what the data is, for case descriptions
	binary bool   // sent as binary messages, else text
	gen    func() []byte

	once sync.Once
	data []byte
}

// bytes returns the data, generated on first use.
func (d *dataSet) bytes() []byte {
	d.once.Do(func() { d.data = d.gen() })
	return d.data
}

// kind names the message type of the data.
func (d *dataSet) kind() string { return limits9Kind(d.binary) }

// The data sets, in the order of Autobahn's subsections 12.1 to 12.5; 13
// uses the JSON.
var (
	dataJSON = &dataSet{
		desc: "generated JSON records of about 190 KiB (ASCII), standing in for Autobahn's large JSON file",
		gen:  func() []byte { return genJSON(190 << 10) },
	}
	dataBitmap = &dataSet{
		desc:   "a generated 512x512 8-bit greyscale BMP image (263,222 octets), standing in for Autobahn's Lena bitmap",
		binary: true,
		gen:    genBitmap,
	}
	dataGerman = &dataSet{
		desc:   "generated German verse of about 215 KiB (UTF-8, sent as binary), standing in for Autobahn's Faust I",
		binary: true,
		gen:    func() []byte { return genGerman(215 << 10) },
	}
	dataHTML = &dataSet{
		desc: "generated HTML markup of about 255 KiB (ASCII), standing in for Autobahn's large HTML file",
		gen:  func() []byte { return genHTML(255 << 10) },
	}
	dataPDF = &dataSet{
		desc:   "a generated PDF-like file of about 1 MiB, its streams mostly compressed already, standing in for Autobahn's PDF",
		binary: true,
		gen:    func() []byte { return genPDF(1 << 20) },
	}
)

// rng is SplitMix64: small, fast and the same everywhere, unlike the
// standard library's generators, whose derived methods may change between
// Go releases.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) pick(words []string) string { return words[r.intn(len(words))] }

// sentence writes n words from words, the first capitalised, ending in end.
func (r *rng) sentence(b *bytes.Buffer, words []string, n int, end string) {
	for i := range n {
		w := r.pick(words)
		if i == 0 {
			c, n := utf8.DecodeRuneInString(w)
			w = string(unicode.ToUpper(c)) + w[n:]
		} else {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	b.WriteString(end)
}

var englishWords = strings.Fields(`the of and to in is that it for on with as was at by be this
have from or one had not but what all were when we there can an your which their said if do
will each about how up out them then she many some so these would other into has more her two
like him see time could no make than first been its who now people my made over did down only
way find use may water long little very after words called just where most know get through
back much before go good new write our used me man too any day same right look think also around
another came come work three word must because does part even place well such here take why
things help put years different away again off went old number great tell men say small every
found still between name should home big give air line set own under read last never us left end
along while might next sound below saw something thought both few those always looked show large
often together asked house world going want school important until form food keep children feet
land side without boy once animals life enough took sometimes four head above kind began almost
live page got earth need far hand high year mother light parts country father let night following
picture being study second eyes soon times story boys since white days ever paper hard near
sentence better best across during today others however sure means knew try told young miles`)

// genJSON returns ASCII JSON: an array of records of the kind web APIs
// and data generators produce, about size octets long.
func genJSON(size int) []byte {
	r := &rng{s: 0x4a534f4e}
	first := []string{"Alice", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Julia",
		"Kenji", "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yusuf", "Zoe"}
	last := []string{"Andersen", "Barros", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvat", "Ito", "Jensen",
		"Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Quispe", "Rossi", "Schmidt", "Tanaka", "Weber", "Yilmaz"}
	companies := []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent", "Wonka"}
	colors := []string{"blue", "brown", "green", "grey", "hazel"}
	fruits := []string{"apple", "banana", "cherry", "mango", "peach", "plum", "strawberry"}
	streets := []string{"Main Street", "Oak Avenue", "Maple Road", "Harbor Lane", "Station Road", "Mill Street", "Park Place"}
	cities := []string{"Springfield", "Riverton", "Lakeside", "Fairview", "Georgetown", "Kingston", "Ashford", "Milton"}
	var b bytes.Buffer
	b.WriteString("[\n")
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fn, ln := r.pick(first), r.pick(last)
		co := r.pick(companies)
		fmt.Fprintf(&b, "  {\n    \"_id\": \"%016x%08x\",\n    \"index\": %d,\n", r.next(), uint32(r.next()), i)
		fmt.Fprintf(&b, "    \"guid\": \"%08x-%04x-%04x-%04x-%012x\",\n", uint32(r.next()), uint16(r.next()),
			uint16(r.next()), uint16(r.next()), r.next()&0xffffffffffff)
		fmt.Fprintf(&b, "    \"isActive\": %t,\n    \"balance\": \"$%d,%03d.%02d\",\n", r.intn(2) == 0, r.intn(4), r.intn(1000), r.intn(100))
		fmt.Fprintf(&b, "    \"picture\": \"http://placehold.example/32x32\",\n    \"age\": %d,\n    \"eyeColor\": \"%s\",\n", 20+r.intn(50), r.pick(colors))
		fmt.Fprintf(&b, "    \"name\": \"%s %s\",\n    \"gender\": \"%s\",\n    \"company\": \"%s\",\n", fn, ln, []string{"female", "male"}[r.intn(2)], strings.ToUpper(co))
		fmt.Fprintf(&b, "    \"email\": \"%s.%s@%s.example\",\n", strings.ToLower(fn), strings.ToLower(ln), strings.ToLower(co))
		fmt.Fprintf(&b, "    \"phone\": \"+1 (%03d) %03d-%04d\",\n", 200+r.intn(800), r.intn(1000), r.intn(10000))
		fmt.Fprintf(&b, "    \"address\": \"%d %s, %s, %05d\",\n    \"about\": \"", 1+r.intn(999), r.pick(streets), r.pick(cities), r.intn(100000))
		for j, n := 0, 2+r.intn(4); j < n; j++ {
			if j > 0 {
				b.WriteByte(' ')
			}
			r.sentence(&b, englishWords, 6+r.intn(10), ".")
		}
		fmt.Fprintf(&b, "\\r\\n\",\n    \"registered\": \"20%02d-%02d-%02dT%02d:%02d:%02d -%02d:00\",\n", 10+r.intn(15), 1+r.intn(12), 1+r.intn(28),
			r.intn(24), r.intn(60), r.intn(60), r.intn(12))
		fmt.Fprintf(&b, "    \"latitude\": %d.%06d,\n    \"longitude\": %d.%06d,\n    \"tags\": [", r.intn(180)-90, r.intn(1000000), r.intn(360)-180, r.intn(1000000))
		for j, n := 0, 3+r.intn(5); j < n; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "\"%s\"", r.pick(englishWords))
		}
		b.WriteString("],\n    \"friends\": [")
		for j := range 3 {
			if j > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "\n      {\"id\": %d, \"name\": \"%s %s\"}", j, r.pick(first), r.pick(last))
		}
		fmt.Fprintf(&b, "\n    ],\n    \"greeting\": \"Hello, %s! You have %d unread messages.\",\n    \"favoriteFruit\": \"%s\"\n  }",
			fn, r.intn(20), r.pick(fruits))
	}
	b.WriteString("\n]\n")
	return b.Bytes()
}

var germanWords = strings.Fields(`und der die das ich nicht du ein zu ist mit sich mir es den mich
in so was auf wie nur dem noch wohl doch mein ach ja nun hier bin sie an uns wenn dir dich kann
er da wird auch aus soll ganz gar man hat schon mag wer hab eine euch wir einem will sein dann
herz welt geist gott nacht tag liebe leben seele himmel erde lust schmerz glück zeit blut kraft
feuer wasser luft licht traum hand auge mund brust tod teufel hölle engel buch kunst natur
wissen weib mann kind mutter vater freund schön süß hold groß klein tief hoch alt jung kalt warm
wahr falsch gut böse still leise laut heilig ewig fröhlich traurig müde wüst öde schwül
gehen kommen sehen hören fühlen denken glauben lieben leiden streben suchen finden bleiben
fliehen sterben singen klingen schweben öffnen schließen grüßen fürchten träumen wünschen
dürfen müssen möchte würde könnte wäre hätte über für durch gegen ohne um unter vor hinter
während zwischen nächste schöne größte höchste süße weiße straße grüße füße`)

var germanSpeakers = []string{"FAUST", "MEPHISTOPHELES", "WAGNER", "MARGARETE", "MARTHE", "CHOR DER ENGEL",
	"DER HERR", "VALENTIN", "SCHÜLER", "LIESCHEN", "STIMME", "ALLE"}

// genGerman returns German verse of the kind of a play's text, about size
// octets: speakers, stage directions and rhymeless lines, in UTF-8.
func genGerman(size int) []byte {
	r := &rng{s: 0x4661757374}
	ends := []string{",", ",", ",", ".", ";", "!", "?", ":", "", ""}
	var b bytes.Buffer
	b.WriteString("Faustisches Gedicht, ein Stück in Versen\r\n\r\n")
	for scene := 1; b.Len() < size; scene++ {
		fmt.Fprintf(&b, "\r\n%d. SZENE\r\n\r\n", scene)
		b.WriteString("(")
		r.sentence(&b, germanWords, 4+r.intn(8), ".)\r\n\r\n")
		for speech := 0; speech < 8+r.intn(10) && b.Len() < size; speech++ {
			fmt.Fprintf(&b, "%s:\r\n", r.pick(germanSpeakers))
			for line := 0; line < 1+r.intn(12); line++ {
				r.sentence(&b, germanWords, 4+r.intn(6), r.pick(ends)+"\r\n")
			}
			b.WriteString("\r\n")
		}
	}
	return b.Bytes()
}

var htmlTags = []string{"strong", "em", "code", "span", "small", "b", "i"}

// genHTML returns an ASCII HTML page of about size octets: nested
// sections with headings, paragraphs, links, lists and tables.
func genHTML(size int) []byte {
	r := &rng{s: 0x48544d4c}
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Generated page</title>\n" +
		"<link rel=\"stylesheet\" href=\"/static/css/site.css\">\n<script src=\"/static/js/site.js\" defer></script>\n</head>\n" +
		"<body class=\"page\">\n<div id=\"wrapper\">\n<nav class=\"top\"><ul>\n")
	for i := range 12 {
		fmt.Fprintf(&b, "  <li class=\"nav-item\"><a href=\"/section/%d/\" title=\"%s\">%s</a></li>\n", i, r.pick(englishWords), r.pick(englishWords))
	}
	b.WriteString("</ul></nav>\n<main>\n")
	for art := 0; b.Len() < size; art++ {
		fmt.Fprintf(&b, "<article class=\"post\" id=\"post-%d\">\n<header><h2><a href=\"/posts/%d/%s-%s.html\">", art, 1000+art, r.pick(englishWords), r.pick(englishWords))
		r.sentence(&b, englishWords, 3+r.intn(6), "</a></h2>\n")
		fmt.Fprintf(&b, "<p class=\"meta\">Posted by <a href=\"/users/%d\">%s</a> on <time datetime=\"2013-%02d-%02d\">%d %s</time></p></header>\n",
			r.intn(500), r.pick(englishWords), 1+r.intn(12), 1+r.intn(28), 1+r.intn(28), r.pick(englishWords))
		b.WriteString("<div class=\"entry-content\">\n")
		for p := 0; p < 2+r.intn(4); p++ {
			b.WriteString("<p>")
			for s := 0; s < 2+r.intn(4); s++ {
				if s > 0 {
					b.WriteByte(' ')
				}
				if r.intn(3) == 0 {
					tag := r.pick(htmlTags)
					fmt.Fprintf(&b, "<%s>", tag)
					r.sentence(&b, englishWords, 2+r.intn(4), "</"+tag+"> ")
				}
				if r.intn(4) == 0 {
					fmt.Fprintf(&b, "<a href=\"https://example.org/%s/%d\" rel=\"nofollow\">%s</a> ", r.pick(englishWords), r.intn(10000), r.pick(englishWords))
				}
				r.sentence(&b, englishWords, 5+r.intn(12), ".")
			}
			b.WriteString("</p>\n")
		}
		switch r.intn(3) {
		case 0:
			b.WriteString("<ul class=\"list\">\n")
			for i := 0; i < 3+r.intn(6); i++ {
				b.WriteString("  <li>")
				r.sentence(&b, englishWords, 2+r.intn(6), "</li>\n")
			}
			b.WriteString("</ul>\n")
		case 1:
			b.WriteString("<table class=\"data\">\n<tr><th>Name</th><th>Value</th><th>Count</th></tr>\n")
			for i := 0; i < 3+r.intn(8); i++ {
				fmt.Fprintf(&b, "<tr><td>%s</td><td align=\"right\">%d.%02d</td><td>%d</td></tr>\n", r.pick(englishWords), r.intn(1000), r.intn(100), r.intn(100))
			}
			b.WriteString("</table>\n")
		}
		fmt.Fprintf(&b, "</div>\n<footer><a class=\"comments\" href=\"/posts/%d#comments\">%d comments</a></footer>\n</article>\n", 1000+art, r.intn(50))
	}
	b.WriteString("</main>\n</div>\n</body>\n</html>\n")
	return b.Bytes()
}

// genBitmap returns a 512x512 8-bit greyscale BMP: smooth value noise
// (bilinear between random points on a coarse grid, at two scales), a few
// bright discs, posterised flat areas where the coarse grid is dark and
// per-pixel grain elsewhere, like a photograph's mix of background and
// detail.
func genBitmap() []byte {
	const w, h = 512, 512
	r := &rng{s: 0x424d50}
	var b bytes.Buffer
	le := binary.LittleEndian
	// BITMAPFILEHEADER and BITMAPINFOHEADER.
	b.WriteString("BM")
	b.Write(le.AppendUint32(nil, 14+40+1024+w*h))
	b.Write(le.AppendUint32(nil, 0))
	b.Write(le.AppendUint32(nil, 14+40+1024))
	for _, v := range []uint32{40, w, h} {
		b.Write(le.AppendUint32(nil, v))
	}
	b.Write(le.AppendUint16(nil, 1))
	b.Write(le.AppendUint16(nil, 8))
	for _, v := range []uint32{0, w * h, 2835, 2835, 256, 256} {
		b.Write(le.AppendUint32(nil, v))
	}
	for i := range 256 { // a grey palette
		b.Write([]byte{byte(i), byte(i), byte(i), 0})
	}
	grid := func(cell int) func(x, y int) int {
		n := w/cell + 2
		pts := make([]int, n*n)
		for i := range pts {
			pts[i] = r.intn(256)
		}
		return func(x, y int) int {
			gx, gy, fx, fy := x/cell, y/cell, x%cell, y%cell
			at := func(i, j int) int { return pts[j*n+i] }
			top := at(gx, gy)*(cell-fx) + at(gx+1, gy)*fx
			bot := at(gx, gy+1)*(cell-fx) + at(gx+1, gy+1)*fx
			return (top*(cell-fy) + bot*fy) / (cell * cell)
		}
	}
	coarse, fine := grid(64), grid(16)
	type disc struct{ x, y, r2, add int }
	var discs []disc
	for range 6 {
		rad := 10 + r.intn(50)
		discs = append(discs, disc{r.intn(w), r.intn(h), rad * rad, 30 + r.intn(60)})
	}
	for y := range h {
		for x := range w {
			c := coarse(x, y)
			v := (c*3 + fine(x, y)) / 4
			for _, d := range discs {
				if dx, dy := x-d.x, y-d.y; dx*dx+dy*dy < d.r2 {
					v += d.add
				}
			}
			if c < 110 {
				// Flat, posterised areas, like a background out of focus.
				v &^= 7
			} else {
				v += r.intn(7) - 3 // grain
			}
			b.WriteByte(byte(min(max(v, 0), 255)))
		}
	}
	return b.Bytes()
}

// genPDF returns a PDF-like file of about size octets: page and font
// dictionaries, content streams of text operators, and streams already
// compressed (deflated text, random "image" data) that cannot shrink much
// more, with a cross-reference table at the end.
func genPDF(size int) []byte {
	r := &rng{s: 0x504446}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	var offsets []int
	obj := func(body string, stream []byte) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\n", len(offsets), body)
		if stream != nil {
			b.WriteString("stream\n")
			b.Write(stream)
			b.WriteString("\nendstream\n")
		}
		b.WriteString("endobj\n")
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>", nil)
	obj("<< /Type /Pages /Kids [] /Count 0 >>", nil)
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Times-Roman /Encoding /WinAnsiEncoding >>", nil)
	var zbuf bytes.Buffer
	zw, _ := flate.NewWriter(&zbuf, flate.BestCompression)
	for b.Len() < size {
		var text bytes.Buffer
		text.WriteString("BT\n/F1 10 Tf\n12 TL\n72 720 Td\n")
		for line := 0; line < 30+r.intn(30); line++ {
			text.WriteString("(")
			r.sentence(&text, englishWords, 6+r.intn(8), ") '\n")
		}
		text.WriteString("ET\n")
		page := len(offsets) + 1
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> /XObject << /Im%d %d 0 R >> >> /Contents %d 0 R >>",
			page, page+2, page+1), nil)
		if r.intn(3) == 0 { // some content streams are left uncompressed
			obj(fmt.Sprintf("<< /Length %d >>", text.Len()), text.Bytes())
		} else {
			zbuf.Reset()
			zw.Reset(&zbuf)
			zw.Write(text.Bytes())
			zw.Close()
			obj(fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>", zbuf.Len()), zbuf.Bytes())
		}
		img := make([]byte, 2000+r.intn(20000))
		for i := range img {
			img[i] = byte(r.next())
		}
		obj(fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>",
			64+r.intn(512), 64+r.intn(512), len(img)), img)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}
