/**
 * What every Murmur UI and log shows of text from the network and of a pseudonym: one rule, pure.
 *
 * Text: C0/C1 controls, bidi controls, line and paragraph separators, U+FEFF, zero-width and every
 * other invisible format or default-ignorable character are removed ({@link displayText}) or shown
 * escaped ({@link displayLine}). Kept where they have a visible effect: ZWJ/ZWNJ between letters of
 * scripts that shape (Arabic, the Indic scripts, …) and ZWJ inside emoji sequences, one variation
 * selector after a visible character, and emoji tag sequences (subdivision flags).
 *
 * Graphemes are bounded, so that no single one is drawn wider than a line (a grapheme is never cut):
 * at most {@link MAX_MARKS} marks (spacing marks, every other character that extends a grapheme,
 * prepended characters and virama-linked conjuncts counted too) on one letter, {@link MAX_EMOJI_JOINS}
 * ZWJs in one emoji sequence, one skin-tone modifier after a character, and {@link MAX_JAMO}
 * conjoining jamo in one Hangul syllable; what is beyond is removed.
 *
 * Names: {@link pseudonymName} shows 48 bits of a hash of a pseudonym key as three proquints,
 * {@link authorName} the name of a post's author (a pseudonym, or anonymous).
 */

import { fromHex, utf8 } from './bytes.js'
import { sha256 } from './hash.js'

/** Bits that {@link pseudonymName} shows, of a hash of the key: a look-alike differing in two letters still costs 2^40 keys. */
export const PSEUDONYM_NAME_BITS = 48

/**
 * Domain of the hash a pseudonym's name and hue are read from. Hashed, not read off the key: a
 * ring-signed post's pseudonym is its thread tag, a ristretto255 encoding, whose first bit is always
 * 0, so its first 48 bits were 47 bits of name (8 of the 16 consonants never came third).
 */
const NAME_DOMAIN = utf8('murmur/v2/name')

/** Most marks kept on one character, a conjunct's virama-linked letters counted in: enough for every script, not for "Zalgo" text spilling over other lines. */
export const MAX_MARKS = 8
/** Most ZWJs kept in one emoji sequence (8 emoji): the longest sequence Unicode defines has 3 (a family of four). */
export const MAX_EMOJI_JOINS = 7
/** Most conjoining jamo kept in one Hangul syllable: old Hangul spells a syllable with at most 3 leading, 3 vowel and 3 trailing jamo, each of them a single code point of U+1100–11FF or U+A960–A97F and U+D7B0–D7FF. */
export const MAX_JAMO = 8

const ZWNJ = 0x200c
const ZWJ = 0x200d
const VS16 = 0xfe0f
const WAVING_BLACK_FLAG = 0x1f3f4

// Removed or escaped: controls (Cc), format characters (Cf: bidi controls, zero-width characters,
// U+FEFF, tags…), line/paragraph separators (Zl, Zp), lone surrogates (Cs), and characters that are
// default-ignorable, i.e. drawn as nothing (Hangul fillers, variation selectors, U+034F…).
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Default_Ignorable_Code_Point}]/u
/** Variation selectors, Mongolian free variation selectors included: kept after a visible character. */
const VARIATION_SELECTOR = /[\u{180b}-\u{180d}\u{180f}\u{fe00}-\u{fe0f}\u{e0100}-\u{e01ef}]/u
/** Emoji tag sequence after U+1F3F4: a subdivision code in tag letters and digits, then CANCEL TAG (e.g. the flag of Scotland). */
const FLAG_TAGS = /[\u{e0030}-\u{e0039}\u{e0061}-\u{e007a}]{2,7}\u{e007f}/uy
const BASE_FOR_SELECTOR = /[\p{L}\p{N}\p{P}\p{S}]/u
const EMOJI_BEFORE_ZWJ = /[\p{Extended_Pictographic}\p{Emoji_Modifier}]/u
const EMOJI_AFTER_ZWJ = /\p{Extended_Pictographic}/u
const LETTER_OR_MARK = /[\p{L}\p{M}]/u
/**
 * What extends the grapheme before it, and so stacks on one letter: marks (Mn, Me, Mc), the other
 * characters of Grapheme_Extend (the halfwidth sound marks U+FF9E/FF9F, …), and the Thai and Lao
 * vowels SARA AM, letters that segment as spacing marks (Grapheme_Cluster_Break=SpacingMark).
 */
const STACKING_MARK = /[\p{Mn}\p{Me}\p{Mc}\p{Grapheme_Extend}\u0e33\u0eb3]/u
/**
 * Letters that join the grapheme after them (Grapheme_Cluster_Break=Prepend, Unicode 17.0; the format
 * characters of that class are removed anyway): a run of them counts as marks on the letter they precede.
 */
