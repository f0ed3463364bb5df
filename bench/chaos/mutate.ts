/**
 * Byte and text mutations of valid inputs for the fuzz scenario: what a lying peer does to a real
 * envelope, frame or sync message (flip a bit, overwrite a byte with a boundary value, cut, extend,
 * duplicate or splice a run, change a varint), and to a real invite or option string.
 */

/** Boundary bytes that trip varint, length and flag decoding. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20]

/**
 * A mutant of `seed` (one to four mutations) drawn with `random`; `donor` gives runs to splice in.
 *
 * @example
 * ```ts
 * const mutant = mutateBytes(envelope, seededRandom(1), otherEnvelope)
 * ```
 */
export function mutateBytes (seed: Uint8Array, random: () => number, donor: Uint8Array = seed): Uint8Array {
  let bytes: Uint8Array = seed.slice()
  const pick = (n: number): number => Math.floor(random() * n)
  const times = 1 + pick(4)
  for (let t = 0; t < times; t++) {
    const at = pick(Math.max(1, bytes.length))
    switch (pick(8)) {
      case 0: // flip one bit
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << pick(8))
        break
      case 1: // a boundary value
        if (bytes.length > 0) bytes[at] = INTERESTING[pick(INTERESTING.length)]!
        break
      case 2: // a random byte
        if (bytes.length > 0) bytes[at] = pick(256)
        break
      case 3: // cut short
        bytes = bytes.slice(0, at)
        break
      case 4: { // insert random bytes
        const run = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256))
        bytes = concat(bytes.subarray(0, at), run, bytes.subarray(at))
        break
      }
      case 5: { // delete a run
        bytes = concat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + pick(32))))
        break
      }
      case 6: { // duplicate a run (a repeated protobuf field)
        const end = Math.min(bytes.length, at + 1 + pick(64))
        bytes = concat(bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end))
        break
      }
      default: { // splice in a run of the donor
        const from = pick(Math.max(1, donor.length))
        const run = donor.subarray(from, Math.min(donor.length, from + 1 + pick(64)))
        bytes = concat(bytes.subarray(0, at), run, bytes.subarray(Math.min(bytes.length, at + run.length)))
      }
    }
  }
  return bytes
}

/** Code points that confuse text handling: controls, bidi and format characters, a lone surrogate, wide and combining marks. */
const TRICKY = ['\u0000', '\n', '\r', '\t', ' ', '\u202e', '\u200b', '\ufeff', '\ud800', '\udc00', '😀', '\u0301', '#', ':', '/', '=', '%', 'A', 'z', '7', '\u00ad', '\u3164']

/**
 * A mutant of the string `seed` (one to four mutations: replace, insert or delete a character, cut,
 * repeat a part, change case) drawn with `random`.
 *
 * @example
 * ```ts
 * const mutant = mutateText('MURMUR:CIRCLE:AEAAAAAA', seededRandom(1))
 * ```
 */
export function mutateText (seed: string, random: () => number): string {
  let text = seed
  const pick = (n: number): number => Math.floor(random() * n)
  const times = 1 + pick(4)
  for (let t = 0; t < times; t++) {
    const at = pick(text.length + 1)
    const char = pick(3) === 0 ? TRICKY[pick(TRICKY.length)]! : String.fromCharCode(32 + pick(95))
    switch (pick(6)) {
      case 0: text = text.slice(0, at) + char + text.slice(at + 1); break
      case 1: text = text.slice(0, at) + char + text.slice(at); break
      case 2: text = text.slice(0, at) + text.slice(at + 1 + pick(8)); break
      case 3: text = text.slice(0, at); break
      case 4: text = text.slice(0, at) + text.slice(at, at + 1 + pick(16)).repeat(1 + pick(64)) + text.slice(at); break
      default: text = random() < 0.5 ? text.toLowerCase() : text.toUpperCase()
    }
  }
  return text
}

/** The parts, one after another, in one new array. */
export function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
