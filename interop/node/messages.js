'use strict';

// The messages of the permessage-deflate echo checks, in the order the Go
// tests expect them on the wire (compressMessages in
// ../compress_helpers_test.go; python/compress_client.py sends the same).
// Loaded by client.js as a module and by page.html as a script, so it uses
// only what both Node and browsers have: TextEncoder and crypto.
function makeMessages() {
  const enc = new TextEncoder();

  // Text of exactly n UTF-8 bytes, mostly multi-byte characters.
  const textOf = (n) => {
    const s = 'aé€😀'.repeat(Math.floor(n / 10)) + 'a'.repeat(n % 10);
    if (enc.encode(s).length !== n) throw new Error(`textOf(${n}) is off`);
    return s;
  };

  // A JSON array of records of exactly n UTF-8 bytes: compressible.
  const jsonOf = (n) => {
    const records = [];
    let size = 2;
    for (let i = 0; ; i++) {
      const rec =
        `{"id":${i},"name":"user-${i}","city":"Zürich","active":${i % 2 === 0},` +
        `"score":${(i * 37) % 1000},"tags":["alpha","beta","gamma"]}`;
      const add = enc.encode(rec).length + (records.length ? 1 : 0);
      if (size + add > n) break;
      records.push(rec);
      size += add;
    }
    const s = '[' + records.join(',') + ' '.repeat(n - size) + ']';
    if (enc.encode(s).length !== n) throw new Error(`jsonOf(${n}) is off`);
    return s;
  };

  // Random bytes, which do not compress. getRandomValues fills at most
  // 64 KiB a call.
  const randomOf = (n) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i += 65536) {
      crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
    }
    return b;
  };

  // count copies of one block of random bytes: they compress only with a
  // window larger than the block.
  const repeatsOf = (block, count) => {
    const one = randomOf(block);
    const b = new Uint8Array(block * count);
    for (let i = 0; i < count; i++) b.set(one, i * block);
    return b;
  };

  // again/200 is binary/200 once more: it compresses only by reference to
  // the message before (context takeover).
  const binary200 = randomOf(200);
  return [
    { name: 'text/0', data: textOf(0) },
    { name: 'binary/0', data: randomOf(0) },
    { name: 'text/1', data: textOf(1) },
    { name: 'binary/1', data: randomOf(1) },
    { name: 'text/200', data: textOf(200) },
    { name: 'binary/200', data: binary200 },
    { name: 'again/200', data: binary200.slice() },
    { name: 'json-text/65536', data: jsonOf(65536) },
    { name: 'json-binary/65536', data: enc.encode(jsonOf(65536)) },
    { name: 'binary/65536', data: randomOf(65536) },
    { name: 'repeats/65536', data: repeatsOf(4096, 16) },
    { name: 'text/1048576', data: textOf(1048576) },
    { name: 'binary/1048576', data: randomOf(1048576) },
  ];
}

if (typeof module !== 'undefined') module.exports = { makeMessages };