const PREPEND = /[\u0d4e\u{111c2}\u{111c3}\u{113d1}\u{1193f}\u{11941}\u{11a84}-\u{11a89}\u{11d46}\u{11f02}]/u
/** The viramas that link two consonants into one grapheme (Indic_Conjunct_Break=Linker, Unicode 15.1). */
const CONJUNCT_LINKER = /[\u094d\u09cd\u0acd\u0b4d\u0c4d\u0d4d]/u
const EMOJI_MODIFIER = /\p{Emoji_Modifier}/u
/** Leading jamo (choseong): each one after a vowel or trailing jamo starts a new syllable. */
const LEADING_JAMO = /[\u1100-\u115f\ua960-\ua97f]/u
/** Vowel and trailing jamo (jungseong, jongseong), which extend the syllable before them. */
const FOLLOWING_JAMO = /[\u1160-\u11ff\ud7b0-\ud7ff]/u
/** Precomposed Hangul syllables, which vowel and trailing jamo may extend. */
const HANGUL_SYLLABLE = /[\uac00-\ud7a3]/u
/** Scripts whose letters never join or form conjuncts: a ZWJ/ZWNJ after them changes nothing visible. */
const NON_SHAPING_SCRIPT = /[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}\p{sc=Armenian}\p{sc=Georgian}\p{sc=Hebrew}\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Hangul}\p{sc=Bopomofo}\p{sc=Common}\p{sc=Inherited}]/u
/** Line breaks other than LF that the text form turns into LF: CR (and CRLF), VT, FF, NEL, LS, PS. */
const LINE_BREAK = /\r\n?|[\v\f\u0085\u2028\u2029]/g
/** Spaces other than U+0020 (NBSP, em space, ideographic space, …) and the blank braille pattern. */
const OTHER_SPACE = /[\p{Zs}\u2800]/gu
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * Text from the network as a UI shows it (several lines): controls, bidi controls, separators and
 * invisible characters removed (see the module comment for the few kept where they are visible),
 * line breaks as `\n`, a tab as two spaces, every other space character as a space, at most one blank
 * line in a row, no blank lines at the start or end and no trailing spaces.
 *
 * @example
 * ```ts
 * displayText('hi\u202e!\u2028\n\n\n\nthere\u200b\u001b[2J') // 'hi!\n\nthere[2J'
 * displayText('می\u200cخواهم 👩\u200d💻') // kept as is: the ZWNJ joins Persian, the ZWJ makes one emoji
 * ```
 */
export function displayText (text: string): string {
  const normalised = text.replace(LINE_BREAK, '\n').replace(/\t/g, '  ').replace(OTHER_SPACE, ' ')
  const lines: string[] = []
  let blank = false
  for (const line of sanitise(normalised, () => '', true).split('\n')) {
    const trimmed = line.trimEnd()
    if (trimmed === '') {
      blank = lines.length > 0
      continue
    }
    if (blank) {
      lines.push('')
      blank = false
    }
    lines.push(trimmed)
  }
  return lines.join('\n')
}

/**
 * Text from the network as one line, for logs, headers and notices: the same rule as
 * {@link displayText}, but what it removes is shown escaped (`\n`, `\t`, `\u{202e}`), so nothing is
 * hidden and no line break can forge a log line. Backslashes are not escaped: the result is for
 * reading, not for parsing back.
 *
 * @example
 * ```ts
 * displayLine('evil\u202etxt.exe\nFAKE LOG LINE') // 'evil\\u{202e}txt.exe\\nFAKE LOG LINE'
 * ```
 */
export function displayLine (text: string): string {
  return sanitise(text, (c) => ESCAPES[c] ?? `\\u{${c.codePointAt(0)?.toString(16) ?? ''}}`, false)
}

/**
 * The text name of a pseudonym in every UI: the first 48 bits of SHA-256(`murmur/v2/name` || its
 * 32-byte public key) as three proquints (pronounceable five-letter words, 16 bits each), e.g.
 * `lusab-babad-gutih`; one scheme for both kinds of pseudonym (a one-time key, a ring-signed post's
 * thread tag), each name uniform over all 2^48. A look-alike that matches all but two letters still
 * takes about 2^40 key generations. Colours and icons beside it (see {@link pseudonymHue}) are
 * decoration, not identity. Needs `await ready()` (libsodium's SHA-256).
 *
 * @example
 * ```ts
 * pseudonymName(fromHex(post.pseudonym)) // 'lusab-babad-gutih'
 * ```
 */
