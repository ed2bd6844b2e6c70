package httpauth

// Pick returns the strongest challenge this package can answer: Digest
// with SHA-256 or SHA-256-sess over Digest with MD5 or MD5-sess over Basic.
// Of equally strong challenges the first wins, as a server lists its
// preferred ones first (RFC 7616 §3.7). Digest challenges that Digest would
// refuse are passed over. ok is false if no challenge can be answered.
func Pick(chs []Challenge) (ch Challenge, ok bool) {
	best, bestRank := -1, 0
	for i, c := range chs {
		if r := rank(c); r > bestRank {
			best, bestRank = i, r
		}
	}
	if best < 0 {
		return Challenge{}, false
	}
	return chs[best], true
}

// rank scores a challenge for Pick: 0 if it cannot be answered, then
// higher for stronger.
func rank(ch Challenge) int {
	switch lowerASCII(ch.Scheme) {
	case "basic":
		return 1
	case "digest":
		d, err := readDigestChallenge(ch)
		if err != nil {
			return 0
		}
		return 1 + d.alg.strength
	}
	return 0
}
