/**
 * Generates `src/channel-table.ts`, the characters a public channel name may hold, from the Unicode
 * data files of one pinned version, so that every engine running Murmur agrees on which names are
 * valid whatever Unicode version its own regular expressions know.
 *
 * What it keeps: the code points whose UTS #39 Identifier_Status is Allowed (IdentifierStatus.txt),
 * less those assigned after {@link AGE_FLOOR} (DerivedAge.txt), each with its Script_Extensions
 * (ScriptExtensions.txt, else Scripts.txt; Common and Inherited kept as "any script"), and the zero
 * of every decimal digit system among them (UnicodeData.txt). Left out as well: the script-less
 * (Common) look-alikes of another character names may hold wherever they may (confusables.txt: the
 * apostrophes ’ and ʼ of ', the hyphen ‐ of -), which no script rule tells apart. Listed: the
 * letters of other scripts that pass for one Latin letter or digit (confusables.txt).
 *
 * Usage: put the files named in {@link INPUTS} (from unicode.org/Public/17.0.0/ucd/ and
 * unicode.org/Public/security/17.0.0/) in one folder, then
 * `npm exec -- node packages/protocol/scripts/channel-table.ts <folder>`.
 * Each file is checked against its pinned SHA-256 first.
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const UNICODE_VERSION = '17.0.0'
/**
 * Characters assigned after this version are left out: a name of older characters has the same NFKC
 * form, general categories and scripts in every engine whose Unicode is this version or newer
 * (Unicode's normalization stability policy). In 17.0.0 this leaves out one Allowed character, U+088F.
 */
const AGE_FLOOR = '15.0'

const INPUTS = {
  'IdentifierStatus.txt': '617228a16da13850bf8af28b6cd08f5e9b6595d2eb60404fe6eee2c85b4e4a35',
  'DerivedAge.txt': 'f8ecdf768bdc210f201abd271d9bc587825618a86a7046a8146cc816393f1998',
  'Scripts.txt': '9f5e50d3abaee7d6ce09480f325c706f485ae3240912527e651954d2d6b035bf',
  'ScriptExtensions.txt': 'ec2107e58825a1586acee8e0911ce18260394ac8b87e535ca325f1ccbeb06bc6',
  'PropertyValueAliases.txt': '64e9a5f76f7a1e8b5a47d6a1f9a26522a251208f5276bdfa1559dac7cf2e827a',
  'UnicodeData.txt': '2e1efc1dcb59c575eedf5ccae60f95229f706ee6d031835247d843c11d96470c',
  'confusables.txt': '091c7f82fc39ef208faf8f94d29c244de99254675e09de163160c810d13ef22a'
} as const

type Input = keyof typeof INPUTS

const folder = process.argv[2]
if (folder === undefined) {
  process.stderr.write('usage: node packages/protocol/scripts/channel-table.ts <folder with the Unicode 17.0.0 files>\n')
  process.exit(2)
}

/** A data file's lines as fields, comments and blank lines dropped, after checking its pinned hash. */
function fields (name: Input): string[][] {
  const bytes = readFileSync(join(folder as string, name))
  const hash = createHash('sha256').update(bytes).digest('hex')
  if (hash !== INPUTS[name]) {
    throw new Error(`${name}: SHA-256 ${hash}, expected ${INPUTS[name]} (Unicode ${UNICODE_VERSION})`)
  }
  return bytes.toString('utf8').split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
    .map((line) => line.split(';').map((field) => field.trim()))
}

/** Every code point of `0041..005A` or `0041`. */
function* codePoints (range: string): Generator<number> {
  const [from, to = from] = range.split('..').map((hex) => parseInt(hex, 16))
  for (let c = from as number; c <= (to as number); c++) yield c
}

const older = (age: string): boolean => {
  const [major, minor] = age.split('.').map(Number) as [number, number]
  const [floorMajor, floorMinor] = AGE_FLOOR.split('.').map(Number) as [number, number]
  return major < floorMajor || (major === floorMajor && minor <= floorMinor)
}

const age = new Map<number, string>()
for (const [range, version] of fields('DerivedAge.txt')) {
  for (const c of codePoints(range as string)) age.set(c, version as string)
}

const identifierAllowed = new Set<number>()
for (const [range, status] of fields('IdentifierStatus.txt')) {
  if (status !== 'Allowed') continue
  for (const c of codePoints(range as string)) {
    const version = age.get(c)
    if (version === undefined) throw new Error(`U+${c.toString(16)} is Allowed but has no age`)
    if (older(version)) identifierAllowed.add(c)
  }
}

const shortScript = new Map<string, string>()
for (const [property, short, long] of fields('PropertyValueAliases.txt')) {
  if (property === 'sc') shortScript.set(long as string, short as string)
}
/** Common and Inherited characters go with any script: an empty set. */
const ANY = new Set(['Zyyy', 'Zinh'])
const common = new Set<number>()
const scripts = new Map<number, string>()
for (const [range, name] of fields('Scripts.txt')) {
  const short = shortScript.get(name as string)
  if (short === undefined) throw new Error(`no short name for script ${name}`)
  for (const c of codePoints(range as string)) {
    scripts.set(c, ANY.has(short) ? '' : short)
    if (short === 'Zyyy') common.add(c)
  }
}
for (const [range, list] of fields('ScriptExtensions.txt')) {
  const set = (list as string).split(/\s+/).filter((s) => !ANY.has(s)).sort().join(' ')
  for (const c of codePoints(range as string)) scripts.set(c, set)
}