export function pseudonymName (publicKey: Uint8Array): string {
  const digest = nameDigest(publicKey)
  const words: string[] = []
  for (let i = 0; i < PSEUDONYM_NAME_BITS / 8; i += 2) {
    words.push(proquint(((digest[i] ?? 0) << 8) | (digest[i + 1] ?? 0)))
  }
  return words.join('-')
}

/** The hash a pseudonym's name and hue are read from (see {@link pseudonymName}). */
function nameDigest (publicKey: Uint8Array): Uint8Array {
  checkKey(publicKey)
  return sha256(NAME_DOMAIN, publicKey)
}

/**
 * The author name every UI shows for a post, reply or vote: {@link pseudonymName} of its pseudonym
 * (the hex public key a PostView carries), or `anonymous` when it has none (a ring-signed vote) or
 * the value is not a 64-hex-digit key. One scheme for the chat, the feed and the page.
 *
 * @example
 * ```ts
 * authorName(post.pseudonym) // 'lusab-babad-gutih'
 * authorName(undefined) // 'anonymous'
 * ```
 */
export function authorName (pseudonym: string | undefined): string {
  return pseudonym === undefined || !/^[0-9a-f]{64}$/i.test(pseudonym) ? ANONYMOUS : pseudonymName(fromHex(pseudonym))
}

/** The name of an author without a pseudonym. */
const ANONYMOUS = 'anonymous'

/**
 * A hue (0–359) to decorate a pseudonym's name with, from bits of the name's hash that the name does
 * not show. Decoration only: two pseudonyms may share a colour.
 *
 * @example
 * ```ts
 * element.style.color = `hsl(${pseudonymHue(key)} 60% 40%)`
 * ```
 */
export function pseudonymHue (publicKey: Uint8Array): number {
  const digest = nameDigest(publicKey)
  const at = PSEUDONYM_NAME_BITS / 8
  return (((digest[at] ?? 0) << 8) | (digest[at + 1] ?? 0)) % 360
}

/** The sanitising rule: each code point is kept, or replaced by `replace(c)`; `\n` is kept with `keepNewline`. */
function sanitise (text: string, replace: (c: string) => string, keepNewline: boolean): string {
  const chars = Array.from(text)
  const out: string[] = []
  let kept = '' // the last character kept as it is ('' after a replaced one, a newline, or at the start)
  let marks = 0 // marks on the current letter, the letters a virama links to it counted too
  let linked = false // the last kept character (a ZWJ aside) is a virama that links the next letter
  let prepended = false // the last kept character (a ZWJ aside) is a prepended one: the next joins its grapheme
  let emojiJoins = 0 // ZWJs kept in the current emoji sequence
  let jamo = 0 // conjoining jamo and syllables in the current Hangul syllable
  // the last character kept, also after removed ones: what a removed one stood between is drawn
  // together, so a skin tone or a jamo after it counts on the same character, as marks do
  let drawn = ''
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] ?? ''
    const code = c.codePointAt(0) ?? 0
    if (code === WAVING_BLACK_FLAG) {
      FLAG_TAGS.lastIndex = 0
      const tags = FLAG_TAGS.exec(chars.slice(i + 1, i + 9).join(''))
      if (tags !== null) {
        out.push(c, tags[0])
        i += Array.from(tags[0]).length
        kept = '\u{e007f}'
        marks = 0
        continue
      }
    }
    let keep: boolean
    let joinsEmoji = false
    if (c === '\n' && keepNewline) {
      keep = true
    } else if (code === ZWJ || code === ZWNJ) {
      // of a run of joiners, the first one is judged by what follows the run; the others go
      let next = i + 1
      while (chars[next] === '\u200c' || chars[next] === '\u200d') next++
      joinsEmoji = code === ZWJ && joinsEmojiSequence(kept, chars[next] ?? '')
      keep = joinsEmoji ? emojiJoins < MAX_EMOJI_JOINS : joinerVisible(out, kept, chars[next] ?? '')
    } else if (VARIATION_SELECTOR.test(c)) {
      keep = BASE_FOR_SELECTOR.test(kept)
      // counted as a mark: a selector after a skin tone after a mark… must not make a grapheme unbounded
      if (keep && ++marks > MAX_MARKS) continue
    } else if (UNSAFE.test(c)) {
      keep = false
    } else if (EMOJI_MODIFIER.test(c)) {
      if (EMOJI_MODIFIER.test(drawn) || ++marks > MAX_MARKS) {
        continue // a second skin tone on one character, or one past a grapheme's marks: dropped, as a mark too many
      }
      keep = true
    } else if (STACKING_MARK.test(c) || PREPEND.test(c)) {
      // a prepended character after anything but another one starts a grapheme, the letter after it
      marks = PREPEND.test(c) && !prepended ? 1 : marks + 1
      if (marks > MAX_MARKS) {
        continue // dropped, not escaped: a mark is visible, only too many of them are harmful
      }
      keep = true
    } else if (LEADING_JAMO.test(c) || FOLLOWING_JAMO.test(c) || HANGUL_SYLLABLE.test(c)) {
      const continues = FOLLOWING_JAMO.test(c) ? isHangul(drawn) : LEADING_JAMO.test(drawn)
      jamo = continues ? jamo + 1 : 1
      if (jamo > MAX_JAMO) {
        continue // dropped, as a mark too many: the syllable is drawn, only not its hundredth jamo
      }
      keep = true
    } else {
      keep = true
    }
    if (keep) {
      out.push(c)
      // a letter a virama links on (क्ष), or that prepended ones precede (ൎമ), is part of the same grapheme: its marks count on
      if (code !== ZWJ && !STACKING_MARK.test(c) && !PREPEND.test(c) && !EMOJI_MODIFIER.test(c) && !VARIATION_SELECTOR.test(c) && !prepended && !(linked && /\p{L}/u.test(c))) marks = 0
      if (code !== ZWJ) {
        linked = CONJUNCT_LINKER.test(c)
        prepended = PREPEND.test(c)
      }
      if (joinsEmoji) {
        emojiJoins++
      } else if (kept !== '\u200d' && !EMOJI_MODIFIER.test(c) && code !== VS16) {
        emojiJoins = 0 // anything but the emoji after a joiner, a skin tone or VS16 ends the sequence
      }
      kept = c === '\n' ? '' : c
      drawn = kept
    } else {
      // marks go on counting across a removed character: they stack on the same visible one, and a
      // virama or a prepended character goes on joining the letter after it
      out.push(replace(c))
      kept = ''
    }
  }
  return out.join('')
}

