/**
 * Drawing the chat in a terminal with plain ANSI sequences: styled text segments, and a frame of
 * exactly `height` rows of at most `width` columns (measured with `columns`: wide characters take two;
 * text from the network is made safe with displayText or displayLine before it gets here).
 */
import { displayLine } from '@murmur/protocol'
import { cells, columns, graphemes } from '../text.js'

/** A piece of text with one style. `color` is an ANSI foreground code (31..37, 90..97). */
export interface Segment {
  text: string
  color?: number
  bold?: boolean
  dim?: boolean
  inverse?: boolean
}

/** One screen row. */
export type StyledLine = Segment[]

/** What the frame shows. */
export interface Frame {
  /** Top row (drawn in inverse video). */
  header: StyledLine
  /** The message area, oldest first; the last ones that fit are shown, minus `scroll` rows. */
  lines: StyledLine[]
  /** Rows hidden below the message area (0 = follow the newest). */
  scroll: number
  /** Row above the input: progress and hints. */
  notice: StyledLine
  /** The prompt and the text being typed. */
  prompt: string
  input: string
  /** Cursor position in `input`, in graphemes (as LineEditor counts it). */
  cursor: number
}

const ESC = '\u001b['
/** DECSC and DECRC (VT100): save and restore the cursor position. */
const SAVE_CURSOR = '\u001b7'
const RESTORE_CURSOR = '\u001b8'
/** Fewest columns the input keeps beside the prompt (a long channel name is cut to leave them). */
const MIN_INPUT_COLUMNS = 10

/**
 * Number of message rows of a terminal of `height` rows (header, notice and input take three).
 *
 * @example
 * ```ts
 * messageRows(24) // 21
 * ```
 */
export function messageRows (height: number): number {
  return Math.max(1, height - 3)
}

/**
 * The ANSI text that draws a whole frame, ending with the cursor in the input line.
 *
 * @example
 * ```ts
 * process.stdout.write(drawFrame(frame, 80, 24))
 * ```
 */
export function drawFrame (frame: Frame, width: number, height: number): string {
  const rows = messageRows(height)
  const end = Math.max(0, frame.lines.length - frame.scroll)
  const visible = frame.lines.slice(Math.max(0, end - rows), end)
  const out: string[] = [`${ESC}?25l`]
  out.push(row(1, drawLine(pad(frame.header, width), width, true)))
  for (let i = 0; i < rows; i++) {
    out.push(row(i + 2, drawLine(visible[i] ?? [], width)))
  }
  out.push(row(rows + 2, drawLine(frame.notice, width)))
  out.push(inputRow(rows + 3, frame, width))
  // back to where the input row saved the cursor: the terminal put it after the text before the
  // cursor, however wide it drew that text
  out.push(`${RESTORE_CURSOR}${ESC}?25h`)
  return out.join('')
}

/**
 * Enters the alternate screen (the user's scrollback stays untouched).
 *
 * @example
 * ```ts
 * process.stdout.write(enterScreen())
 * ```
 */
export function enterScreen (): string {
  return `${ESC}?1049h${ESC}H${ESC}2J`
}

/**
 * Leaves the alternate screen and resets styles.
 *
 * @example
 * ```ts
 * process.stdout.write(leaveScreen())
 * ```
 */
export function leaveScreen (): string {
  return `${ESC}0m${ESC}?25h${ESC}?1049l`
}

/**
 * The input row: the prompt, then as much of the input as fits, scrolled horizontally so that the
 * cursor stays visible, with the cursor position saved after the text before it. A lone control or
 * format character (a bidi override is a grapheme of its own) is shown as the display rule escapes it,
 * so what is typed is what is seen, in the order typed.
 */
function inputRow (n: number, frame: Frame, width: number): string {
  const prompt = cut(frame.prompt, Math.max(1, width - MIN_INPUT_COLUMNS))
  const room = Math.max(1, width - prompt.used - 1)
  const cells = [...graphemes(frame.input)].map((grapheme) => {
    const text = [...grapheme].length === 1 ? displayLine(grapheme) : grapheme
    return { text, width: columns(text) }
  })
  const cursor = Math.max(0, Math.min(cells.length, frame.cursor))
  // the first cell shown: the earliest that keeps the text before the cursor in the room (the cursor
  // may then sit in the last column, which text never takes: a terminal holds a wrap pending there)
  let start = cursor
  let used = 0
  while (start > 0 && used + (cells[start - 1]?.width ?? 0) <= room) {
    used += cells[--start]?.width ?? 0
  }
  let end = cursor
  while (end < cells.length && used + (cells[end]?.width ?? 0) <= room) {
    used += cells[end++]?.width ?? 0
  }
  const text = (from: number, to: number): string => cells.slice(from, to).map((c) => c.text).join('')
  return `${ESC}${n};1H${ESC}1m${prompt.text}${ESC}0m${text(start, cursor)}${SAVE_CURSOR}${text(cursor, end)}${ESC}0m${ESC}K`
}

/** Text cut to at most `width` columns, never inside a grapheme narrower than `width` (see `cells`), and the columns it takes. */
function cut (text: string, width: number): { text: string, used: number } {
  let out = ''
  let used = 0
  for (const cell of cells(text, width)) {
    if (used + cell.width > width) break
    out += cell.text
    used += cell.width
  }
  return { text: out, used }
}

function row (n: number, content: string): string {
  return `${ESC}${n};1H${content}${ESC}0m${ESC}K`
}

/** Pads a line with spaces to `width` columns (so an inverse header fills the row). */
function pad (line: StyledLine, width: number): StyledLine {
  const length = line.reduce((sum, s) => sum + columns(s.text), 0)
  return length >= width ? line : [...line, { text: ' '.repeat(width - length) }]
}

/** A row cut to `width` columns, never inside a grapheme: a row wider than the terminal would wrap into the next. */
function drawLine (line: StyledLine, width: number, inverse = false): string {
  let left = width
  let out = ''
  for (const segment of line) {
    const { text, used } = cut(segment.text, left)
    out += `${style(segment, inverse)}${text}${ESC}0m`
    left -= used
    if (text !== segment.text || left <= 0) {
      break
    }
  }
  return out
}

function style (segment: Segment, inverse: boolean): string {
  const codes: number[] = []
  if (segment.bold === true) codes.push(1)
  if (segment.dim === true) codes.push(2)
  if (inverse || segment.inverse === true) codes.push(7)
  if (segment.color !== undefined) codes.push(segment.color)
  return codes.length === 0 ? '' : `${ESC}${codes.join(';')}m`
}
