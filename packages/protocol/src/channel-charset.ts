import { ALLOWED_RUNS, DIGIT_ZEROS, LATIN_LOOK_ALIKES, LEFT_OUT_LOOK_ALIKES, SCRIPT_SETS } from './channel-table.js'

/**
 * The characters of a public channel name and how they may mix, after the Unicode Security
 * Mechanisms (UTS #39): only characters of Identifier_Status Allowed, the "highly restrictive" level
 * of §5.2 (one script, or Latin with the Han-based mixes Japanese, Chinese and Korean are written
 * in), one digit system, no whole-script look-alike of a Latin name, no invisible mark; over tables
 * generated from one pinned Unicode version (channel-table.ts), so that no engine's own Unicode
 * version changes which names are valid.
 */

/** The decoded runs of {@link ALLOWED_RUNS}: first and last code point, script set index. */
interface Runs { from: Uint32Array, to: Uint32Array, set: Uint8Array }

/** Scripts that UTS #39 §5.1 adds to a character's own: the writing systems that mix them. */
const AUGMENTED: Record<string, string[]> = {
  Hani: ['Hanb', 'Jpan', 'Kore'],
  Hira: ['Jpan'],
  Kana: ['Jpan'],
  Hang: ['Kore'],
  Bopo: ['Hanb']
}
/** The mixes of scripts a highly restrictive identifier may hold besides a single script (UTS #39 §5.2). */
const HIGHLY_RESTRICTIVE_MIXES = [['Latn', 'Hani', 'Hira', 'Kana'], ['Latn', 'Hani', 'Bopo'], ['Latn', 'Hani', 'Hang']]

let runs: Runs | undefined
/** Per script set: its scripts as bits, and with the scripts of §5.1 added (Common and Inherited: every bit). */
let plainMasks: bigint[] = []
let augmentedMasks: bigint[] = []
let mixMasks: bigint[] = []
/** {@link scriptSetOf} for ASCII, looked up directly: most names are ASCII. */
let asciiSets: Int8Array | undefined
/** Per script set: whether its characters may stand in a Latin name (Latin, Common, Inherited). */
let latinCompatible: boolean[] = []
let latinLookAlikes = new Set<number>()

/** Decodes the tables on first use: nothing is computed when the module is only imported. */
function tables (): Runs {
  if (runs !== undefined) return runs
  const numbers = ALLOWED_RUNS.split(' ').map((n) => parseInt(n, 36))
  const count = numbers.length / 3
  const decoded: Runs = { from: new Uint32Array(count), to: new Uint32Array(count), set: new Uint8Array(count) }
  let end = -1
  for (let i = 0; i < count; i++) {
    const from = end + 1 + (numbers[3 * i] as number)
    end = from + (numbers[3 * i + 1] as number)
    decoded.from[i] = from
    decoded.to[i] = end
    decoded.set[i] = numbers[3 * i + 2] as number
  }
  const codes = [...new Set([...SCRIPT_SETS.flatMap((set) => set.split(' ')), ...Object.values(AUGMENTED).flat()])].filter((c) => c !== '')
  const bit = (code: string): bigint => 1n << BigInt(codes.indexOf(code))
  const mask = (list: string[]): bigint => list.reduce((m, code) => m | bit(code), 0n)
  const all = (1n << BigInt(codes.length)) - 1n
  plainMasks = SCRIPT_SETS.map((set) => set === '' ? all : mask(set.split(' ')))
  augmentedMasks = SCRIPT_SETS.map((set) => set === '' ? all : mask(set.split(' ').flatMap((code) => [code, ...(AUGMENTED[code] ?? [])])))
  mixMasks = HIGHLY_RESTRICTIVE_MIXES.map(mask)
  latinCompatible = SCRIPT_SETS.map((set) => set === '' || set.split(' ').includes('Latn'))
  latinLookAlikes = new Set([...LATIN_LOOK_ALIKES].map((c) => c.codePointAt(0) as number))
  runs = decoded
  asciiSets = Int8Array.from({ length: 0x80 }, (_, codePoint) => scriptSetOf(codePoint))
  return decoded
}