/** Whether a character is a Hangul syllable or conjoining jamo. */
function isHangul (c: string): boolean {
  return c !== '' && (LEADING_JAMO.test(c) || FOLLOWING_JAMO.test(c) || HANGUL_SYLLABLE.test(c))
}

/** Whether a ZWJ between `kept` and `next` joins two emoji into one sequence (👩‍💻, ❤️‍🔥). */
function joinsEmojiSequence (kept: string, next: string): boolean {
  return (EMOJI_BEFORE_ZWJ.test(kept) || kept === String.fromCodePoint(VS16)) && EMOJI_AFTER_ZWJ.test(next)
}

/**
 * Whether a ZWJ/ZWNJ here changes what is drawn (a ZWJ between emoji aside, see joinsEmojiSequence): either joiner
 * between a letter (or mark) of a script that shapes and a following letter or mark (Persian
 * می‌خواهم, Devanagari क्‍ष), judged by the first character after the run of joiners. Never two in a
 * row: `kept` is never a joiner, as joiners are not letters, marks or emoji.
 */
function joinerVisible (out: string[], kept: string, next: string): boolean {
  if (kept === '') {
    return false
  }
  if (!LETTER_OR_MARK.test(kept) || !LETTER_OR_MARK.test(next) || UNSAFE.test(next)) {
    return false
  }
  // the script of the letter the marks sit on decides
  let base = out.length - 1
  while (base > 0 && STACKING_MARK.test(out[base] ?? '')) base--
  const letter = out[base] ?? ''
  return /\p{L}/u.test(letter) && !NON_SHAPING_SCRIPT.test(letter)
}

const CONSONANTS = 'bdfghjklmnprstvz'
const VOWELS = 'aiou'

/** A 16-bit number as a proquint (consonant-vowel-consonant-vowel-consonant; Wilkerson, arXiv:0901.4016). */
function proquint (n: number): string {
  return (CONSONANTS[(n >> 12) & 15] ?? '') + (VOWELS[(n >> 10) & 3] ?? '') + (CONSONANTS[(n >> 6) & 15] ?? '') +
    (VOWELS[(n >> 4) & 3] ?? '') + (CONSONANTS[n & 15] ?? '')
}

function checkKey (publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array)) {
    throw new TypeError(`expected a Uint8Array public key, got ${typeof publicKey}`)
  }
  if (publicKey.length !== 32) {
    throw new RangeError(`expected 32-byte public key, got ${publicKey.length}`)
  }
}

/**
 * Whether a post or reply body shows nothing in any UI: empty, or only spaces, line breaks and
 * characters the display rule removes (zero-width, bidi controls, …). Every Murmur UI and the node
 * refuse to send such a post; a vote carries no body and is not checked.
 *
 * @example
 * ```ts
 * isBlankText(' \n\u200b\u202e ') // true
 * isBlankText('hi') // false
 * ```
 */
export function isBlankText (text: string): boolean {
  return displayText(text) === ''
}