/** What confusables.txt maps a character to (its prototype), and the one other character it maps it to if one. */
const prototypeOf = new Map<number, string>()
const twinOf = new Map<number, number>()
for (const [source, target] of fields('confusables.txt')) {
  const targets = (target as string).split(' ').map((hex) => parseInt(hex, 16))
  prototypeOf.set(parseInt(source as string, 16), String.fromCodePoint(...targets))
  if (targets.length === 1) twinOf.set(parseInt(source as string, 16), targets[0] as number)
}
/** Whether `twin` may stand wherever `c` may: its script set holds c's ('' = any script). */
const standsFor = (twin: number, c: number): boolean => {
  const twinSet = scripts.get(twin) ?? ''
  const set = scripts.get(c) ?? ''
  return twinSet === '' || (set !== '' && set.split(' ').every((code) => twinSet.split(' ').includes(code)))
}
// script-less look-alikes of a character that may stand wherever they may: no script rule tells them apart
const lookAlikes = [...identifierAllowed].filter((c) => {
  const twin = twinOf.get(c)
  return common.has(c) && twin !== undefined && twin !== c && identifierAllowed.has(twin) && standsFor(twin, c)
}).sort((a, b) => a - b)
const allowed = [...identifierAllowed].filter((c) => !lookAlikes.includes(c)).sort((a, b) => a - b)

// letters of other scripts that pass for a Latin letter or digit (с for c, օ for o, ё for ë): their
// base letter's prototype is one (confusables.txt), their own marks kept; a name written wholly in
// them passes for a Latin one (UTS #39 §4, whole-script confusables)
const latinLookAlikes = allowed.filter((c) => {
  const set = scripts.get(c) ?? ''
  const [base = ''] = String.fromCodePoint(c).normalize('NFD')
  const prototype = prototypeOf.get(base.codePointAt(0) as number) ?? base
  return set !== '' && !set.split(' ').includes('Latn') && /^[0-9A-Za-z]$/.test(prototype)
})

const digitZeros = new Set<number>()
for (const [hex, , category, , , , decimal] of fields('UnicodeData.txt')) {
  const c = parseInt(hex as string, 16)
  if (category === 'Nd' && identifierAllowed.has(c)) digitZeros.add(c - Number(decimal))
}

// runs of consecutive Allowed code points with the same script set
const sets: string[] = []
const runs: Array<[number, number, number]> = []
for (const c of allowed) {
  const set = scripts.get(c) ?? ''
  let index = sets.indexOf(set)
  if (index < 0) index = sets.push(set) - 1
  const last = runs.at(-1)
  if (last !== undefined && last[1] === c - 1 && last[2] === index) {
    last[1] = c
  } else {
    runs.push([c, c, index])
  }
}

// each run as three base-36 numbers: the gap since the previous run's end, its length - 1, its set
let end = -1
const encoded = runs.map(([from, to, set]) => {
  const text = `${(from - end - 1).toString(36)} ${(to - from).toString(36)} ${set.toString(36)}`
  end = to
  return text
}).join(' ')

const source = `// Generated by packages/protocol/scripts/channel-table.ts from the Unicode ${UNICODE_VERSION} data files; do not edit.

/** The Unicode version of the channel-name tables. */
export const CHANNEL_UNICODE_VERSION = '${UNICODE_VERSION}'

/** Characters assigned after this version are not in the tables, so that engines of this version or newer agree. */
export const CHANNEL_AGE_FLOOR = '${AGE_FLOOR}'

/** Script sets (ISO 15924 codes, space-separated; '' = Common or Inherited, any script) that {@link ALLOWED_RUNS} refer to. */
export const SCRIPT_SETS: readonly string[] = ${JSON.stringify(sets)}

/**
 * The ${allowed.length} characters of Identifier_Status Allowed (UTS #39) assigned by Unicode ${AGE_FLOOR}, less
 * {@link LEFT_OUT_LOOK_ALIKES}, as ${runs.length} runs
 * with one script set each: per run three base-36 numbers, the gap after the previous run's end, the
 * run's length - 1 and its index in {@link SCRIPT_SETS}.
 */
export const ALLOWED_RUNS = '${encoded}'

/** Script-less look-alikes, each with the character it passes for, which may stand wherever it may: left out of {@link ALLOWED_RUNS}. */
export const LEFT_OUT_LOOK_ALIKES: ReadonlyArray<readonly [number, number]> = [${lookAlikes.map((c) => `[0x${c.toString(16)}, 0x${(twinOf.get(c) as number).toString(16)}]`).join(', ')}]

/** The letters of other scripts among those characters that pass for a Latin letter or digit (UTS #39 confusables). */
export const LATIN_LOOK_ALIKES = '${String.fromCodePoint(...latinLookAlikes)}'

/** The zero of each decimal digit system among those characters. */
export const DIGIT_ZEROS: readonly number[] = [${[...digitZeros].sort((a, b) => a - b).map((c) => `0x${c.toString(16)}`).join(', ')}]
`
writeFileSync(new URL('../src/channel-table.ts', import.meta.url), source)
process.stdout.write(`${allowed.length} characters in ${runs.length} runs, ${sets.length} script sets, ${digitZeros.size} digit systems, ${source.length} bytes\n`)