/** The script set index of a character a name may hold, or -1 for any other code point. */
function scriptSetOf (codePoint: number): number {
  if (codePoint < 0x80 && asciiSets !== undefined) return asciiSets[codePoint] as number
  const { from, to, set } = tables()
  let low = 0
  let high = from.length - 1
  while (low <= high) {
    const middle = (low + high) >>> 1
    if (codePoint < (from[middle] as number)) {
      high = middle - 1
    } else if (codePoint > (to[middle] as number)) {
      low = middle + 1
    } else {
      return set[middle] as number
    }
  }
  return -1
}

/** How a name breaks the character rules: the code point at fault and what it breaks. */
export type CharsetFault =
  | { rule: 'character', codePoint: number }
  | { rule: 'look-alike', codePoint: number, of: number }
  | { rule: 'script', codePoint: number }
  | { rule: 'digits', codePoint: number, first: number }
  | { rule: 'mark', codePoint: number }
  | { rule: 'whole-script', codePoint: number }

/** The same nonspacing mark twice in a row (after NFD): drawn as one, so `ä` + U+0308 passes for `ä` (§5.4). */
const REPEATED_MARK = /(\p{Mn})\1/u
/** A dot above on a letter drawn with a dot, or on a dotless i: `ı` + U+0307 passes for `i` (§5.4). */
const DOT_ON_DOTTED = /[\p{Soft_Dotted}\u0131]\u0307/u

/**
 * Checks the characters of a public channel name (without its '#') against UTS #39: every one of
 * Identifier_Status Allowed (§3.1) but for script-less look-alikes of others (’ of '), the name
 * highly restrictive (§5.2), its decimal digits of one number system (§5.3), not written wholly in
 * letters of another script that pass for Latin ones (§4: `рор` for `pop`), and no nonspacing mark
 * that adds nothing visible (§5.4). Returns the first fault, or undefined.
 *
 * @example
 * ```ts
 * charsetFault('lobby')        // undefined
 * charsetFault('l\u0585bby')   // { rule: 'script', codePoint: 0x585 }: Armenian oh among Latin
 * ```
 */
export function charsetFault (name: string): CharsetFault | undefined {
  tables()
  const sets: number[] = []
  let resolved = -1n
  let mixedAt = -1
  let zero = -1
  let firstDigit = 0
  let ascii = true
  let firstLookAlike = -1
  let wholeLookAlike = true
  for (const c of name) {
    const codePoint = c.codePointAt(0) as number
    const set = scriptSetOf(codePoint)
    if (set < 0) {
      const of = LEFT_OUT_LOOK_ALIKES.find(([lookAlike]) => lookAlike === codePoint)?.[1]
      return of === undefined ? { rule: 'character', codePoint } : { rule: 'look-alike', codePoint, of }
    }
    // scripts (§5.1): intersect only where the set changes, and note where the intersection empties
    if (set !== sets.at(-1)) {
      resolved &= augmentedMasks[set] as bigint
      if (resolved === 0n && mixedAt < 0) mixedAt = sets.length
    }
    sets.push(set)
    const digitZero = digitZeroOf(codePoint)
    if (digitZero >= 0) {
      if (zero < 0) {
        zero = digitZero
        firstDigit = codePoint
      } else if (digitZero !== zero) {
        return { rule: 'digits', codePoint, first: firstDigit }
      }
    }
    ascii &&= codePoint < 0x80
    if (latinLookAlikes.has(codePoint)) {
      if (firstLookAlike < 0) firstLookAlike = codePoint
    } else {
      wholeLookAlike &&= latinCompatible[set] as boolean
    }
  }
  if (mixedAt >= 0 && !mixMasks.some((mix) => sets.every((set) => ((plainMasks[set] as bigint) & mix) !== 0n))) {
    return { rule: 'script', codePoint: [...name][mixedAt]?.codePointAt(0) as number }
  }
  if (ascii) return undefined
  if (wholeLookAlike && firstLookAlike >= 0) return { rule: 'whole-script', codePoint: firstLookAlike }
  const decomposed = name.normalize('NFD')
  const mark = REPEATED_MARK.exec(decomposed)?.[1] ?? DOT_ON_DOTTED.exec(decomposed)?.[0].slice(-1)
  return mark === undefined ? undefined : { rule: 'mark', codePoint: mark.codePointAt(0) as number }
}

/** The zero of a decimal digit's number system, or -1 for any other character. */
function digitZeroOf (codePoint: number): number {
  for (const zero of DIGIT_ZEROS) {
    if (codePoint >= zero && codePoint <= zero + 9) return zero
  }
  return -1
}
