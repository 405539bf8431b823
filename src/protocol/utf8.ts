/**
 * The two UTF-8 facts the codec needs that the platform does not give:
 * where a byte string stops being valid UTF-8 (TextDecoder only says
 * that it does), and the UTF-8 byte order of two strings, which is the
 * order Rust's `BTreeMap<String, _>` keeps and JS's `<` does not.
 */

/**
 * Offset of the first byte (from `start`) that does not begin a well-formed
 * UTF-8 sequence in `bytes[start, end)`, or -1 if the range is valid.
 * Follows the Unicode table of well-formed sequences: no overlongs, no
 * surrogates, nothing above U+10FFFF.
 */
export function invalidUtf8Offset(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b = bytes[i] as number;
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) n = 0;
    else if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + n >= end) return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k] as number;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** Orders strings by their UTF-8 bytes (= by code point), for sorted maps. */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 puts surrogates (astral code points) below U+E000..U+FFFF; lift them above.
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
